// Slash commands end to end over real sockets: a signed form → local API Gateway stand-in (base64
// body) → the real intake handler → dynalite and fauxqs; and completion messages posted by
// notifyChat to a fake Slack on 127.0.0.1 through the SSRF-guarded agent.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatopsHandler } from '../../handlers/chatops.js';
import { createIntakeHandler } from '../../handlers/intake.js';
import { isChatopsPath } from '../../lib/chatops/slash.js';
import type { ApiDeps } from '../../lib/api/deps.js';
import { sqsClient } from '../../lib/aws.js';
import { notifyChat } from '../../lib/chatops/notify.js';
import { parseConfig } from '../../lib/jobs-config.js';
import type { StoredRequest } from '../../lib/requests/record.js';
import { buildApiDeps } from '../../lib/runtime.js';
import { hashSecret, newApiKey, newWebhookSecret, type Tenant } from '../../lib/tenants.js';
import { createGuardedAgent } from '../../lib/webhooks/guard.js';
import { startHttpGateway, type LocalGateway } from '../../local/http-gateway.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startLocalServices, type LocalServices } from '../../local/services.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';
import { registerSecret } from '../helpers/secrets.js';
import { finishedExportFixture } from '../helpers/records.js';
import { slackMessage } from '../helpers/chat-messages.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const IMAGE = '0f8a1f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const SIGNING_SECRET = registerSecret(randomBytes(20).toString('hex'), 'Slack signing secret');
const MM_TOKEN = registerSecret(randomBytes(16).toString('base64url'), 'Mattermost token');
// Slack's response URLs and incoming webhooks carry a token in their path: it must never be logged.
const RESPONSE_TOKEN = registerSecret(`resp${randomBytes(12).toString('hex')}`, 'Slack response_url token');
const HOOK_TOKEN = registerSecret(`hook${randomBytes(12).toString('hex')}`, 'Slack incoming webhook token');

interface Received {
  path: string;
  body: unknown;
}

let services: LocalServices;
let gateway: LocalGateway;
let deps: ApiDeps;
let settings: Record<string, string>;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Paths the fake Slack answers with this status instead of 200. */
const failingPaths = new Map<string, number>();

const responseUrl = () => `${receiverUrl}/commands/T0ACME/1234/${RESPONSE_TOKEN}`;
const hookPath = `/services/T0ACME/B0001/${HOOK_TOKEN}`;

/** The API and the chat commands, each routed to its own function as API Gateway does, over these deps. */
const gatewayOver = (d: ApiDeps) =>
  startHttpGateway({ handler: createIntakeHandler(() => d), routes: [{ matches: isChatopsPath, handler: createChatopsHandler(() => d), functionName: 'chatops' }] });

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') });
      res.writeHead(failingPaths.get(path) ?? 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  services = await startLocalServices({ visibilityTimeoutSeconds: 1 });
  settings = {
    ...services.settings,
    IMS_PROJECT_ID: PROJECT,
    IMS_USER: 'u',
    IMS_PASSWORD: 'p',
    IMS_DOMAIN: 'd',
    ALLOW_LOOPBACK_WEBHOOKS: 'true',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    TENANTS: JSON.stringify([
      {
        id: 'acme',
        api_key_sha256: [hashSecret(newApiKey())],
        webhook_secrets: [newWebhookSecret()],
        slack_team_ids: ['T0ACME'],
        mattermost_token_sha256: [hashSecret(MM_TOKEN)],
        chat_webhook_url: `${receiverUrl}${hookPath}`,
      },
      { id: 'other', api_key_sha256: [hashSecret(newApiKey())], webhook_secrets: [newWebhookSecret()], slack_team_ids: ['T0OTHER'] },
    ]),
  };
  deps = buildApiDeps(parseConfig(settings));
  gateway = await gatewayOver(deps);
});

afterAll(async () => {
  await gateway?.close();
  await services?.stop();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

function slashForm(text: string, over: Record<string, string> = {}): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0ACME',
    team_domain: 'acme',
    channel_id: 'C0001',
    user_id: 'U0001',
    user_name: 'ada',
    command: '/ims',
    text,
    response_url: responseUrl(),
    trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
    ...over,
  }).toString();
}

/** Signs as Slack documents it: v0= hex HMAC-SHA256 of "v0:{timestamp}:{body}". */
function signed(body: string, timestamp = Math.floor(Date.now() / 1000), secret = SIGNING_SECRET) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
}

