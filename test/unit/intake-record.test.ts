import { describe, expect, it } from 'vitest';
import { newRecord, type NewRequest } from '../../lib/requests/intake.js';
import { hashSecret, newApiKey, newWebhookSecret, parseTenants } from '../../lib/tenants.js';
import { registerSecret } from '../helpers/secrets.js';

const [tenant] = parseTenants(
  JSON.stringify([{ id: 'acme', api_key_sha256: [hashSecret(registerSecret(newApiKey()))], webhook_secrets: [registerSecret(newWebhookSecret())] }]),
);
const placement = { defaultRegion: 'eu-de', projectIds: { 'eu-de': 'a'.repeat(32) } };
const timings = { queuedSafetyMs: 60_000 };
const now = new Date('2026-12-01T10:00:00.000Z');
const body = { image_id: '0d3b5b56-5d2f-4b8e-9a51-3c1f0e7a4b01', bucket_url: 'my-bucket:a.qcow2', file_format: 'qcow2' };

function record(request: Record<string, unknown>, idempotencyKey: string | null) {
  const made = newRecord({ tenant: tenant!, kind: 'export', request, idempotencyKey } satisfies NewRequest, placement, now, timings);
  if (!('id' in made)) throw new Error('no project');
  return made;
}

describe('newRecord', () => {
  it('keeps the body hash of a keyed request, the same for the same body in any key order and another for another body', () => {
    const first = record(body, 'k-1');
    const again = record({ file_format: 'qcow2', bucket_url: 'my-bucket:a.qcow2', image_id: body.image_id }, 'k-1');
    const other = record({ ...body, file_format: 'vhd' }, 'k-1');
    expect(first.id).toBe(again.id);
    expect(first.internal.body_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(again.internal.body_hash).toBe(first.internal.body_hash);
    expect(other.internal.body_hash).not.toBe(first.internal.body_hash);
  });

  it('keeps no body hash for a request without a key, which gets a fresh id each time and so can never be replayed', () => {
    const a = record(body, null);
    const b = record(body, null);
    expect(a.internal.body_hash).toBeNull();
    expect(a.id).not.toBe(b.id);
  });
});
