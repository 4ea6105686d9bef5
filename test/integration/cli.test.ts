// The `ims-transfer` CLI as people run it: a child process (through `npx --no`, through node, and in
// a pseudo-terminal made by util-linux `script`) against one local stack started for this file,
// judged by its exit codes, stdout, stderr and what reached the API and the IMS simulator.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../lib/requests/record.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { startWebhookReceiver, type RunningReceiver } from '../../local/webhook-receiver.js';
import { registerSecret } from '../helpers/secrets.js';
import { occupyPort } from '../helpers/services.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'cli/bin.js');
const BUNDLE = join(ROOT, 'cli/dist/ims-transfer.mjs');
const IMAGE = SIM_DEFAULTS.images.exportable;
/** Settings of the CLI and of colour handling: each run gets only the ones its test gives. */
const CLI_SETTINGS = ['IMS_TRANSFER_URL', 'IMS_TRANSFER_API_KEY', 'NO_COLOR', 'FORCE_COLOR'];
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const SGR_COLOUR = /\x1b\[(3\d|9\d)m/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let stack: LocalStack;
let receiver: RunningReceiver;
/** Everything any CLI run printed, for the check that the API key never appears. */
const printed: string[] = [];

function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of CLI_SETTINGS) delete base[name];
  return { ...base, IMS_TRANSFER_URL: stack.apiUrl, IMS_TRANSFER_API_KEY: stack.apiKey, ...env };
}

function run(command: string, args: string[], env: Record<string, string> = {}, asTerminal = false): Promise<Run> {
  const childEnv = cliEnv(env);
  // A person's terminal: Node paints nothing under TERM=dumb or an unset TERM, nor when it sees a CI
  // variable, as CI itself sets; those say nothing about the CLI's own choice, which the test is about.
  if (asTerminal) {
    delete childEnv.CI;
    childEnv.TERM = env.TERM ?? 'xterm-256color';
  }
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => {
      printed.push(stdout, stderr);
      done({ code, stdout, stderr });
    });
  });
}

const cli = (args: string[], env?: Record<string, string>) => run(process.execPath, [BIN, ...args], env);
const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
/** In a pseudo-terminal: stdout and stderr are a TTY, as in an interactive shell. */
const inTerminal = (args: string[], env?: Record<string, string>) =>
  run('script', ['-qfec', [process.execPath, BIN, ...args].map(shellQuote).join(' '), '/dev/null'], env, true);

const exportFlags = (bucketUrl: string) => ['export', '--image-id', IMAGE, '--bucket-url', bucketUrl, '--file-format', 'qcow2'];

function parseRecord(stdout: string): RequestRecord & { error: (RequestRecord['error'] & { hint?: string }) | null } {
  return JSON.parse(stdout) as RequestRecord & { error: (RequestRecord['error'] & { hint?: string }) | null };
}

/** A server that answers everything and counts what reached it. */
async function countingServer(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('counting server has no port');
  return { url: `http://127.0.0.1:${address.port}`, hits, close: () => new Promise((r) => server.close(() => r())) };
}

/** What the proxy does with one call: pass it on, answer instead of the API, or pass it on and lose the answer. */
type Plan = 'forward' | { status: number; retryAfter?: string; afterForward?: boolean };

/** A gateway in front of the stack's API that plays the planned faults, then forwards; it notes each call's Idempotency-Key. */
async function faultyGateway(plans: Plan[]): Promise<{ url: string; hits: { method: string; url: string; key: string | null }[]; close(): Promise<void> }> {
  const hits: { method: string; url: string; key: string | null }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const key = req.headers['idempotency-key'];
        hits.push({ method: req.method ?? '', url: req.url ?? '', key: typeof key === 'string' ? key : null });
        const plan = plans.shift() ?? 'forward';
        let forwarded: Response | null = null;
        if (plan === 'forward' || plan.afterForward) {
          const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => k !== 'host' && k !== 'content-length' && typeof v === 'string')) as Record<string, string>;
          forwarded = await fetch(`${stack.apiUrl}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
        }
        if (plan === 'forward' && forwarded) {
          res.writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? 'application/json' }).end(await forwarded.text());
          return;
        }
        if (plan !== 'forward') {
          const problem = { type: 'about:blank', title: 'Gateway fault', status: plan.status, detail: `planned ${plan.status}` };
          res.writeHead(plan.status, { 'content-type': 'application/problem+json', ...(plan.retryAfter ? { 'retry-after': plan.retryAfter } : {}) }).end(JSON.stringify(problem));
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('gateway has no port');
  return { url: `http://127.0.0.1:${address.port}`, hits, close: () => new Promise((r) => server.close(() => r())) };
}

