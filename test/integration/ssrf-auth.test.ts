// The SSRF and auth matrices: every private, loopback, link-local, metadata, CGNAT and IPv4-mapped
// target, as a literal and as a name that resolves to it, refused at delivery by the guarded agent
// the service delivers with; and every way of calling the API without the right credentials refused,
// over real sockets through the local HTTP gateway.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newApiKey, newWebhookSecret } from '../../lib/tenants.js';
import { postJson } from '../../lib/webhooks/deliver.js';
import { createGuardedAgent } from '../../lib/webhooks/guard.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { registerSecret } from '../helpers/secrets.js';

/** Forbidden targets as URL hosts: private, loopback, link-local, metadata, CGNAT, IPv4-mapped, ULA, unspecified. */
const FORBIDDEN_HOSTS = [
  ['10.0.0.1', 'private 10/8'],
  ['172.16.5.4', 'private 172.16/12'],
  ['192.168.1.1', 'private 192.168/16'],
  ['127.0.0.1', 'loopback'],
  ['127.1.2.3', 'loopback, not .1'],
  ['169.254.169.254', 'the metadata service'],
  ['169.254.1.1', 'link-local'],
  ['100.64.0.1', 'CGNAT'],
  ['100.127.255.254', 'CGNAT, top'],
  ['0.0.0.0', 'this host'],
  ['2130706433', 'loopback as one decimal number'],
  ['0x7f.1', 'loopback in hex shorthand'],
  ['0251.0376.0251.0376', 'the metadata service in octal'],
  ['[::1]', 'IPv6 loopback'],
  ['[::]', 'IPv6 unspecified'],
  ['[::ffff:127.0.0.1]', 'IPv4-mapped loopback'],
  ['[::ffff:169.254.169.254]', 'IPv4-mapped metadata'],
  ['[::ffff:a9fe:a9fe]', 'IPv4-mapped metadata in hex'],
  ['[::ffff:10.0.0.1]', 'IPv4-mapped private'],
  ['[fd00::1]', 'unique local fd00::/8'],
  ['[fd12:3456:789a::1]', 'unique local'],
  ['[fe80::1]', 'IPv6 link-local'],
  ['[64:ff9b::a9fe:a9fe]', 'NAT64 to the metadata service'],
] as const;

/** Addresses a name may resolve to, each forbidden. */
const FORBIDDEN_ADDRESSES = [
  ['10.1.2.3', 4],
  ['172.31.0.1', 4],
  ['192.168.0.10', 4],
  ['127.0.0.1', 4],
  ['169.254.169.254', 4],
  ['100.100.100.200', 4],
  ['0.0.0.0', 4],
  ['::1', 6],
  ['::', 6],
  ['::ffff:169.254.169.254', 6],
  ['fd00::1', 6],
  ['fe80::1', 6],
] as const;

describe('SSRF: delivery refuses forbidden targets', () => {
  // The cloud's agent: https only, no loopback. Names resolve through a table, not DNS.
  const names = new Map<string, { address: string; family: number }[]>();
  const agent = createGuardedAgent({ allowLoopback: false, requireHttps: true, connectTimeoutMs: 2_000, resolveHost: async (host) => names.get(host) ?? [] });
  let listener: Server;
  let connections = 0;
  let port = 0;

  beforeAll(async () => {
    // A listener on loopback: any connection the guard lets through to 127.0.0.1 would be counted here.
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
    port = (listener.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await agent.close();
    await new Promise((done) => listener.close(done));
  });

  it.each(FORBIDDEN_HOSTS)('refuses the literal %s (%s)', async (host) => {
    const result = await postJson({ url: `https://${host}:${port}/hooks`, json: { hello: 'world' } }, { agent, timeoutMs: 3_000 });
    expect(result).toMatchObject({ ok: false, kind: 'refused-address' });
    expect(connections).toBe(0);
  });

  it.each(FORBIDDEN_ADDRESSES)('refuses a name that resolves to %s', async (address, family) => {
    const name = `hook-${randomBytes(4).toString('hex')}.attacker.test`;
    names.set(name, [{ address, family }]);
    const result = await postJson({ url: `https://${name}:${port}/hooks`, json: { hello: 'world' } }, { agent, timeoutMs: 3_000 });
    expect(result).toMatchObject({ ok: false, kind: 'refused-address' });
    expect(connections).toBe(0);
  });

  it('refuses a name when any one of its addresses is forbidden (DNS rebinding by a second record)', async () => {
    names.set('mixed.attacker.test', [
      { address: '93.184.216.34', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ]);
    const result = await postJson({ url: `https://mixed.attacker.test:${port}/hooks`, json: {} }, { agent, timeoutMs: 3_000 });
    expect(result).toMatchObject({ ok: false, kind: 'refused-address' });
  });

  it('refuses http:, other schemes and credentials in the URL', async () => {
    names.set('public.example.test', [{ address: '93.184.216.34', family: 4 }]);
    for (const url of ['http://public.example.test/hooks', 'ftp://public.example.test/x', 'https://user:pw@public.example.test/x', 'file:///etc/passwd']) {
      const result = await postJson({ url, json: {} }, { agent, timeoutMs: 3_000 });
      expect(result, url).toMatchObject({ ok: false, kind: 'bad-url' });
    }
  });
});

// ---- through the API ----

const ACME_KEY = registerSecret(newApiKey());
const OTHER_KEY = registerSecret(newApiKey());
const SIGNING_SECRET = registerSecret(randomBytes(24).toString('hex'), 'Slack signing secret');
const MM_TOKEN = registerSecret(randomBytes(16).toString('base64url'), 'Mattermost token');

let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline({
    settings: {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      TENANTS: JSON.stringify([
        { id: 'acme', api_key_sha256: [hashSecret(ACME_KEY)], webhook_secrets: [registerSecret(newWebhookSecret())], slack_team_ids: ['T0ACME'], mattermost_token_sha256: [hashSecret(MM_TOKEN)] },
        { id: 'other', api_key_sha256: [hashSecret(OTHER_KEY)], webhook_secrets: [registerSecret(newWebhookSecret())] },
      ]),
    },
  });
}, 30_000);
afterAll(async () => {
  await p?.stop();
});

