// Trust at the boundary, end to end on the local stack (the real handlers on dynalite, fauxqs and the
// IMS simulator): tenants from a LOCAL_TENANTS_FILE, each fenced into its IMS projects at every entry
// point (HTTP, chat, queue) with no IMS call of any kind for a refused request; exports IMS is bound
// to refuse end `precheck` before any submission; credentials IMS refuses end `auth` at once.
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClient } from '../../lib/aws.js';
import type { RequestRecord } from '../../lib/requests/record.js';
import { hashSecret, newApiKey, newWebhookSecret } from '../../lib/tenants.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { readTenantsFile } from '../../local/tenants-file.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/pipeline.js';
import { registerSecret } from '../helpers/secrets.js';

const ACME_PROJECT = 'acec0000000000000000000000000001';
const SIM_PROJECT = SIM_DEFAULTS.projectId;
const ACME_TEAM = 'TACME0001';
const acmeKey = registerSecret(newApiKey());
const wrongKey = registerSecret(newApiKey());
const acmeSecret = registerSecret(newWebhookSecret());
const wrongPassword = registerSecret('not-the-sim-password');

let dir: string;
let stack: LocalStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ims-fences-'));
  receiver = await startWebhookReceiver(acmeSecret);
  const file = join(dir, 'tenants.json');
  await writeFile(
    file,
    JSON.stringify([
      // acme may act only in its own project, which the service's default is not.
      { id: 'acme', api_key_sha256: [hashSecret(acmeKey)], webhook_secrets: [acmeSecret], slack_team_ids: [ACME_TEAM], ims_projects: [{ region: 'eu-de', project_id: ACME_PROJECT }], default_callback_url: receiver.url },
      // wrongcreds acts in the simulator's project with its own credentials, which IAM refuses.
      {
        id: 'wrongcreds',
        api_key_sha256: [hashSecret(wrongKey)],
        webhook_secrets: [acmeSecret],
        ims_projects: [{ region: 'eu-de', project_id: SIM_PROJECT }],
        ims_credentials: { user: SIM_DEFAULTS.user, password: wrongPassword, domain: SIM_DEFAULTS.domain },
        default_callback_url: receiver.url,
      },
    ]),
  );
  const tenants = await readTenantsFile(file, ['local']);
  if (!tenants.ok) throw new Error(tenants.problem);
  stack = await startLocalStack({ simJobMs: 1_000, pollIntervalMs: 300, extraTenants: tenants.tenants, webhookUrl: receiver.url });
  registerSecret(stack.apiKey);
  registerSecret(stack.slackSigningSecret);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

interface SimCall { method: string; path: string; service?: string; body: unknown }

async function simCalls(): Promise<SimCall[]> {
  const res = await request(`${stack.simUrl}/_sim/calls`);
  return (await res.body.json()) as SimCall[];
}

async function api(method: string, path: string, key: string, body?: unknown) {
  const res = await request(`${stack.apiUrl}${path}`, {
    method: method as 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : null };
}

async function slash(teamId: string, text: string) {
  const body = new URLSearchParams({ token: 'x', team_id: teamId, user_id: 'U1', command: '/ims', text, response_url: '', trigger_id: `t${Date.now()}${Math.random()}` }).toString();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', stack.slackSigningSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const res = await request(`${stack.apiUrl}/v1/chatops/slack`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature },
    body,
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const exportBody = (extra: Record<string, unknown> = {}) => ({ image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'fence-bucket:x.qcow2', file_format: 'qcow2', ...extra });

describe('tenant fences', () => {
  it('refuse another tenant\'s project at every entry point, before anything is stored and with no IMS call of any kind', async () => {
    const before = (await simCalls()).length;
    const listed = async (key: string) => ((await api('GET', '/v1/requests?limit=100', key)).json.items as RequestRecord[]).length;
    const [localBefore, acmeBefore] = [await listed(stack.apiKey), await listed(acmeKey)];

    // HTTP: tenant local naming acme's project, acme naming the service's default project or another region.
    for (const [key, body] of [
      [stack.apiKey, exportBody({ project_id: ACME_PROJECT })],
      [acmeKey, exportBody({ project_id: SIM_PROJECT })],
      [acmeKey, exportBody({ region: 'eu-nl' })],
    ] as const) {
      const res = await api('POST', '/v1/exports', key, body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.json).toMatchObject({ status: 403, type: expect.stringMatching(/\/forbidden$/) });
      expect(res.json.errors[0].path).toMatch(/^(project_id|region)$/);
    }

    // Chat: acme's workspace naming the service's project.
    const chat = await slash(ACME_TEAM, `export ${SIM_DEFAULTS.images.exportable} fence-bucket:c.qcow2 project=${SIM_PROJECT}`);
    expect(chat.status).toBe(403);
    expect(chat.json).toMatchObject({ type: expect.stringMatching(/\/forbidden$/) });

    expect(await listed(stack.apiKey)).toBe(localBefore);
    expect(await listed(acmeKey)).toBe(acmeBefore);

    // Queue: a producer's message for acme naming the service's project becomes a failed `forbidden` request and its webhook.
    const ref = `fence-queue-${Date.now()}`;
    const sqs = sqsClient({ endpoint: stack.services.sqsEndpoint, region: stack.services.region });
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.services.queueUrl, MessageBody: JSON.stringify({ kind: 'export', tenant: 'acme', request: exportBody({ project_id: SIM_PROJECT, client_ref: ref }) }) }));
    const failed = await waitFor(
      async () => ((await api('GET', '/v1/requests?limit=100', acmeKey)).json.items as RequestRecord[]).find((r) => r.client_ref === ref),
      (r) => r !== undefined && r.webhook.status === 'delivered',
    );
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'FORBIDDEN', source: 'forbidden', hint: expect.stringMatching(/\S/) }, ims_job_id: null });
    expect(receiver.deliveries.filter((d) => d.data.id === failed?.id).map((d) => d.type)).toEqual(['image.export.failed']);

    // No IAM token, no image look-up, no submission for any of them.
    expect((await simCalls()).slice(before)).toEqual([]);
  });

  it('lets a tenant act in its own project by default: a request naming none is placed in the tenant\'s first project', async () => {
    const res = await api('POST', '/v1/exports', acmeKey, exportBody({ bucket_url: 'fence-bucket:own.qcow2' }));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ region: 'eu-de', project_id: ACME_PROJECT });
  });
});

