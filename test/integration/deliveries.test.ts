// The delivery log and redelivery over real sockets: the intake, worker and poller handlers against
// dynalite, fauxqs and the IMS simulator, and the receiver of `npm run receiver` playing down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { createDeliveryLog, recordAttempts, DELIVERY_LOG_LIMIT } from '../../lib/store/deliveries.js';
import { hashSecret, newApiKey, tenantDirectory } from '../../lib/tenants.js';
import { startPipeline, terminal, type Pipeline } from '../helpers/pipeline.js';
import { registerSecret } from '../helpers/secrets.js';
import { startTestServices } from '../helpers/services.js';

describe('the delivery log of a request, through the API', () => {
  let p: Pipeline;
  const otherKey = registerSecret(newApiKey());

  beforeAll(async () => {
    p = await startPipeline({
      // A second tenant, to show that another tenant's deliveries are not found.
      adjustApi: (deps, cfg) => ({
        ...deps,
        tenants: tenantDirectory([...cfg.tenants, { ...cfg.tenants[0]!, id: 'other', api_key_sha256: [hashSecret(otherKey)] }]),
      }),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  const exportBody = { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'my-bucket:exports/deliveries.qcow2', file_format: 'qcow2' };

  it('lists a failed attempt with its status code and the later success, and a redelivery with the same webhook-id', async () => {
    p.receiver.failWith = 503;
    const created = await p.api('POST', '/v1/exports', exportBody);
    expect(created.status).toBe(202);
    const id = created.json.id as string;
    await p.settle(async () => (await p.record(id)).webhook.attempts >= 1);
    p.receiver.failWith = null;
    await p.settle(async () => (await p.record(id)).webhook.status === 'delivered');

    const origin = new URL(p.receiver.url).origin;
    const first = await p.api('GET', `/v1/requests/${id}/deliveries`);
    expect(first.status).toBe(200);
    const items = first.json.items as Record<string, unknown>[];
    expect(items).toHaveLength(2);
    const eventId = p.receiver.attempts.find((a) => a.status === 503)?.id;
    expect(eventId).toMatch(/^msg_/);
    expect(items[0]).toMatchObject({ event_id: eventId, type: 'image.export.succeeded', attempt: 1, url_origin: origin, status_code: 503, error: 'receiver answered HTTP 503' });
    expect(items[1]).toMatchObject({ event_id: eventId, type: 'image.export.succeeded', attempt: 2, url_origin: origin, status_code: 204, error: null });
    expect(Date.parse(String(items[0]?.at))).toBeLessThanOrEqual(Date.parse(String(items[1]?.at)));
    // Only the origin: the callback URL's path (here /hooks) may carry a token.
    expect(JSON.stringify(items)).not.toContain('/hooks');

    const before = p.receiver.attempts.length;
    const redelivered = await p.api('POST', `/v1/requests/${id}/redeliver`);
    expect(redelivered.status).toBe(202);
    expect(redelivered.json.webhook).toEqual({ status: 'pending', attempts: 2 });
    // At once: the worker sends it when it takes the redelivery's message, with no poller sweep.
    expect(await p.runWorker()).toEqual({ received: 1, failed: 0 });
    expect((await p.record(id)).webhook.status).toBe('delivered');
    expect(p.receiver.attempts.slice(before)).toEqual([{ id: eventId, status: 204 }]);
    expect((await p.record(id)).webhook).toEqual({ status: 'delivered', attempts: 3 });

    const after = (await p.api('GET', `/v1/requests/${id}/deliveries`)).json.items as Record<string, unknown>[];
    expect(after).toHaveLength(3);
    expect(after[2]).toMatchObject({ event_id: eventId, attempt: 3, status_code: 204, error: null });
  });

  it('refuses to redeliver a request that has not ended, with a 409 problem', async () => {
    const created = await p.api('POST', '/v1/exports', { ...exportBody, bucket_url: 'my-bucket:exports/not-yet.qcow2' });
    const res = await p.api('POST', `/v1/requests/${created.json.id}/redeliver`);
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ status: 409, type: expect.stringMatching(/\/conflict$/), detail: expect.stringContaining('queued') });
    await p.settle(async () => terminal(await p.record(created.json.id)));
  });

  it('answers 404 for another tenant\'s request and for an unknown one', async () => {
    const created = await p.api('POST', '/v1/exports', { ...exportBody, bucket_url: 'my-bucket:exports/tenant.qcow2' });
    const id = created.json.id as string;
    const other = { authorization: `Bearer ${otherKey}` };
    expect((await p.api('GET', `/v1/requests/${id}/deliveries`, undefined, other)).status).toBe(404);
    expect((await p.api('POST', `/v1/requests/${id}/redeliver`, undefined, other)).status).toBe(404);
    expect((await p.api('GET', '/v1/requests/req_0000000000000000/deliveries')).status).toBe(404);
    expect((await p.api('GET', `/v1/requests/${id}/deliveries`)).json).toEqual({ items: [] });
    expect((await p.api('GET', `/v1/requests/${id}/deliveries`, undefined, { authorization: 'Bearer nope' })).status).toBe(401);
    await p.settle(async () => terminal(await p.record(id)));
  });
});

describe('the delivery log store', () => {
  let t: Awaited<ReturnType<typeof startTestServices>>;
  beforeAll(async () => {
    t = await startTestServices();
  });
  afterAll(async () => {
    await t?.services.stop();
  });

  const attempt = (n: number) => ({
    event_id: n % 2 ? 'msg_odd' : 'msg_even',
    type: 'image.import.failed',
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    url_origin: 'https://hooks.example',
    status_code: 500,
    error: `attempt ${n}`,
    duration_ms: n,
  });

  it('keeps the most recent 50 attempts, oldest first, numbering each event id on past the trimmed ones', async () => {
    const log = createDeliveryLog({ client: t.dynamo, tableName: t.services.tableName });
    for (let n = 1; n <= DELIVERY_LOG_LIMIT + 5; n++) await log.append('req_bounded', attempt(n));
    const items = await log.list('req_bounded');
    expect(items).toHaveLength(DELIVERY_LOG_LIMIT);
    expect(items[0]?.error).toBe('attempt 6');
    expect(items.at(-1)).toMatchObject({ error: 'attempt 55', event_id: 'msg_odd', attempt: 28 });
    expect(items.at(-2)).toMatchObject({ event_id: 'msg_even', attempt: 27 });
    expect(await log.list('req_none')).toEqual([]);
  });

  it('loses no attempt when deliveries of one request are logged at the same time', async () => {
    const log = createDeliveryLog({ client: t.dynamo, tableName: t.services.tableName });
    await Promise.all([1, 2, 3].map((n) => log.append('req_concurrent', { ...attempt(n), event_id: 'msg_same' })));
    const items = await log.list('req_concurrent');
    expect(items.map((i) => i.attempt).sort()).toEqual([1, 2, 3]);
  });

  it('never fails a delivery when the log cannot be written, and keeps only the origin of a URL', async () => {
    const broken = recordAttempts(createDeliveryLog({ client: t.dynamo, tableName: 'no-such-table' }), 'req_x', { eventId: 'msg_x', type: 'chat' });
    const result = { ok: false as const, kind: 'http' as const, status: 500, message: 'receiver answered HTTP 500' };
    await expect(broken?.({ url: 'https://hooks.example/T0/B0/secret-token', result, startedAt: new Date(), durationMs: 3 })).resolves.toBeUndefined();

    const log = createDeliveryLog({ client: t.dynamo, tableName: t.services.tableName });
    await recordAttempts(log, 'req_origin', { eventId: 'msg_o', type: 'chat' })?.({ url: 'https://hooks.example:8443/T0/B0/secret-token?x=1', result, startedAt: new Date(), durationMs: 3 });
    const [item] = await log.list('req_origin');
    expect(item).toMatchObject({ url_origin: 'https://hooks.example:8443', status_code: 500, type: 'chat', attempt: 1 });
    expect(JSON.stringify(item)).not.toContain('secret-token');
  });
});
