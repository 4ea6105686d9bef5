import { describe, expect, it } from 'vitest';
import { acceptRequest, type AcceptDeps } from '../../lib/requests/accept.js';
import type { StoredRequest } from '../../lib/requests/record.js';
import { hashSecret, newApiKey, newWebhookSecret, parseTenants } from '../../lib/tenants.js';
import { registerSecret } from '../helpers/secrets.js';

const P = (c: string) => c.repeat(32);
const [acme, plain] = parseTenants(
  JSON.stringify([
    {
      id: 'acme',
      api_key_sha256: [hashSecret(registerSecret(newApiKey()))],
      webhook_secrets: [registerSecret(newWebhookSecret())],
      ims_projects: [{ region: 'eu-nl', project_id: P('c') }],
    },
    { id: 'plain', api_key_sha256: [hashSecret(registerSecret(newApiKey()))], webhook_secrets: [registerSecret(newWebhookSecret())] },
  ]),
);
const exportBody = { image_id: '0d3b5b56-5d2f-4b8e-9a51-3c1f0e7a4b01', bucket_url: 'my-bucket:a.qcow2', file_format: 'qcow2' };

/** Deps that record what was stored and sent, so a test can tell that a refusal touched nothing. */
function deps() {
  const stored: StoredRequest[] = [];
  const sent: unknown[] = [];
  const d: AcceptDeps = {
    store: { create: async (record) => (stored.push(record), { created: true, record }) } as AcceptDeps['store'],
    queue: { send: async (body) => (sent.push(body), { messageId: 'm1' }) },
    rateLimiter: null,
    webhookPolicy: { allowLoopback: false },
    placement: { defaultRegion: 'eu-de', projectIds: { 'eu-de': P('a'), 'eu-nl': P('b') } },
    timings: { queuedSafetyMs: 60_000 },
    now: () => new Date('2026-12-01T00:00:00Z'),
  };
  return { d, stored, sent };
}

describe('the tenant fence at intake', () => {
  it.each(['http', 'queue'] as const)('refuses over %s a project outside the fence as forbidden, storing and sending nothing', async (via) => {
    const { d, stored, sent } = deps();
    const origin = via === 'http' ? { via, idempotencyKey: null } : { via, idempotencyKey: 'k1' };
    const outcome = await acceptRequest(acme!, 'export', { ...exportBody, region: 'eu-de', project_id: P('a') }, origin, d);
    expect(outcome).toMatchObject({ outcome: 'forbidden', errors: [{ path: 'region' }] });
    expect([stored.length, sent.length]).toEqual([0, 0]);
  });

  it('refuses a tenant without ims_projects another region the service reaches', async () => {
    const { d, stored } = deps();
    const outcome = await acceptRequest(plain!, 'export', { ...exportBody, region: 'eu-nl' }, { via: 'http', idempotencyKey: null }, d);
    expect(outcome).toMatchObject({ outcome: 'forbidden', errors: [{ path: 'region' }] });
    expect(stored).toHaveLength(0);
  });

  it('records a request that names nothing in the tenant first project', async () => {
    const { d, stored } = deps();
    const outcome = await acceptRequest(acme!, 'export', exportBody, { via: 'http', idempotencyKey: null }, d);
    expect(outcome.outcome).toBe('created');
    expect(stored.map((r) => [r.region, r.project_id])).toEqual([['eu-nl', P('c')]]);
  });
});