async function post(body: string, headers: Record<string, string>, via = gateway) {
  const res = await request(`${via.url}/v1/chatops/slack`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : null };
}

async function drainQueue(): Promise<unknown[]> {
  const sqs = sqsClient({ endpoint: services.sqsEndpoint, region: services.region });
  const bodies: unknown[] = [];
  for (;;) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: services.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
    if (!got.Messages?.length) return bodies;
    bodies.push(...got.Messages.map((m) => JSON.parse(m.Body ?? 'null')));
  }
}

const requestIdIn = (reply: { text: string }) => /req_[0-9A-Z]{26}/.exec(reply.text)?.[0] ?? null;

async function stored(id: string): Promise<StoredRequest> {
  const found = await deps.store.get(id);
  if (!found || found instanceof Error) throw new Error(`request ${id} is not stored`);
  return found;
}

describe('slash commands through the chatops function', () => {
  it('answers another method on the path with the API\'s 405 problem naming POST', async () => {
    const res = await request(`${gateway.url}/v1/chatops/slack`, { method: 'GET' });
    const body = (await res.body.json()) as { type: string; status: number };
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(body).toMatchObject({ type: 'https://ims-transfer.dev/problems/method-not-allowed', status: 405 });
  });

  beforeEach(async () => {
    await drainQueue();
  });

  it('creates one export request from a signed command, answers with its id, and refuses the replay', async () => {
    const body = slashForm(`export ${IMAGE} ims-image:chat-export.qcow2`);
    const headers = signed(body);
    const before = Date.now();
    const first = await post(body, headers);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Export request req_\w+ accepted$/) });
    expect(slackMessage.safeParse(first.json).success).toBe(true);
    const id = requestIdIn(first.json);
    if (!id) throw new Error('no request id in the reply');

    const record = await stored(id);
    expect(record).toMatchObject({ kind: 'export', status: 'queued', tenant: 'acme', params: { image_id: IMAGE, bucket_url: 'ims-image:chat-export.qcow2', file_format: 'qcow2' } });
    expect(record.internal.chat).toMatchObject({ response_url: responseUrl(), response_uses: 0 });
    const expires = Date.parse(record.internal.chat?.expires_at ?? '');
    expect(expires - before).toBeGreaterThanOrEqual(30 * 60_000 - 1000);
    expect(expires - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect(await drainQueue()).toEqual([{ request_id: id }]);

    const replay = await post(body, headers);
    expect(replay.status).toBe(401);
    expect(replay.json.detail).toBe('This Slack signature was already used: a replayed request is refused.');
    expect(await drainQueue()).toEqual([]);
  });

  it('creates nothing new when a replay reaches another container, whose cache never saw it', async () => {
    const body = slashForm(`capture ${IMAGE} chat capture`);
    const headers = signed(body);
    const first = await post(body, headers);
    const id = requestIdIn(first.json);
    expect(id).not.toBeNull();
    await drainQueue();

    const otherContainer = buildApiDeps(parseConfig(settings));
    const otherGateway = await gatewayOver(otherContainer);
    try {
      const replay = await post(body, headers, otherGateway);
      expect(replay.status).toBe(401);
      expect(replay.json.detail).toBe('This Slack signature was already used: a replayed request is refused.');
    } finally {
      await otherGateway.close();
    }
    expect(await drainQueue()).toEqual([]);
    const page = await deps.store.list('acme', { kind: 'capture', limit: 100 });
    if (page instanceof Error) throw page;
    expect(page.items.filter((r) => r.params.name === 'chat capture').map((r) => r.id)).toEqual([id]);
  });

  it('refuses forged, stale and unsigned commands with 401 saying what was wrong with the chat request, and creates nothing', async () => {
    const body = slashForm(`export ${IMAGE} ims-image:forged.qcow2`);
    const forged = await post(body, signed(body, undefined, 'a-guessed-secret'));
    const stale = await post(body, signed(body, Math.floor(Date.now() / 1000) - 360));
    const future = await post(body, signed(body, Math.floor(Date.now() / 1000) + 360));
    const unsigned = await post(body, {});
    const details = [forged, stale, future, unsigned].map((res) => {
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers).not.toHaveProperty('www-authenticate');
      expect(res.json).toMatchObject({ status: 401, type: 'https://ims-transfer.dev/problems/chat-unverified', title: 'Chat request not verified' });
      expect(res.json.detail).not.toContain('API key');
      return res.json.detail as string;
    });
    expect(details[0]).toContain('X-Slack-Signature does not match the body');
    expect(details[1]).toContain('more than 5 minutes old');
    expect(details[2]).toContain('more than 5 minutes ahead');
    expect(details[3]).toContain("No X-Slack-Signature, and the token is no tenant's Mattermost token");
    expect(new Set(details).size).toBe(4);
    expect(await drainQueue()).toEqual([]);
  });

  it('says so when the service has no Slack signing secret to verify with', async () => {
    const unconfigured = buildApiDeps(parseConfig({ ...settings, SLACK_SIGNING_SECRET: '' }));
    const unconfiguredGateway = await gatewayOver(unconfigured);
    try {
      const body = slashForm('list');
      const res = await post(body, signed(body), unconfiguredGateway);
      expect(res.status).toBe(401);
      expect(res.json.detail).toBe('The service cannot verify Slack requests: SLACK_SIGNING_SECRET is not set. Ask its operators.');
      expect(res.headers).not.toHaveProperty('www-authenticate');
    } finally {
      await unconfiguredGateway.close();
    }
  });

  it('tells a verified but unmapped workspace, in chat, that it is not connected', async () => {
    const body = slashForm('list', { team_id: 'T0NOBODY' });
    const res = await post(body, signed(body));
    expect(res.status).toBe(200);
    expect(res.json.response_type).toBe('ephemeral');
    expect(JSON.stringify(res.json)).toContain('This workspace (team `T0NOBODY`) is not connected');
  });

  it('answers usage errors in chat without creating anything', async () => {
    const body = slashForm('export not-an-image');
    const res = await post(body, signed(body));
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json)).toContain('export needs &lt;bucket:object&gt;');
    const invalid = slashForm('import ims-image:x.qcow2 centos 9999');
    const refused = await post(invalid, signed(invalid));
    expect(JSON.stringify(refused.json)).toContain('`min_disk`: must be between 1 and 1024 GB');
    expect(await drainQueue()).toEqual([]);
  });

  it('answers status and list from the store, showing only the tenant\'s own requests', async () => {
    const mineBody = slashForm(`export ${IMAGE} ims-image:status-mine.qcow2 vhd`);
    const mine = requestIdIn((await post(mineBody, signed(mineBody))).json);
    const theirsBody = slashForm(`export ${IMAGE} ims-image:status-theirs.qcow2 vhd`, { team_id: 'T0OTHER' });
    const theirs = requestIdIn((await post(theirsBody, signed(theirsBody))).json);
    expect(mine && theirs).toBeTruthy();

    const statusBody = slashForm(`status ${mine}`);
    const status = await post(statusBody, signed(statusBody));
    expect(status.status).toBe(200);
    expect(slackMessage.safeParse(status.json).success).toBe(true);
    expect(JSON.stringify(status.json)).toContain('`ims-image:status-mine.qcow2` (vhd)');

    const foreignBody = slashForm(`status ${theirs}`);
    expect(JSON.stringify((await post(foreignBody, signed(foreignBody))).json)).toContain(`No request \`${theirs}\``);

    const listBody = slashForm('list');
    const list = JSON.stringify((await post(listBody, signed(listBody))).json);
    expect(list).toContain(mine);
    expect(list).not.toContain(theirs);
  });

  it('takes Mattermost commands by token, refusing a wrong one', async () => {
    const form = (token: string) =>
      new URLSearchParams({
        token,
        team_id: 'mmteam',
        user_id: 'mmuser',
        command: '/ims',
        text: 'import ims-image:mm.qcow2 mm-image 40 Ubuntu 18.04 server 64bit',
        response_url: `${receiverUrl}/hooks/commands/mm${randomBytes(4).toString('hex')}`,
        trigger_id: randomBytes(8).toString('hex'),
      }).toString();
    const wrong = await post(form(`${MM_TOKEN}-wrong`), {});
    expect(wrong.status).toBe(401);
    expect(wrong.json.detail).toContain("the token is no tenant's Mattermost token");
    expect(wrong.headers).not.toHaveProperty('www-authenticate');
    const right = await post(form(MM_TOKEN), {});
    expect(right.status).toBe(200);
    expect(right.json).not.toHaveProperty('blocks');
    const id = requestIdIn(right.json);
    if (!id) throw new Error('no request id in the reply');
    expect(await stored(id)).toMatchObject({ kind: 'import', params: { os_version: 'Ubuntu 18.04 server 64bit', min_disk: 40 } });
    expect(await drainQueue()).toEqual([{ request_id: id }]);
  });

  it('keeps no response_url that is not the command platform\'s or not allowed', async () => {
    const body = slashForm(`export ${IMAGE} ims-image:odd-url.qcow2`, { response_url: 'https://hooks.slack.com.attacker.example/commands/x' });
    const id = requestIdIn((await post(body, signed(body))).json);
    if (!id) throw new Error('no request id in the reply');
    expect((await stored(id)).internal.chat).toMatchObject({ response_url: null, expires_at: null });
  });
});

