// The intake API end to end over real sockets: HTTP → local API Gateway stand-in → the real
// intake handler → dynalite and fauxqs.
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createIntakeHandler } from '../../handlers/intake.js';
import { sqsClient } from '../../lib/aws.js';
import { parseConfig } from '../../lib/jobs-config.js';
import { buildApiDeps } from '../../lib/runtime.js';
import { hashSecret, newApiKey, newWebhookSecret } from '../../lib/tenants.js';
import { startHttpGateway, type LocalGateway } from '../../local/http-gateway.js';
import { startLocalServices, type LocalServices } from '../../local/services.js';
import type { ApiDeps } from '../../lib/api/deps.js';
import { registerSecret } from '../helpers/secrets.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const IMAGE = '0f8a1f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const acmeKey = registerSecret(newApiKey());
const otherKey = registerSecret(newApiKey());

let services: LocalServices;
let gateway: LocalGateway;
let deps: ApiDeps;

function settings(s: LocalServices, perMinute = 1000) {
  return {
    ...s.settings,
    IMS_PROJECT_ID: PROJECT,
    IMS_USER: 'u',
    IMS_PASSWORD: 'p',
    IMS_DOMAIN: 'd',
    TENANTS: JSON.stringify([
      { id: 'acme', api_key_sha256: [hashSecret(acmeKey)], webhook_secrets: [registerSecret(newWebhookSecret())], requests_per_minute: perMinute },
      { id: 'other', api_key_sha256: [hashSecret(otherKey)], webhook_secrets: [registerSecret(newWebhookSecret())], requests_per_minute: 2 },
    ]),
  };
}

beforeAll(async () => {
  services = await startLocalServices({ visibilityTimeoutSeconds: 1 });
  deps = buildApiDeps(parseConfig(settings(services)));
  gateway = await startHttpGateway({ handler: createIntakeHandler(() => deps) });
});

afterAll(async () => {
  await gateway?.close();
  await services?.stop();
});

