// `npm start` as a user runs it: a child process on random free ports with its own data directory,
// driven over HTTP from export and import to `succeeded` and signed webhooks, used by
// `serverless invoke local` with every sample event, stopped with SIGINT and started again.
// The child prints the API key and secrets by design, so its output is kept here, never forwarded.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../lib/jobs-config.js';
import { hashSecret, newApiKey, newWebhookSecret } from '../../lib/tenants.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { localEnv } from '../../local/settings.js';
import { startWebhookReceiver, type ReceivedChatPost, type ReceivedDelivery, type RunningReceiver } from '../../local/webhook-receiver.js';
import { registerSecret } from '../helpers/secrets.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BANNER_END = 'Ctrl-C stops everything.';
/** Settings that steer the local stack; the child gets only the ones each test gives. */
const SETTINGS = [...Object.keys(envSchema.shape), ...Object.keys(localEnv.shape), 'SECRETS_PARAMETER'];

const secrets: string[] = [];
/** Text that may be shown in a failure message: every secret the child printed replaced. */
function redact(text: string): string {
  return secrets.reduce((t, s) => t.replaceAll(s, '<secret>'), text);
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of SETTINGS) delete env[name];
  return { ...env, ...extra };
}

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startChild(settings: Record<string, string>): Child {
  // node --import tsx rather than npm/tsx: one process, so the signal and exit code are its own.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env: cleanEnv(settings), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { process: child, stdout: () => out, stderr: () => err, exited };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, describeState = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${describeState()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Banner {
  apiUrl: string;
  apiKey: string;
  webhookSecret: string;
  slackSigningSecret: string;
  ports: { name: string; port: number }[];
}

function field(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`npm start printed no ${String(pattern)}`);
  return match[1];
}

/** Waits for the banner, registers the printed secrets for the suite's scan, and reads the URLs off it. */
async function readBanner(child: Child): Promise<Banner> {
  await until(
    'the banner of npm start',
    async () => {
      if (child.stdout().includes(BANNER_END)) return true;
      if (child.process.exitCode !== null) throw new Error(`npm start exited ${child.process.exitCode}: ${redact(child.stderr())}`);
      return undefined;
    },
    30_000,
    () => `; stderr: ${redact(child.stderr()).slice(-2000)}`,
  );
  const text = child.stdout();
  const apiKey = registerSecret(field(text, /API key \(tenant local\) (\S+)/));
  const webhookSecret = registerSecret(field(text, /Webhook secret\s+(whsec_\S+)/));
  const slackSigningSecret = registerSecret(field(text, /Slack signing secret\s+(\S+)/), 'Slack signing secret');
  secrets.push(apiKey, webhookSecret, slackSigningSecret);
  const port = (url: string) => Number(new URL(url).port);
  return {
    apiUrl: field(text, /API base URL\s+(http\S+?)\/v1\s/),
    apiKey,
    webhookSecret,
    slackSigningSecret,
    ports: [
      { name: 'API', port: port(field(text, /API base URL\s+(http\S+)/)) },
      { name: 'IMS simulator', port: port(field(text, /IMS\s+simulator at (http\S+)/)) },
      { name: 'DynamoDB', port: port(field(text, /DynamoDB \(dynalite\)\s+(http\S+)/)) },
      { name: 'SQS', port: port(field(text, /SQS \(fauxqs\)\s+(http\S+)/)) },
    ],
  };
}

async function api(banner: Banner, method: string, path: string, body?: unknown, key = banner.apiKey): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${banner.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A slash command as the platform sends it: Slack signed with the signing secret, Mattermost with its token in the form. */
async function slashCommand(banner: Banner, form: Record<string, string>, signingSecret?: string): Promise<{ status: number; text: string }> {
  const body = new URLSearchParams(form).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signingSecret) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    headers['x-slack-request-timestamp'] = timestamp;
    headers['x-slack-signature'] = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  }
  const res = await fetch(`${banner.apiUrl}/v1/chatops/slack`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe: Server = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

async function stopChild(child: Child): Promise<number | null> {
  child.process.kill('SIGINT');
  return Promise.race([child.exited, new Promise<never>((_, fail) => setTimeout(() => fail(new Error('npm start did not exit within 10 s of SIGINT')), 10_000))]);
}

/** `KEY='value'` lines as start.ts writes them (single quotes, `'\''` for a quote). */
function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)='(.*)'$/.exec(line);
    if (m?.[1]) env[m[1]] = (m[2] ?? '').replaceAll(`'\\''`, `'`);
  }
  return env;
}