describe('completion messages', () => {
  const agent = createGuardedAgent({ allowLoopback: true, requireHttps: false });
  const NOW = new Date('2026-03-01T10:10:00Z');
  let tenant: Tenant;

  beforeAll(() => {
    const found = deps.tenants.byId('acme');
    if (!found) throw new Error('tenant acme is missing');
    tenant = found;
  });

  beforeEach(() => {
    received.length = 0;
    failingPaths.clear();
  });

  afterAll(async () => {
    await agent.close();
  });

  /** An export of IMAGE to ims-image:done.qcow2 that succeeded, from a command whose response_url is the fake Slack's. */
  function finished(over: Partial<StoredRequest>, chat: Partial<NonNullable<StoredRequest['internal']['chat']>> = {}): StoredRequest {
    return finishedExportFixture(
      { params: { image_id: IMAGE, bucket_url: 'ims-image:done.qcow2', file_format: 'qcow2' }, project_id: PROJECT, image_id: IMAGE, ...over },
      { response_url: responseUrl(), ...chat },
    );
  }

  const notify = (record: StoredRequest, now = NOW) => notifyChat(record, tenant, { agent, now: () => now, allowLoopback: true, timeoutMs: 2_000 });

  it('posts a valid Block Kit message for a success to the response_url', async () => {
    const result = await notify(finished({}));
    expect(result).toEqual({ ok: true, target: 'response_url', status: 200, usedResponseUrl: true });
    expect(received).toHaveLength(1);
    expect(received[0]?.path).toBe(`/commands/T0ACME/1234/${RESPONSE_TOKEN}`);
    const message = received[0]?.body;
    expect(slackMessage.safeParse(message).success).toBe(true);
    expect(message).toMatchObject({ response_type: 'in_channel', text: 'Export req_01J9ZC5K7Q3T8V6W2X4Y0A1B2C succeeded' });
    expect(JSON.stringify(message)).toContain('*Duration*\\n9 min 30 s');
  });

  it('carries the IMS error code and reason of a failure', async () => {
    const failed = finished({ status: 'failed', image_id: null, error: { code: 'IMG.0070', message: 'The file already exists in the OBS bucket.', source: 'ims' } });
    expect(await notify(failed)).toMatchObject({ ok: true, target: 'response_url' });
    const message = received[0]?.body;
    expect(slackMessage.safeParse(message).success).toBe(true);
    expect(JSON.stringify(message)).toContain('*IMS error IMG.0070*\\n>The file already exists in the OBS bucket.');
  });

  it('falls back to the tenant\'s incoming webhook once the response_url is used 5 times or 30 minutes old', async () => {
    const spent = await notify(finished({}, { response_uses: 5 }));
    const expired = await notify(finished({}), new Date('2026-03-01T10:30:01Z'));
    for (const result of [spent, expired]) expect(result).toEqual({ ok: true, target: 'chat_webhook', status: 200, usedResponseUrl: false });
    expect(received.map((r) => r.path)).toEqual([hookPath, hookPath]);
    for (const r of received) expect(slackMessage.safeParse(r.body).success).toBe(true);
  });

  it('falls back to the incoming webhook when the response_url refuses, counting the use', async () => {
    failingPaths.set(`/commands/T0ACME/1234/${RESPONSE_TOKEN}`, 404);
    const result = await notify(finished({}));
    expect(result).toEqual({ ok: true, target: 'chat_webhook', status: 200, usedResponseUrl: true });
    expect(received.map((r) => r.path)).toEqual([`/commands/T0ACME/1234/${RESPONSE_TOKEN}`, hookPath]);
  });

  it('says so when nothing could be reached', async () => {
    failingPaths.set(hookPath, 500);
    const result = await notify(finished({}, { response_url: null }));
    expect(result).toMatchObject({ ok: false, kind: 'delivery-failed', usedResponseUrl: false, failures: [{ target: 'chat_webhook', message: 'receiver answered HTTP 500' }] });
    const none = await notifyChat(finished({}, { response_url: null }), { ...tenant, chat_webhook_url: null }, { agent, now: () => NOW, allowLoopback: true });
    expect(none).toMatchObject({ ok: false, kind: 'no-target' });
  });

  it('reaches nothing on loopback with the cloud\'s agent and settings', async () => {
    const cloudAgent = createGuardedAgent({ allowLoopback: false, requireHttps: true });
    try {
      const result = await notifyChat(finished({}), tenant, { agent: cloudAgent, now: () => NOW, allowLoopback: false, timeoutMs: 2_000 });
      expect(result).toMatchObject({ ok: false, kind: 'delivery-failed' });
      expect(received).toEqual([]);
    } finally {
      await cloudAgent.close();
    }
  });
});

