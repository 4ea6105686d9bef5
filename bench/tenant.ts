// A tenant for the benches, in the TENANTS document format the service reads (README "Tenants").
import { createHash, randomBytes } from 'node:crypto';

export function benchTenant(extra: Record<string, unknown> = {}): { apiKey: string; tenants: string } {
  const apiKey = `imt_${randomBytes(32).toString('base64url')}`;
  const tenant = {
    id: 'bench',
    api_key_sha256: [createHash('sha256').update(apiKey, 'utf8').digest('hex')],
    webhook_secrets: [`whsec_${randomBytes(32).toString('base64')}`],
    // High enough never to refuse a bench request: the limiter's write is still made for each one.
    requests_per_minute: 1_000_000,
    ...extra,
  };
  return { apiKey, tenants: JSON.stringify([tenant]) };
}