const children: Child[] = [];
const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const child of children) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm start, as a child process', () => {
  const deliveries: ReceivedDelivery[] = [];
  const chatPosts: ReceivedChatPost[] = [];
  let receiver: RunningReceiver;
  let dataDir: string;
  let child: Child;
  let banner: Banner;
  const done: Record<string, Record<string, unknown>> = {};

  const settings = () => ({
    PORT: '0',
    LOCAL_SQS_PORT: '0',
    LOCAL_DYNAMODB_PORT: '0',
    IMS_SIM_PORT: '0',
    LOCAL_DATA_DIR: dataDir,
    LOCAL_WEBHOOK_URL: `${receiver.url}/webhook`,
    SIM_JOB_SECONDS: '1',
    POLL_INTERVAL_SECONDS: '0.5',
  });

  beforeAll(async () => {
    dataDir = tempDir('ims-transfer-local-');
    // The secret is known only once the child prints it; nothing is delivered before that.
    receiver = await startWebhookReceiver({
      port: 0,
      secret: () => banner?.webhookSecret ?? null,
      onDelivery: (d) => deliveries.push(d),
      onChatPost: (p) => chatPosts.push(p),
    });
    child = startChild(settings());
    children.push(child);
    banner = await readBanner(child);
  }, 40_000);

  afterAll(async () => {
    await receiver?.close();
  });

  it('keeps its credentials in the data directory, readable by the user only', () => {
    const file = join(dataDir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(stored.api_key === banner.apiKey && stored.webhook_secret === banner.webhookSecret && stored.slack_signing_secret === banner.slackSigningSecret).toBe(true);
    expect(statSync(join(dataDir, 'invoke.env')).mode & 0o777).toBe(0o600);
  });

  it('answers health without a key and refuses a wrong key', async () => {
    expect((await fetch(`${banner.apiUrl}/v1/health`)).status).toBe(200);
    expect((await api(banner, 'GET', '/v1/requests', undefined, 'imt_not-the-local-key-at-all')).status).toBe(401);
  });

  it('takes an export and a system-disk import from OBS to succeeded, each with a signed webhook', async () => {
    const exported = await api(banner, 'POST', '/v1/exports', {
      image_id: SIM_DEFAULTS.images.exportable,
      bucket_url: 'my-bucket:exports/local-stack.qcow2',
      file_format: 'qcow2',
      client_ref: 'local-stack-export',
    });
    const imported = await api(banner, 'POST', '/v1/imports', {
      name: 'ubuntu-18-local-stack',
      image_url: 'my-bucket:images/ubuntu18.qcow2',
      min_disk: 40,
      os_version: 'Ubuntu 18.04 server 64bit',
    });
    expect([exported.status, imported.status]).toEqual([202, 202]);

    for (const { json } of [exported, imported]) {
      const id = json.id as string;
      done[json.kind as string] = await until(
        `${id} to finish`,
        async () => {
          const { json: record } = await api(banner, 'GET', `/v1/requests/${id}`);
          return ['succeeded', 'failed', 'cancelled'].includes(record.status as string) ? record : undefined;
        },
        30_000,
        () => `; npm start said: ${redact(child.stdout().split(BANNER_END)[1] ?? '').slice(-2000)}`,
      );
    }
    expect(done.export).toMatchObject({ status: 'succeeded', client_ref: 'local-stack-export', image_id: SIM_DEFAULTS.images.exportable, error: null });
    expect(done.import).toMatchObject({ status: 'succeeded', error: null, params: { disk: 'system', os_version: 'Ubuntu 18.04 server 64bit' } });
    expect(done.import?.image_id).toMatch(/^[0-9a-f-]{36}$/);

    const verified = await until(
      'both webhooks',
      () => {
        const ok = deliveries.filter((d) => d.event !== null);
        return ok.length >= 2 ? ok : undefined;
      },
      15_000,
      () => `; deliveries: ${JSON.stringify(deliveries.map((d) => d.problem))}`,
    );
    expect(deliveries.filter((d) => d.event === null)).toEqual([]);
    expect(verified.map((d) => [d.event?.type, d.event?.data.id, d.path]).sort()).toEqual(
      [
        ['image.export.succeeded', done.export?.id, '/webhook'],
        ['image.import.succeeded', done.import?.id, '/webhook'],
      ].sort(),
    );
    const { json: listed } = await api(banner, 'GET', '/v1/requests?status=succeeded');
    expect((listed.items as { id: string }[]).map((r) => r.id)).toEqual(expect.arrayContaining([done.export?.id, done.import?.id]));
  }, 60_000);

  it('prints a curl that makes one request when pasted twice', async () => {
    const curl = child.stdout().split('\n').find((l) => l.trimStart().startsWith('curl ')) ?? '';
    const key = field(curl, /-H 'Idempotency-Key: ([^']+)'/);
    const body = field(curl, / -d '([^']+)'/);
    const url = field(curl, /-X POST (\S+)/);
    const paste = () =>
      fetch(url, { method: 'POST', headers: { authorization: `Bearer ${banner.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key }, body }).then(async (r) => ({
        status: r.status,
        json: (await r.json()) as { id: string },
      }));
    const first = await paste();
    const second = await paste();
    expect([first.status, second.status]).toEqual([202, 200]);
    expect(second.json.id).toBe(first.json.id);
  });

  it('shows a Slack command\'s completion in the receiver, as the README chat walkthrough does', async () => {
    const form = {
      team_id: 'T0LOCAL',
      user_id: 'U0LOCAL',
      command: '/ims',
      text: `export ${SIM_DEFAULTS.images.exportable} my-bucket:exports/chat.qcow2`,
      response_url: `${receiver.url}/slack`,
    };
    const accepted = await slashCommand(banner, form, banner.slackSigningSecret);
    expect(accepted.status, accepted.text).toBe(200);
    const id = /req_[0-9A-Z]{26}/.exec(accepted.text)?.[0];
    expect(id, accepted.text).toBeDefined();
    const posted = await until(
      'the completion in the receiver',
      () => chatPosts.find((p) => p.text.includes(`${String(id)} succeeded`)),
      20_000,
      () => `; chat posts: ${JSON.stringify(chatPosts)}; npm start said: ${redact(child.stdout().split(BANNER_END)[1] ?? '').slice(-2000)}`,
    );
    expect(posted).toMatchObject({ path: '/slack', platform: 'slack', responseType: 'in_channel' });
    // Nothing was refused on the way, and the failure of a chat post, had there been one, is a single line.
    expect(child.stdout()).not.toContain('chat notification failed');
  }, 30_000);

  it('serves `serverless invoke local` with every sample event in events/, through .local/invoke.env', async () => {
    const invokeEnv = readEnvFile(join(dataDir, 'invoke.env'));
    expect(invokeEnv.TENANTS).toBeDefined();
    const events = readdirSync(join(ROOT, 'events')).filter((f) => f.endsWith('.json'));
    expect(events.length).toBeGreaterThanOrEqual(8);
    const functionOf = (file: string) =>
      file.startsWith('http-') ? 'intake' : file.startsWith('page-') ? 'page' : file.startsWith('sqs-') ? 'worker' : file.startsWith('schedule') ? 'poller' : null;
    expect(events.filter((f) => functionOf(f) === null)).toEqual([]);

    const invoke = (file: string) =>
      new Promise<{ file: string; code: number | null; output: string }>((done, fail) => {
        // Its own esbuild folder, so parallel invocations do not remove each other's bundles.
        const workDir = tempDir(`ims-transfer-invoke-${basename(file, '.json')}-`);
        const p = spawn(join(ROOT, 'node_modules/.bin/serverless'), ['invoke', 'local', '-f', functionOf(file) as string, '-p', join(ROOT, 'events', file)], {
          cwd: ROOT,
          env: cleanEnv({ ...invokeEnv, ESBUILD_WORK_FOLDER: relative(ROOT, workDir) }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        p.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
        p.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
        p.on('error', fail);
        p.on('close', (code) => done({ file, code, output }));
      });
    /** The handler's answer: the pretty-printed JSON invoke local ends with (after one-line JSON logs); null when it returned nothing. */
    const answer = (output: string): Record<string, unknown> | null => {
      const text = `\n${output}`;
      const start = text.lastIndexOf('\n{\n');
      return start < 0 ? null : (JSON.parse(text.slice(start + 1)) as Record<string, unknown>);
    };
    // Two at a time (osls itself takes seconds to load); reads after the writes they read.
    const runAll = async (files: string[]) => {
      const results: Awaited<ReturnType<typeof invoke>>[] = [];
      for (let i = 0; i < files.length; i += 2) results.push(...(await Promise.all(files.slice(i, i + 2).map(invoke))));
      return results;
    };
    const readsLater = (f: string) => f.startsWith('http-get-') || f.startsWith('sqs-');
    const results = [...(await runAll(events.filter((f) => !readsLater(f)))), ...(await runAll(events.filter(readsLater)))];

    for (const { file, code, output } of results) {
      const where = `${file}: ${redact(output).slice(-3000)}`;
      expect(code, where).toBe(0);
      expect(output, where).not.toMatch(/^Error:/m);
      const result = answer(output);
      if (file.startsWith('http-') || file.startsWith('page-')) {
        expect(result?.statusCode, where).toBeGreaterThanOrEqual(200);
        expect(result?.statusCode, where).toBeLessThan(300);
      }
      if (file.startsWith('sqs-')) expect(result, where).toEqual({ batchItemFailures: [] });
      if (file === 'page-openapi.json') expect(JSON.parse(String(result?.body)), where).toMatchObject({ openapi: expect.stringMatching(/^3\.1/) });
      if (file === 'http-get-request.json') expect(JSON.parse(String(result?.body)), where).toMatchObject({ id: 'req_KY8RERZPHKZVQM6N3TKY7N798W', kind: 'export' });
    }
  }, 120_000);

  it('stops on SIGINT with exit code 0, frees its ports, and starts again with the same key and data', async () => {
    expect(await stopChild(child)).toBe(0);
    expect(child.stdout()).toContain('Stopped.');
    for (const { name, port } of banner.ports) expect(await portIsFree(port), `${name} port ${port}`).toBe(true);
    // Nothing after the banner (the handlers' log lines) repeats a key or secret.
    const logs = child.stdout().split(BANNER_END)[1] ?? '';
    expect(secrets.filter((s) => logs.includes(s) || child.stderr().includes(s))).toEqual([]);

    const again = startChild(settings());
    children.push(again);
    const second = await readBanner(again);
    expect(second.apiKey === banner.apiKey && second.webhookSecret === banner.webhookSecret).toBe(true);
    expect(again.stdout()).toMatch(/Credentials\s+from .*credentials\.json/);
    const { status, json } = await api(second, 'GET', `/v1/requests/${String(done.export?.id)}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 'succeeded', webhook: { status: 'delivered' } });
    expect(await stopChild(again)).toBe(0);
  }, 60_000);
});