beforeAll(async () => {
  receiver = await startWebhookReceiver({ port: 0, secret: () => stack?.webhookSecret ?? null });
  stack = await startLocalStack({ simJobMs: 1_000, pollIntervalMs: 500, webhookUrl: `${receiver.url}/webhook` });
  registerSecret(stack.apiKey);
  registerSecret(stack.webhookSecret);
  // Builds the bundle now if a source changed, rather than in several of the runs below at once.
  const warm = await cli(['--version']);
  if (warm.code !== 0) throw new Error(`ims-transfer --version exited ${warm.code}: ${warm.stderr}`);
}, 30_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

// The runs mostly wait on the stack, so they run side by side; each makes its own requests.
describe.concurrent('ims-transfer, as a child process against the local stack', { timeout: 40_000 }, () => {
  it('runs through npx --no from the checkout, and export --wait --json exits 0 with only the succeeded record on stdout', async ({ expect }) => {
    const result = await run('npx', ['--no', 'ims-transfer', ...exportFlags('cli-bucket:npx/first.qcow2'), '--client-ref', 'cli-json', '--wait', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const record = parseRecord(result.stdout);
    expect(record).toMatchObject({ kind: 'export', status: 'succeeded', client_ref: 'cli-json', params: { image_id: IMAGE, bucket_url: 'cli-bucket:npx/first.qcow2', file_format: 'qcow2' } });
    expect(record.ims_job_id).toMatch(/^[0-9a-f]{32}$/);
    // The automatic Idempotency-Key is still shown, on stderr.
    expect(result.stderr).toMatch(/Idempotency-Key cli-[0-9a-f-]{36}/);
  });

  it('exits 1 when IMS fails the job, with IMS\'s code and message and the hint of what to do', async ({ expect }) => {
    const result = await cli([...exportFlags('sim-fail-bucket:x/broken.qcow2'), '--wait', '--json']);
    expect(result.code, result.stderr).toBe(1);
    const record = parseRecord(result.stdout);
    expect(record.status).toBe('failed');
    expect(record.error?.source).toBe('ims');
    expect(record.error?.code).toMatch(/^IMG\.\d{4}$/);
    expect(result.stderr).toContain(record.error?.code);
    expect(result.stderr).toContain(record.error?.message);
    // Every failure carries a hint, and the CLI prints it on its own line.
    const hint = record.error?.hint ?? '';
    expect(hint).toMatch(/\S/);
    expect(result.stderr).toMatch(/^ {2}hint {2}/m);
    expect(result.stderr).toContain(hint);

    const human = await cli(['status', record.id]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`error ${record.error?.code} (ims): ${record.error?.message}`);
  });

  it('capture with --then-export-… --wait follows the capture and then its export, and ends with the export\'s record', async ({ expect }) => {
    const result = await cli(['capture', '--name', 'cli-web-01', '--instance-id', randomUUID(), '--then-export-bucket-url', 'cli-bucket:captured/web.qcow2', '--then-export-file-format', 'qcow2', '--wait', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const exported = parseRecord(result.stdout);
    expect(exported).toMatchObject({ kind: 'export', status: 'succeeded', params: { bucket_url: 'cli-bucket:captured/web.qcow2', file_format: 'qcow2' } });
    const capture = parseRecord((await cli(['status', exported.parent_id ?? '', '--json'])).stdout);
    expect(capture).toMatchObject({ kind: 'capture', status: 'succeeded', child_id: exported.id });
    expect(exported.params.image_id).toBe(capture.image_id);
    // The progress on stderr shows both requests.
    expect(result.stderr).toContain(`following its export ${exported.id}`);
  });

  it('refuses invalid flag values with exit 2 before any HTTP call, naming each flag', async ({ expect }) => {
    const api = await countingServer();
    try {
      const env = { IMS_TRANSFER_URL: api.url };
      const exported = await cli(['export', '--image-id', 'not-a-uuid', '--bucket-url', 'no-colon', '--file-format', 'qcow3'], env);
      expect(exported.code).toBe(2);
      expect(exported.stderr).toMatch(/--image-id: must be a UUID/);
      expect(exported.stderr).toMatch(/--bucket-url: /);
      expect(exported.stderr).toMatch(/--file-format: must be one of "qcow2"/);

      const imported = await cli(['import', '--name', 'golden', '--image-url', 'b:o.qcow2', '--min-disk', 'forty', '--tag', 'no dots here'], env);
      expect(imported.code).toBe(2);
      expect(imported.stderr).toMatch(/--min-disk: must be a number/);
      expect(imported.stderr).toMatch(/--tag: /);

      const captured = await cli(['capture', '--name', 'web', '--instance-id', IMAGE, '--then-export-bucket-url', 'b:o.qcow2'], env);
      expect(captured.code).toBe(2);
      expect(captured.stderr).toMatch(/--then-export-file-format: is required unless is_quick_export/);

      const listed = await cli(['list', '--limit', '0', '--status', 'done'], env);
      expect(listed.code).toBe(2);
      expect(listed.stderr).toMatch(/--limit: must be between 1 and 100/);
      expect(listed.stderr).toMatch(/--status: must be one of/);

      expect((await cli(['status', 'not-an-id'], env)).code).toBe(2);
      expect((await cli(['export', '--no-such-flag'], env)).code).toBe(2);
      expect(api.hits).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it('--help of every create command says what each flag is, the fields every kind takes included', async ({ expect }) => {
    for (const command of ['export', 'import', 'capture']) {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      // An option line that ends right after its flag (and placeholder) has no description.
      const bare = help.stdout.split('\n').filter((line) => /^ {2}--[a-z-]+(?: <[^>]+>)?\s*$/.test(line));
      expect(bare, `${command} --help`).toEqual([]);
      expect(help.stdout).toMatch(/--client-ref <ref>\s+any caller reference/);
    }
  });

  it('exits 3 when the API cannot be reached', async ({ expect }) => {
    const port = await occupyPort('127.0.0.1');
    await port.release();
    const result = await cli([...exportFlags('cli-bucket:never.qcow2')], { IMS_TRANSFER_URL: `http://127.0.0.1:${port.port}` });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('repeats a POST whose answer was lost with the same Idempotency-Key, and the API finds the first request', async ({ expect }) => {
    const gateway = await faultyGateway([{ status: 502, afterForward: true }]);
    try {
      const result = await cli([...exportFlags('cli-bucket:lost/answer.qcow2'), '--client-ref', 'cli-lost-answer', '--json'], { IMS_TRANSFER_URL: gateway.url });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('already accepted');
      const posts = gateway.hits.filter((h) => h.method === 'POST');
      expect(posts).toHaveLength(2);
      expect(posts[0]?.key).toMatch(/^cli-/);
      expect(posts[1]?.key).toBe(posts[0]?.key);
      const listed = JSON.parse((await cli(['list', '--kind', 'export', '--limit', '100', '--json'])).stdout) as { items: RequestRecord[] };
      expect(listed.items.filter((r) => r.client_ref === 'cli-lost-answer')).toHaveLength(1);
    } finally {
      await gateway.close();
    }
  });

  it('exits 3 when the API keeps answering 5xx, and waits out a 429 as Retry-After says', async ({ expect }) => {
    const gateway = await faultyGateway([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 429, retryAfter: '1' }]);
    try {
      const env = { IMS_TRANSFER_URL: gateway.url };
      const failing = await cli(['status', `req_${'0'.repeat(26)}`], env);
      expect(failing.code).toBe(3);
      expect(failing.stderr).toMatch(/^ims-transfer: 503 Gateway fault: planned 503$/m);
      expect(gateway.hits).toHaveLength(3);

      const limited = await cli(['list', '--limit', '1'], env);
      expect(limited.code, limited.stderr).toBe(0);
      expect(limited.stdout).toMatch(/^ID +KIND/);
      expect(gateway.hits).toHaveLength(5);
    } finally {
      await gateway.close();
    }
  });

  it('exits 2 with the API\'s problem detail for a wrong key, and for cancelling a request that reached IMS', async ({ expect }) => {
    const wrongKey = registerSecret(`imt_wrong-${'x'.repeat(24)}`);
    const refused = await cli(['list'], { IMS_TRANSFER_API_KEY: wrongKey });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^ims-transfer: 401 .*A valid API key is required/m);

    const done = await cli([...exportFlags('cli-bucket:cancel/late.qcow2'), '--wait', '--json']);
    const id = parseRecord(done.stdout).id;
    const cancelled = await cli(['cancel', id]);
    expect(cancelled.code).toBe(2);
    expect(cancelled.stderr).toMatch(/^ims-transfer: 409 /m);
  });

  it('piped, --wait prints one line per change, in lifecycle order, without escape codes', async ({ expect }) => {
    const result = await cli([...exportFlags('cli-bucket:piped/lines.qcow2'), '--wait']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    const key = /Idempotency-Key (cli-[0-9a-f-]{36})/.exec(result.stdout)?.[1];
    expect(key).toBeDefined();
    const lines = result.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d {2}req_/.test(l));
    const seen = lines.map((l) => l.split(/ {2}/).slice(2, 5).join(' '));
    const statuses = seen.map((s) => s.split(' ')[1] ?? '');
    const order = ['queued', 'submitting', 'running', 'succeeded'];
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('succeeded');
    expect(statuses.map((s) => order.indexOf(s))).toEqual([...statuses.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    // Each line is a change: no two lines in a row say the same.
    seen.forEach((line, i) => i > 0 && expect(line).not.toBe(seen[i - 1]));
    expect(result.stdout).toMatch(/req_\w+ {2}export {2}succeeded {2}100% {2}after \d+s/);
  });

  it('in a terminal, --wait draws a progress bar with the status and percentage, in colour', async ({ expect }) => {
    const result = await inTerminal([...exportFlags('cli-bucket:tty/bar.qcow2'), '--wait']);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(SGR_COLOUR);
    const screen = result.stdout.replace(ANSI, '');
    expect(screen).toMatch(/export {2}(queued|submitting|running) +\|[█░]{30}\| +(–|\d+%)/);
    expect(screen).toMatch(/export {2}succeeded +\|█{30}\| 100%/);
  });

  it('honours NO_COLOR in a terminal', async ({ expect }) => {
    const id = parseRecord((await cli([...exportFlags('cli-bucket:tty/plain.qcow2'), '--json'])).stdout).id;
    const coloured = await inTerminal(['status', id]);
    expect(coloured.stdout).toMatch(SGR_COLOUR);
    const plain = await inTerminal(['status', id], { NO_COLOR: '1' });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(id);
    expect(plain.stdout).not.toMatch(SGR_COLOUR);
  });

  it('a rerun with the printed Idempotency-Key finds the same request and makes no second IMS job', async ({ expect }) => {
    const key = `cli-test-${Date.now()}`;
    const flags = [...exportFlags('cli-bucket:idem/once.qcow2'), '--idempotency-key', key];
    const first = await cli([...flags, '--json']);
    const second = await cli([...flags, '--json']);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('already accepted');
    const id = parseRecord(first.stdout).id;
    expect(parseRecord(second.stdout).id).toBe(id);

    const watched = await cli(['watch', id, '--json']);
    expect(watched.code).toBe(0);
    expect(parseRecord(watched.stdout).status).toBe('succeeded');
    const calls = (await (await fetch(`${stack.simUrl}/_sim/calls`)).json()) as { method: string; path: string; body: { bucket_url?: string } }[];
    expect(calls.filter((c) => c.method === 'POST' && c.body?.bucket_url === 'cli-bucket:idem/once.qcow2')).toHaveLength(1);
  });

});

describe('ims-transfer, after the runs above', () => {
  it('list shows the requests made above, filtered by kind and status', async () => {
    const table = await cli(['list', '--kind', 'export', '--status', 'failed']);
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID +KIND +STATUS +PROGRESS +AGE/);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows.slice(1)) expect(row).toMatch(/^req_\w+ +export +failed +.*IMG\.\d{4}$/);
  });

  it('never prints the API key', () => {
    expect(printed.length).toBeGreaterThan(0);
    for (const text of printed) expect(text.includes(stack.apiKey)).toBe(false);
  });
});

describe('the bin', () => {
  it('rebuilds its bundle when a file it was built from is newer, and runs the new one', async () => {
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(BUNDLE, anHourAgo, anHourAgo);
    const result = await cli(['--version']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    expect(statSync(BUNDLE).mtimeMs).toBeGreaterThan(anHourAgo.getTime() + 60_000);
  });
});

describe('the CLI stays out of the Lambda functions', () => {
  it('nothing under handlers/ or lib/ imports cli/', () => {
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const importers = [...files('handlers'), ...files('lib')].filter((f) => /from ['"][./]*\/cli\//.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(importers).toEqual([]);
  });
});