async function call(method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; type: string; json: any }> {
  const res = await request(`${p.gateway.url}${path}`, { method: method as 'GET', headers: opts.headers ?? {}, body: opts.body });
  const text = await res.body.text();
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), json: text ? JSON.parse(text) : null };
}

const exportBody = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ image_id: SIM_DEFAULTS.images.exportable, bucket_url: `auth:${randomUUID()}.qcow2`, file_format: 'qcow2', ...over });

async function acmeRequest(): Promise<string> {
  const res = await call('POST', '/v1/exports', { headers: { authorization: `Bearer ${ACME_KEY}`, 'content-type': 'application/json' }, body: exportBody() });
  expect(res.status).toBe(202);
  return res.json.id as string;
}

describe('auth: the API refuses callers without the right key', () => {
  const malformed: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['an unknown key', { authorization: `Bearer ${newApiKey()}` }],
    ['a key of the right shape with one character changed', { authorization: `Bearer ${ACME_KEY.slice(0, -1)}${ACME_KEY.endsWith('A') ? 'B' : 'A'}` }],
    ['"Bearer" alone', { authorization: 'Bearer' }],
    ['"Bearer " and spaces', { authorization: 'Bearer    ' }],
    ['the key without "Bearer"', { authorization: ACME_KEY }],
    ['Basic auth with the key', { authorization: `Basic ${Buffer.from(`acme:${ACME_KEY}`).toString('base64')}` }],
    ['two keys', { authorization: `Bearer ${ACME_KEY} ${ACME_KEY}` }],
    ['the key in another header', { 'x-api-key': ACME_KEY }],
  ];
  const routes: [string, (id: string) => string, string | undefined][] = [
    ['POST', () => '/v1/exports', exportBody()],
    ['POST', () => '/v1/imports', JSON.stringify({ name: 'x', image_url: 'b:o.qcow2', min_disk: 40, os_version: 'Ubuntu 18.04 server 64bit' })],
    ['POST', () => '/v1/captures', JSON.stringify({ name: 'x', instance_id: randomUUID() })],
    ['GET', (id) => `/v1/requests/${id}`, undefined],
    ['DELETE', (id) => `/v1/requests/${id}`, undefined],
    ['GET', () => '/v1/requests', undefined],
  ];

  it('answers 401 problem+json for every route and every malformed or wrong credential, and changes nothing', async () => {
    const id = await acmeRequest();
    const before = await call('GET', `/v1/requests/${id}`, { headers: { authorization: `Bearer ${ACME_KEY}` } });
    for (const [what, headers] of malformed) {
      for (const [method, path, body] of routes) {
        const res = await call(method, path(id), { headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
        expect({ what, method, path: path(id), status: res.status, type: res.type }).toEqual({ what, method, path: path(id), status: 401, type: expect.stringMatching(/^application\/problem\+json/) });
        expect(res.json).toMatchObject({ type: expect.any(String), title: expect.any(String), status: 401 });
      }
    }
    const after = await call('GET', `/v1/requests/${id}`, { headers: { authorization: `Bearer ${ACME_KEY}` } });
    expect(after.json).toEqual(before.json);
  });

  it("answers 404, not 403, for another tenant's request, and leaves it alone", async () => {
    const id = await acmeRequest();
    const other = { authorization: `Bearer ${OTHER_KEY}` };
    const get = await call('GET', `/v1/requests/${id}`, { headers: other });
    const del = await call('DELETE', `/v1/requests/${id}`, { headers: other });
    const unknown = await call('GET', `/v1/requests/req_${'0'.repeat(26)}`, { headers: other });
    expect([get.status, del.status]).toEqual([404, 404]);
    // The same answer as for an id that does not exist at all: nothing tells the two apart.
    expect({ type: get.json.type, title: get.json.title }).toEqual({ type: unknown.json.type, title: unknown.json.title });
    const list = await call('GET', '/v1/requests?limit=100', { headers: other });
    expect(list.json.items.map((r: { id: string }) => r.id)).not.toContain(id);
    const mine = await call('GET', `/v1/requests/${id}`, { headers: { authorization: `Bearer ${ACME_KEY}` } });
    expect(mine.json.status).not.toBe('cancelled');
  });
});

describe('auth: chat commands', () => {
  const form = (over: Record<string, string> = {}) =>
    new URLSearchParams({ team_id: 'T0ACME', user_id: 'U1', user_name: 'ada', command: '/ims', text: 'help', response_url: 'https://hooks.slack.com/commands/T0ACME/1/x', trigger_id: randomUUID(), ...over }).toString();
  const sign = (body: string, ts: number, secret = SIGNING_SECRET) => ({
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`,
    'x-slack-request-timestamp': String(ts),
  });
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a signed Slack command (the control case)', async () => {
    const body = form();
    expect((await call('POST', '/v1/chatops/slack', { headers: sign(body, now()), body })).status).toBe(200);
  });

  it.each([
    ['a signature made with another secret', (b: string) => sign(b, now(), 'not-the-signing-secret')],
    ['a timestamp 6 minutes old', (b: string) => sign(b, now() - 360)],
    ['a timestamp 6 minutes ahead', (b: string) => sign(b, now() + 360)],
    ['no signature', () => ({ 'content-type': 'application/x-www-form-urlencoded' })],
    ['a signature that is not hex', (b: string) => ({ ...sign(b, now()), 'x-slack-signature': 'v0=zz' })],
    ['a signature for another body', (b: string) => sign(`${b}&x=1`, now())],
  ])('refuses a Slack command with %s: 401', async (_what, headers) => {
    const body = form();
    const res = await call('POST', '/v1/chatops/slack', { headers: headers(body), body });
    expect(res.status).toBe(401);
  });

  it('refuses the replay of a signed Slack command: 401', async () => {
    const body = form({ text: `export ${SIM_DEFAULTS.images.exportable} auth:replay-${randomUUID()}.qcow2 qcow2` });
    const headers = sign(body, now());
    expect((await call('POST', '/v1/chatops/slack', { headers, body })).status).toBe(200);
    expect((await call('POST', '/v1/chatops/slack', { headers, body })).status).toBe(401);
  });

  it('refuses a Mattermost command with a wrong or missing token: 401', async () => {
    for (const token of [`${MM_TOKEN}x`, '', 'x'.repeat(600)]) {
      const body = new URLSearchParams({ token, team_id: 'mm', user_id: 'u', command: '/ims', text: 'help', response_url: 'https://mm.example.test/hooks/x' }).toString();
      const res = await call('POST', '/v1/chatops/slack', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect({ token: token.slice(0, 8), status: res.status }).toEqual({ token: token.slice(0, 8), status: 401 });
    }
  });
});

describe('SSRF at intake', () => {
  // Names are judged at delivery; a literal private, link-local, metadata, CGNAT or ULA address can be refused at once.
  it.each(['https://10.0.0.1/hook', 'https://169.254.169.254/latest/meta-data/', 'https://[::ffff:169.254.169.254]/hook', 'https://100.64.0.1/hook', 'https://[fd00::1]/hook', 'https://0.0.0.0/hook'])(
    'refuses callback_url %s with 422',
    async (url) => {
      const res = await call('POST', '/v1/exports', { headers: { authorization: `Bearer ${ACME_KEY}`, 'content-type': 'application/json' }, body: exportBody({ callback_url: url }) });
      expect(res.status).toBe(422);
      expect(JSON.stringify(res.json)).toContain('callback_url');
    },
  );
});