describe('npm start with LOCAL_TENANTS_FILE and LOCAL_MATTERMOST_TOKEN', () => {
  it('serves the file\'s tenants besides local, and Mattermost commands with the token for tenant local', async () => {
    const dir = tempDir('ims-transfer-tenants-');
    const acmeKey = registerSecret(newApiKey());
    const mattermostToken = registerSecret(newApiKey().slice(4, 30), 'Mattermost token');
    secrets.push(acmeKey, mattermostToken);
    const file = join(dir, 'tenants.json');
    writeFileSync(file, JSON.stringify([{ id: 'acme', api_key_sha256: [hashSecret(acmeKey)], webhook_secrets: [registerSecret(newWebhookSecret())] }]));
    const chatPosts: ReceivedChatPost[] = [];
    const receiver = await startWebhookReceiver({ port: 0, secret: () => null, onChatPost: (p) => chatPosts.push(p) });
    try {
      const child = startChild({
        PORT: '0',
        LOCAL_SQS_PORT: '0',
        LOCAL_DYNAMODB_PORT: '0',
        IMS_SIM_PORT: '0',
        LOCAL_DATA_DIR: join(dir, 'data'),
        LOCAL_WEBHOOK_URL: 'none',
        SIM_JOB_SECONDS: '1',
        POLL_INTERVAL_SECONDS: '0.5',
        LOCAL_TENANTS_FILE: file,
        LOCAL_MATTERMOST_TOKEN: mattermostToken,
      });
      children.push(child);
      const banner = await readBanner(child);
      expect(child.stdout()).toMatch(/Tenants\s+local, acme/);
      expect(field(child.stdout(), /Mattermost token\s+(\S+)/)).toBe(mattermostToken);

      // acme's key works, for acme's own requests only.
      const made = await api(banner, 'POST', '/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'acme-bucket:x.qcow2', file_format: 'qcow2' }, acmeKey);
      expect(made.status).toBe(202);
      expect(made.json.tenant).toBe('acme');
      expect((await api(banner, 'GET', `/v1/requests/${String(made.json.id)}`, undefined, acmeKey)).status).toBe(200);
      expect((await api(banner, 'GET', `/v1/requests/${String(made.json.id)}`)).status).toBe(404);

      // A Mattermost command with the token acts for tenant local; its completion reaches the response URL.
      const accepted = await slashCommand(banner, {
        token: mattermostToken,
        team_id: 'mm-team',
        user_id: 'mm-user',
        command: '/ims',
        text: `export ${SIM_DEFAULTS.images.exportable} my-bucket:exports/mattermost.qcow2`,
        response_url: `${receiver.url}/hooks/commands/abc`,
      });
      expect(accepted.status, accepted.text).toBe(200);
      const id = /req_[0-9A-Z]{26}/.exec(accepted.text)?.[0];
      expect((await api(banner, 'GET', `/v1/requests/${String(id)}`)).json.tenant).toBe('local');
      const posted = await until('the Mattermost completion', () => chatPosts.find((p) => p.text.includes(`${String(id)} succeeded`)), 20_000);
      expect(posted.platform).toBe('mattermost');
      expect((await slashCommand(banner, { token: 'not-the-token-at-all', team_id: 'mm-team', user_id: 'mm-user', command: '/ims', text: 'list' })).status).toBe(401);

      expect(await stopChild(child)).toBe(0);
      const logs = child.stdout().split(BANNER_END)[1] ?? '';
      expect([acmeKey, mattermostToken].filter((s) => logs.includes(s) || child.stderr().includes(s))).toEqual([]);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('stops with a message naming the file and the field when a tenant is invalid, without showing its values', async () => {
    const dir = tempDir('ims-transfer-bad-tenants-');
    const secret = registerSecret(`whsec_${'not base64 at all!'.repeat(2)}`);
    const file = join(dir, 'tenants.json');
    writeFileSync(file, JSON.stringify([{ id: 'acme', api_key_sha256: [hashSecret(newApiKey())], webhook_secrets: [secret] }]));
    const child = startChild({ PORT: '0', LOCAL_SQS_PORT: '0', LOCAL_DYNAMODB_PORT: '0', IMS_SIM_PORT: '0', LOCAL_DATA_DIR: join(dir, 'data'), LOCAL_TENANTS_FILE: file });
    children.push(child);
    expect(await child.exited).not.toBe(0);
    expect(child.stderr()).toContain(`LOCAL_TENANTS_FILE ${file}: tenant 0 (acme) webhook_secrets.0: must be a whsec_ secret`);
    expect(child.stderr()).not.toContain(secret);
    expect(child.stdout()).not.toContain(BANNER_END);
  }, 30_000);

  it('stops when the file is not JSON, or claims tenant local', async () => {
    const dir = tempDir('ims-transfer-bad-tenants-');
    const cases: [string, string][] = [
      ['not json', 'is not valid JSON'],
      [JSON.stringify([{ id: 'local', api_key_sha256: [hashSecret(newApiKey())], webhook_secrets: [newWebhookSecret()] }]), 'tenant id "local" is npm start\'s own'],
    ];
    for (const [index, [content, problem]] of cases.entries()) {
      const file = join(dir, `tenants-${index}.json`);
      writeFileSync(file, content);
      const child = startChild({ PORT: '0', LOCAL_SQS_PORT: '0', LOCAL_DYNAMODB_PORT: '0', IMS_SIM_PORT: '0', LOCAL_DATA_DIR: join(dir, 'data'), LOCAL_TENANTS_FILE: file });
      children.push(child);
      expect(await child.exited).not.toBe(0);
      expect(child.stderr()).toContain(`LOCAL_TENANTS_FILE ${file}: ${problem}`);
    }
  }, 30_000);
});

describe('npm start with a port already in use', () => {
  it('says which setting to change and exits non-zero', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = startChild({ PORT: String(port), LOCAL_SQS_PORT: '0', LOCAL_DYNAMODB_PORT: '0', IMS_SIM_PORT: '0', LOCAL_DATA_DIR: tempDir('ims-transfer-busy-') });
      children.push(child);
      const code = await child.exited;
      expect(code).not.toBe(0);
      expect(child.stderr()).toContain(`port ${port} is already in use; set PORT to a free port`);
      expect(child.stdout()).not.toContain(BANNER_END);
    } finally {
      await new Promise<void>((done) => blocker.close(() => done()));
    }
  }, 30_000);
});

describe('README', () => {
  it('lists every setting of lib/config.ts and of npm start in its settings table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    const settings = [...Object.keys(envSchema.shape), ...Object.keys(localEnv.shape), 'SECRETS_PARAMETER'];
    expect(settings.filter((name) => !rows.has(name))).toEqual([]);
  });

  it('has the section that `serverless invoke local` without its settings points to', () => {
    const { README_SECTION } = createRequire(import.meta.url)('../../local/invoke-local-env.cjs') as { README_SECTION: string };
    const headings = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#+\s*/, ''));
    expect(headings).toContain(README_SECTION);
  });

  it('never hard-codes the API port where npm start prints the real one', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).not.toMatch(/^API=http:\/\/127\.0\.0\.1:3000/m);
  });
});