describe('from a slash command to the completion message, through worker, IMS simulator and poller', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await startPipeline({
      // The worker and poller as the runtime builds them, with their own chat notifier.
      settings: { SLACK_SIGNING_SECRET: SIGNING_SECRET, TENANTS: settings.TENANTS ?? '' },
    });
  });

  afterAll(async () => {
    await p?.stop();
  });

  beforeEach(() => {
    received.length = 0;
    failingPaths.clear();
  });

  async function command(text: string): Promise<string> {
    const body = slashForm(text);
    const res = await post(body, signed(body), p.gateway);
    expect(res.status).toBe(200);
    const id = requestIdIn(res.json);
    if (!id) throw new Error(`no request id in ${JSON.stringify(res.json)}`);
    return id;
  }

  async function completionOf(id: string): Promise<{ message: unknown; record: StoredRequest }> {
    const posted = () => received.find((r) => JSON.stringify(r.body).includes(id));
    await p.settle(async () => posted() !== undefined);
    const record = await p.worker.store.get(id);
    if (!record || record instanceof Error) throw new Error(`request ${id} is not stored`);
    return { message: posted()?.body, record };
  }

  it('posts the success of an exported image to the command\'s response_url', async () => {
    const id = await command(`export ${SIM_DEFAULTS.images.exportable} ims-exports:chat/centos.qcow2`);
    const { message, record } = await completionOf(id);
    expect(record.status).toBe('succeeded');
    expect(record.internal.chat?.response_uses).toBe(1);
    expect(received.map((r) => r.path)).toEqual([`/commands/T0ACME/1234/${RESPONSE_TOKEN}`]);
    expect(slackMessage.safeParse(message).success).toBe(true);
    expect(message).toMatchObject({ response_type: 'in_channel', text: `Export ${id} succeeded` });
  });

  it('logs the chat post among the request\'s deliveries, by origin only, and shows it as the last delivery in `status`', async () => {
    const id = await command(`export ${SIM_DEFAULTS.images.exportable} ims-exports:chat/logged.qcow2`);
    await completionOf(id);
    const items = (await p.worker.deliveries?.list(id)) ?? [];
    const chat = items.filter((d) => d.type === 'chat');
    expect(chat).toEqual([
      expect.objectContaining({ event_id: expect.stringMatching(/^chat_/), attempt: 1, url_origin: new URL(receiverUrl).origin, status_code: 200, error: null }),
    ]);
    expect(JSON.stringify(items)).not.toContain(RESPONSE_TOKEN);
    const body = slashForm(`status ${id}`);
    const reply = JSON.stringify((await post(body, signed(body), p.gateway)).json);
    expect(reply).toContain('Last delivery');
    expect(reply).toContain(`attempt ${items.at(-1)?.attempt} to ${items.at(-1)?.url_origin}`);
  });

  it('posts a failed IMS job with its error code and reason', async () => {
    const id = await command(`export ${SIM_DEFAULTS.images.exportable} sim-fail-bucket:chat/x.qcow2 vmdk`);
    const { message, record } = await completionOf(id);
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ source: 'ims', code: expect.stringMatching(/^IMG\.\d{4}$/) });
    expect(slackMessage.safeParse(message).success).toBe(true);
    const text = JSON.stringify(message);
    expect(text).toContain(`*IMS error ${record.error?.code}*`);
    expect(text).toContain(`Export ${id} failed (${record.error?.code})`);
  });
});