async function call(method: string, path: string, opts: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== null) headers.authorization = `Bearer ${opts.key ?? acmeKey}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(`${gateway.url}${path}`, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : null };
}

async function drainQueue(): Promise<string[]> {
  const sqs = sqsClient({ endpoint: services.sqsEndpoint, region: services.region });
  const bodies: string[] = [];
  for (;;) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: services.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
    if (!got.Messages?.length) return bodies;
    bodies.push(...got.Messages.map((m) => m.Body ?? ''));
  }
}

const exportBody = (object = 'centos7.qcow2') => ({ image_id: IMAGE, bucket_url: `ims-image:${object}`, file_format: 'qcow2', client_ref: 'ticket-42' });

describe('intake API', () => {
  beforeEach(async () => {
    await drainQueue();
  });

  it('answers health without a key', async () => {
    const res = await call('GET', '/v1/health', { key: null });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });

  it('accepts an export with 202, a Location, a queued record and one queue message', async () => {
    const res = await call('POST', '/v1/exports', { body: exportBody() });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/v1/requests/${res.json.id}`);
    expect(res.json).toMatchObject({ kind: 'export', status: 'queued', tenant: 'acme', client_ref: 'ticket-42', region: 'eu-de', project_id: PROJECT });
    expect(res.json.params).toEqual({ image_id: IMAGE, bucket_url: 'ims-image:centos7.qcow2', file_format: 'qcow2' });
    expect(res.json).not.toHaveProperty('internal');
    const messages = await drainQueue();
    expect(messages.map((m) => JSON.parse(m))).toEqual([{ request_id: res.json.id }]);
    const got = await call('GET', res.headers.location as string);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(res.json);
  });

  it('accepts imports and captures', async () => {
    const imp = await call('POST', '/v1/imports', { body: { name: 'centos-7', image_url: 'ims-image:centos7.qcow2', min_disk: 40 } });
    expect(imp.status).toBe(202);
    expect(imp.json.kind).toBe('import');
    const cap = await call('POST', '/v1/captures', { body: { name: 'web-01-golden', instance_id: IMAGE } });
    expect(cap.status).toBe(202);
    expect(cap.json.kind).toBe('capture');
    expect(await drainQueue()).toHaveLength(2);
  });

  it('answers an idempotent replay with the same request and sends no second message', async () => {
    const headers = { 'idempotency-key': 'replay-1' };
    const first = await call('POST', '/v1/exports', { body: exportBody('replay.qcow2'), headers });
    const second = await call('POST', '/v1/exports', { body: { ...exportBody('replay.qcow2') }, headers });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.json.id).toBe(first.json.id);
    expect(await drainQueue()).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key with another body with 422 and keeps the first request', async () => {
    const headers = { 'idempotency-key': 'replay-2' };
    const first = await call('POST', '/v1/exports', { body: exportBody('a.qcow2'), headers });
    const second = await call('POST', '/v1/exports', { body: exportBody('b.qcow2'), headers });
    expect(second.status).toBe(422);
    expect(second.headers['content-type']).toBe('application/problem+json');
    const stored = await call('GET', `/v1/requests/${first.json.id}`);
    expect(stored.json.params.bucket_url).toBe('ims-image:a.qcow2');
  });

  it('answers each problem status with problem+json', async () => {
    const noKey = await call('POST', '/v1/exports', { key: null, body: exportBody() });
    expect(noKey.status).toBe(401);
    const badKey = await call('GET', '/v1/requests', { key: registerSecret(newApiKey()) });
    expect(badKey.status).toBe(401);
    const malformed = await call('POST', '/v1/exports', { raw: '{"image_id":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    const notJson = await call('POST', '/v1/exports', { raw: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(notJson.status).toBe(415);
    const tooBig = await call('POST', '/v1/imports', { body: { name: 'x', image_url: 'ims-image:a', min_disk: 40, description: 'x'.repeat(70_000) } });
    expect(tooBig.status).toBe(413);
    const invalid = await call('POST', '/v1/exports', { body: { image_id: IMAGE, bucket_url: 'ims-image:a.qcow2', file_format: 'raw' } });
    expect(invalid.status).toBe(422);
    expect(invalid.json.errors).toEqual([expect.objectContaining({ path: 'file_format' })]);
    const unknown = await call('GET', '/v1/requests/req_00000000000000000000000000');
    expect(unknown.status).toBe(404);
    const noRoute = await call('GET', '/v1/nothing');
    expect(noRoute.status).toBe(404);
    for (const r of [noKey, badKey, malformed, notJson, tooBig, invalid, unknown]) {
      expect(r.headers['content-type']).toBe('application/problem+json');
      expect(r.json).toMatchObject({ type: expect.stringContaining('/problems/'), title: expect.any(String), status: r.status, detail: expect.any(String) });
    }
    expect(await drainQueue()).toHaveLength(0);
  });

  it('answers a known path with another method 405 with Allow, as problem+json', async () => {
    const put = await call('PUT', '/v1/exports', { body: exportBody() });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('POST');
    expect(put.headers['content-type']).toBe('application/problem+json');
    expect(put.json).toMatchObject({ type: 'https://ims-transfer.dev/problems/method-not-allowed', status: 405, detail: expect.stringContaining('PUT') });
    const patch = await call('PATCH', '/v1/requests/req_00000000000000000000000000', { key: null });
    expect(patch.status).toBe(405);
    expect(patch.headers.allow).toBe('GET, DELETE');
    expect((await call('DELETE', '/v1/nothing')).status).toBe(404);
    expect(await drainQueue()).toHaveLength(0);
  });

  it("hides another tenant's request behind a 404", async () => {
    const mine = await call('POST', '/v1/exports', { body: exportBody('mine.qcow2') });
    const theirs = await call('GET', `/v1/requests/${mine.json.id}`, { key: otherKey });
    expect(theirs.status).toBe(404);
    const cancel = await call('DELETE', `/v1/requests/${mine.json.id}`, { key: otherKey });
    expect(cancel.status).toBe(404);
    const list = await call('GET', '/v1/requests', { key: otherKey });
    expect(list.json.items.map((r: { id: string }) => r.id)).not.toContain(mine.json.id);
  });

  it('lists newest first across pages with a cursor, and filters by kind', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call('POST', '/v1/captures', { body: { name: `page-${i}`, instance_id: IMAGE } })).json.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof call>> = await call('GET', `/v1/requests?kind=capture&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.items.map((r: { id: string; kind: string }) => r.id));
      cursor = page.json.next_cursor;
    } while (cursor);
    const mine = seen.filter((id) => ids.includes(id));
    expect(mine).toEqual([...ids].reverse());
    const bad = await call('GET', '/v1/requests?limit=0');
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe('limit');
  });

  it('cancels a queued request, and answers 409 once it has reached IMS', async () => {
    const queued = await call('POST', '/v1/exports', { body: exportBody('cancel.qcow2') });
    const cancelled = await call('DELETE', `/v1/requests/${queued.json.id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await call('DELETE', `/v1/requests/${queued.json.id}`)).status).toBe(200);

    const other = await call('POST', '/v1/exports', { body: exportBody('running.qcow2') });
    const stored = await deps.store.get(other.json.id);
    if (!stored || stored instanceof Error) throw new Error('record missing');
    const running = { ...stored, status: 'running' as const, ims_job_id: 'edc89b490d7d4392898e19b2deb34797' };
    const saved = await deps.store.save(running, stored.internal.version);
    expect(saved).toMatchObject({ saved: true });
    const refused = await call('DELETE', `/v1/requests/${other.json.id}`);
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toBe(`Request ${other.json.id} is running: it has reached IMS, which cannot cancel a job`);
    expect((await call('GET', `/v1/requests/${other.json.id}`)).json.status).toBe('running');

    // A cancel that read the record while queued, and lost the race to the worker, names the status it lost to.
    const raced = await deps.cancel(stored, new Date());
    expect(raced).toMatchObject({ ok: false, status: 'running' });
  });

  it('limits a tenant to its requests per minute with 429 and Retry-After, and tells every POST where it stands in RateLimit fields', async () => {
    const answers: Awaited<ReturnType<typeof call>>[] = [];
    for (let i = 0; i < 3; i++) answers.push(await call('POST', '/v1/captures', { key: otherKey, body: { name: `rate-${i}`, instance_id: IMAGE } }));
    const statuses = answers.map((a) => a.status);
    // The limit is 2 a minute; a minute boundary between calls may reset the window once.
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(2);
    for (const answer of answers) {
      expect(answer.headers['ratelimit-policy']).toBe('"tenant";q=2;w=60');
      const fields = /^"tenant";r=(\d+);t=(\d+)$/.exec(String(answer.headers.ratelimit));
      expect(fields, String(answer.headers.ratelimit)).not.toBeNull();
      const [remaining, reset] = [Number(fields?.[1]), Number(fields?.[2])];
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      if (answer.status === 429) {
        expect(remaining).toBe(0);
        expect(Number(answer.headers['retry-after'])).toBe(reset);
      }
    }
    if (!statuses.includes(429)) expect(statuses).toEqual([202, 202, 202]);
    else {
      expect(statuses).toEqual([202, 202, 429]);
      expect(answers.map((a) => /r=(\d+)/.exec(String(a.headers.ratelimit))?.[1])).toEqual(['1', '0', '0']);
    }
  });

  it('answers 404 for an over-long or malformed request id, and never asks the store with it', async () => {
    const long = `req_${'A'.repeat(2041)}`;
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await call(method, `/v1/requests/${long}`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      // The detail does not echo 2 KB back.
      expect(res.json.detail.length).toBeLessThan(100);
    }
    expect((await call('GET', `/v1/requests/${long}/deliveries`)).status).toBe(404);
    expect((await call('GET', '/v1/requests/req_0000000000000000000000000a')).status).toBe(404);
  });

  it('answers 400 naming the cursor for a forged, foreign or over-long cursor', async () => {
    const forged = Buffer.from(JSON.stringify({ t: 'acme', s: `2026-01-01T00:00:00.000Z#req_${'B'.repeat(900)}`, i: `req_${'B'.repeat(900)}` })).toString('base64url');
    for (const cursor of ['x'.repeat(1100), forged, 'not-a-cursor', Buffer.from('{"t":"acme"}').toString('base64url')]) {
      const res = await call('GET', `/v1/requests?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor.slice(0, 20)).toBe(400);
      expect(res.json).toMatchObject({ status: 400, errors: [{ path: 'cursor' }] });
    }
    // Another tenant's genuine cursor is not one of this listing either.
    for (let i = 0; i < 2; i++) await call('POST', '/v1/captures', { key: otherKey, body: { name: `other-${i}`, instance_id: IMAGE } });
    const theirs = await call('GET', '/v1/requests?limit=1', { key: otherKey });
    expect(theirs.json.next_cursor).toEqual(expect.any(String));
    expect((await call('GET', `/v1/requests?cursor=${encodeURIComponent(theirs.json.next_cursor)}`)).status).toBe(400);
  });

  it('refuses with 422 a callback_url whose host is a private, loopback, link-local or metadata IP literal, and stores nothing', async () => {
    const before = await call('GET', '/v1/requests?limit=100');
    for (const host of ['10.0.0.1', '169.254.169.254', '127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '100.64.0.1', '[fd00::1]', '0.0.0.0', '2130706433']) {
      const res = await call('POST', '/v1/exports', { body: { image_id: IMAGE, bucket_url: 'b-ok:x.qcow2', file_format: 'qcow2', callback_url: `https://${host}/hook` } });
      expect(res.status, host).toBe(422);
      expect(res.json.errors).toEqual([{ path: 'callback_url', message: expect.stringMatching(/private, loopback, link-local and metadata/) }]);
    }
    const after = await call('GET', '/v1/requests?limit=100');
    expect(after.json.items.map((r: { id: string }) => r.id)).toEqual(before.json.items.map((r: { id: string }) => r.id));
    // A public literal and a name pass (a name is checked when it is connected to).
    expect((await call('POST', '/v1/exports', { body: { image_id: IMAGE, bucket_url: 'b-ok:y.qcow2', file_format: 'qcow2', callback_url: 'https://8.8.8.8/hook' } })).status).toBe(202);
    expect((await call('POST', '/v1/exports', { body: { image_id: IMAGE, bucket_url: 'b-ok:z.qcow2', file_format: 'qcow2', callback_url: 'https://hooks.example.com/h' } })).status).toBe(202);
  });

  it('answers 500 without internals when the store fails', async () => {
    const broken = buildApiDeps(parseConfig({ ...settings(services), TABLE_NAME: 'no-such-table' }));
    const brokenGateway = await startHttpGateway({ handler: createIntakeHandler(() => broken) });
    try {
      const res = await request(`${brokenGateway.url}/v1/requests/req_00000000000000000000000000`, { headers: { authorization: `Bearer ${acmeKey}` } });
      const body = await res.body.text();
      expect(res.statusCode).toBe(500);
      expect(body).not.toMatch(/no-such-table|ResourceNotFound|stack/i);
      expect(JSON.parse(body).instance).toEqual(expect.any(String));
    } finally {
      await brokenGateway.close();
    }
  });
});