describe('pre-flight', () => {
  it('ends an ISO export, and an over-128-GB export without quick export, failed with source precheck, a hint and no submission, within seconds', async () => {
    const cases = [
      { image_id: SIM_DEFAULTS.images.iso, bucket_url: 'pre-bucket:iso.qcow2', file_format: 'qcow2' },
      { image_id: SIM_DEFAULTS.images.large, bucket_url: 'pre-bucket:large.qcow2', file_format: 'qcow2' },
    ];
    const started = Date.now();
    const ids: string[] = [];
    for (const body of cases) {
      const res = await api('POST', '/v1/exports', stack.apiKey, body);
      expect(res.status).toBe(202);
      ids.push(res.json.id);
    }
    for (const id of ids) {
      const done = await waitFor(async () => (await api('GET', `/v1/requests/${id}`, stack.apiKey)).json as RequestRecord, (r) => r.status === 'failed');
      expect(done).toMatchObject({ status: 'failed', attempts: 0, ims_job_id: null, error: { source: 'precheck', code: expect.stringMatching(/^IMG\.\d{4}$/), hint: expect.stringMatching(/\S/) } });
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    const posts = (await simCalls()).filter((c) => c.method === 'POST' && /^\/v1\/cloudimages\/[^/]+\/file$/.test(c.path));
    for (const body of cases) expect(posts.filter((c) => c.path.includes(body.image_id))).toEqual([]);
  });

  it('refuses a quick import of a .qcow2 file at intake, naming image_url, and stores nothing', async () => {
    const res = await api('POST', '/v1/imports', stack.apiKey, { name: 'quick-qcow2', image_url: 'pre-bucket:disk.qcow2', min_disk: 40, quick: true, os_version: 'CentOS 7.6 64bit' });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(['image_url']);
    const listed = (await api('GET', '/v1/requests?limit=100', stack.apiKey)).json.items as RequestRecord[];
    expect(listed.filter((r) => r.params.name === 'quick-qcow2')).toEqual([]);
  });
});

describe('credentials IMS refuses', () => {
  it('end a request with source auth after at most 2 IAM token calls, not after the retry budget', async () => {
    const before = (await simCalls()).length;
    const res = await api('POST', '/v1/captures', wrongKey, { name: 'wrong-creds', instance_id: '6b5d3ef5-1c4e-4d2b-9a0e-3c1f2a4b5c6d' });
    expect(res.status).toBe(202);
    const done = await waitFor(async () => (await api('GET', `/v1/requests/${res.json.id}`, wrongKey)).json as RequestRecord, (r) => r.status === 'failed', 15_000);
    expect(done).toMatchObject({ status: 'failed', error: { source: 'auth', hint: expect.stringMatching(/\S/) } });
    const calls = (await simCalls()).slice(before);
    expect(calls.filter((c) => c.path === '/v3/auth/tokens').length).toBeLessThanOrEqual(2);
    expect(calls.filter((c) => c.method === 'POST' && c.path === '/v2/cloudimages/action')).toEqual([]);
    expect(JSON.stringify(done)).not.toContain(wrongPassword);
  });
});
