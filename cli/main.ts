// `ims-transfer`: make and follow transfers from a shell or a CI job, over the public HTTP API.
// Exit codes: 0 succeeded (or accepted, without --wait), 1 the request failed or was cancelled,
// 2 refused (usage, invalid flags, 4xx), 3 the API could not be reached or answered 5xx.
import { randomUUID } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { REQUEST_ID } from '../lib/requests/ids.js';
import type { RequestKind } from '../lib/requests/record.js';
import { listQuery } from '../lib/api/schemas.js';
import { requestErrorMap } from '../lib/requests/schemas.js';
import { createApiClient, type ApiClient, type ApiFailure, type Delivery, type ShownRecord } from './api.js';
import { followRequest, isTerminal, progressView } from './follow.js';
import { deliveryTable, errorLines, failureText, painterFor, recordSummary, requestTable } from './render.js';
import { checkRequest, flagFor, requestBody, requestOptions } from './request-flags.js';

export const EXIT = { ok: 0, requestFailed: 1, refused: 2, unreachable: 3 } as const;
type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const PROGRAM = 'ims-transfer';
const VERSION = packageJson.version;

/** A refusal found before any HTTP call (missing setting, bad flag, bad id): exits 2. */
interface Usage {
  kind: 'usage';
  message: string;
}
const usage = (message: string): Usage => ({ kind: 'usage', message });
const isUsage = (value: unknown): value is Usage => (value as Usage | null)?.kind === 'usage';

function refuse(problem: Usage): ExitCode {
  process.stderr.write(`${PROGRAM}: ${problem.message}\n`);
  return EXIT.refused;
}

function say(text: string): void {
  process.stdout.write(text);
}
function warn(text: string): void {
  process.stderr.write(text);
}

function apiFromEnvironment(): ApiClient | Usage {
  const baseUrl = process.env.IMS_TRANSFER_URL?.trim();
  const apiKey = process.env.IMS_TRANSFER_API_KEY?.trim();
  if (!baseUrl) return usage('IMS_TRANSFER_URL is not set (the API base URL, e.g. http://127.0.0.1:3000)');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return usage('IMS_TRANSFER_URL is not a URL (e.g. http://127.0.0.1:3000)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return usage('IMS_TRANSFER_URL must be an http or https URL');
  if (!apiKey) return usage('IMS_TRANSFER_API_KEY is not set (the API key of your tenant)');
  // Given as .../v1 or as the origin: the paths below carry /v1 themselves.
  return createApiClient({ baseUrl: url.href.replace(/\/v1\/?$/, ''), apiKey, userAgent: `${PROGRAM}/${VERSION}` });
}

const exitFor = (failure: ApiFailure): ExitCode => (failure.kind === 'refused' ? EXIT.refused : EXIT.unreachable);

function reportFailure(failure: ApiFailure): ExitCode {
  warn(`${PROGRAM}: ${failureText(failure)}`);
  return exitFor(failure);
}

const outcomeExit = (record: ShownRecord): ExitCode => (record.status === 'failed' || record.status === 'cancelled' ? EXIT.requestFailed : EXIT.ok);

/** The API for a command on one request, once its id and the settings are usable. */
function apiForRequest(id: string): ApiClient | Usage {
  if (!REQUEST_ID.test(id)) return usage(`"${id}" is not a request id (req_ followed by 26 characters)`);
  return apiFromEnvironment();
}

interface OutputFlags {
  json?: boolean;
}

/** The end of a wait: the record (JSON or summary) and its exit code; a failure's error also on stderr with --json. */
function finish(record: ShownRecord, flags: OutputFlags): ExitCode {
  if (flags.json) {
    say(`${JSON.stringify(record, null, 2)}\n`);
    const lines = errorLines(painterFor(process.stderr), record);
    if (lines.length) warn(`${record.id} ${record.status}\n${lines.join('\n')}\n`);
  } else {
    say(recordSummary(painterFor(process.stdout), record));
  }
  return outcomeExit(record);
}

async function follow(api: ApiClient, first: ShownRecord, flags: OutputFlags): Promise<ExitCode> {
  // With --json, stdout carries only the record: progress goes to stderr.
  const followed = await followRequest(api, first, progressView(flags.json ? process.stderr : process.stdout));
  if (!followed.ok) return reportFailure(followed.failure);
  return finish(followed.record, flags);
}

interface CreateFlags extends OutputFlags {
  wait?: boolean;
  idempotencyKey?: string;
  [flag: string]: unknown;
}

async function create(kind: RequestKind, flags: CreateFlags): Promise<ExitCode> {
  const body = requestBody(kind, flags);
  const checked = checkRequest(kind, body);
  if (!checked.ok) {
    return refuse(usage(`invalid ${kind} request:\n${checked.errors.map((e) => `  ${flagFor(kind, e.path)}: ${e.message}`).join('\n')}`));
  }
  const key = flags.idempotencyKey ?? `cli-${randomUUID()}`;
  if (key.length < 1 || key.length > 255) return refuse(usage('--idempotency-key must have 1 to 255 characters'));
  const api = apiFromEnvironment();
  if (isUsage(api)) return refuse(api);
  // The key makes the POST safe to repeat: the client's retries (and a rerun with --idempotency-key) find the same request.
  const created = await api.call<ShownRecord>('POST', `/v1/${kind}s`, { body, headers: { 'idempotency-key': key } });
  if (!created.ok) return reportFailure(created.failure);
  const record = created.body;
  const seen = created.status === 200 ? 'already accepted' : 'accepted';
  const note = `${seen} ${kind} ${record.id} (${record.status}); Idempotency-Key ${key} (rerun with --idempotency-key ${key} to retry without a second request)\n`;
  if (flags.json) warn(note);
  else say(note);
  if (flags.wait) return follow(api, record, flags);
  if (flags.json) say(`${JSON.stringify(record, null, 2)}\n`);
  return EXIT.ok;
}

async function status(id: string, flags: OutputFlags): Promise<ExitCode> {
  const api = apiForRequest(id);
  if (isUsage(api)) return refuse(api);
  const got = await api.call<ShownRecord>('GET', `/v1/requests/${id}`);
  if (!got.ok) return reportFailure(got.failure);
  return finish(got.body, flags);
}

async function watch(id: string, flags: OutputFlags): Promise<ExitCode> {
  const api = apiForRequest(id);
  if (isUsage(api)) return refuse(api);
  const got = await api.call<ShownRecord>('GET', `/v1/requests/${id}`);
  if (!got.ok) return reportFailure(got.failure);
  return isTerminal(got.body) ? finish(got.body, flags) : follow(api, got.body, flags);
}

interface ListFlags extends OutputFlags {
  status?: string;
  kind?: string;
  limit?: string;
  cursor?: string;
}

async function list(flags: ListFlags): Promise<ExitCode> {
  const query = Object.fromEntries(Object.entries({ status: flags.status, kind: flags.kind, limit: flags.limit, cursor: flags.cursor }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const checked = listQuery.safeParse(query, { error: requestErrorMap });
  if (!checked.success) return refuse(usage(`invalid list flags:\n${checked.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`).join('\n')}`));
  const api = apiFromEnvironment();
  if (isUsage(api)) return refuse(api);
  const got = await api.call<{ items: ShownRecord[]; next_cursor: string | null }>('GET', `/v1/requests?${new URLSearchParams(query).toString()}`);
  if (!got.ok) return reportFailure(got.failure);
  if (flags.json) {
    say(`${JSON.stringify(got.body, null, 2)}\n`);
  } else {
    say(got.body.items.length ? requestTable(got.body.items) : 'no requests\n');
    if (got.body.next_cursor) warn(`more: ${PROGRAM} list --cursor ${got.body.next_cursor}\n`);
  }
  return EXIT.ok;
}

async function cancel(id: string, flags: OutputFlags): Promise<ExitCode> {
  const api = apiForRequest(id);
  if (isUsage(api)) return refuse(api);
  // Not repeated on its own: a lost answer would turn into a confusing 409 on the second try.
  const got = await api.call<ShownRecord>('DELETE', `/v1/requests/${id}`, { retry: false });
  if (!got.ok) return reportFailure(got.failure);
  say(flags.json ? `${JSON.stringify(got.body, null, 2)}\n` : recordSummary(painterFor(process.stdout), got.body));
  return EXIT.ok;
}

async function redeliver(id: string, flags: OutputFlags): Promise<ExitCode> {
  const api = apiForRequest(id);
  if (isUsage(api)) return refuse(api);
  // Each call sends the outcome once more: never repeated without being asked.
  const got = await api.call<unknown>('POST', `/v1/requests/${id}/redeliver`, { retry: false });
  if (!got.ok) return reportFailure(got.failure);
  say(flags.json ? `${JSON.stringify(got.body, null, 2)}\n` : `redelivering the outcome of ${id} (${got.status}); see: ${PROGRAM} deliveries ${id}\n`);
  return EXIT.ok;
}

async function deliveries(id: string, flags: OutputFlags): Promise<ExitCode> {
  const api = apiForRequest(id);
  if (isUsage(api)) return refuse(api);
  const got = await api.call<{ items: Delivery[] }>('GET', `/v1/requests/${id}/deliveries`);
  if (!got.ok) return reportFailure(got.failure);
  if (flags.json) say(`${JSON.stringify(got.body, null, 2)}\n`);
  else say(got.body.items.length ? deliveryTable(got.body.items) : 'no delivery attempts yet\n');
  return EXIT.ok;
}

const jsonOption = () => new Option('--json', 'print the record (or answer) as JSON on stdout, and nothing else there');

function buildProgram(done: (code: ExitCode) => void): Command {
  const run =
    <A extends unknown[]>(action: (...args: A) => Promise<ExitCode>) =>
    async (...args: A) =>
      done(await action(...args));

  const program = new Command(PROGRAM)
    .description('Make and follow ims-transfer requests (IMS image export, import, capture) from a shell or CI.\nSettings: IMS_TRANSFER_URL (API base URL), IMS_TRANSFER_API_KEY (your API key).')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError(`(${PROGRAM} --help lists the commands)`)
    .addHelpText('after', '\nExit codes: 0 succeeded (or accepted, without --wait), 1 the request failed or was cancelled,\n2 refused (usage, invalid flags, 4xx), 3 the API could not be reached or answered 5xx.');

  const KIND_HELP: Record<RequestKind, string> = {
    export: 'export an IMS image to an OBS object',
    import: 'import an image file from OBS as an IMS image',
    capture: 'capture an ECS as an IMS image (and export it afterwards)',
  };
  for (const kind of ['export', 'import', 'capture'] as const) {
    const command = program.command(kind).description(KIND_HELP[kind]);
    for (const option of requestOptions(kind)) command.addOption(option);
    command
      .option('--idempotency-key <key>', 'repeat safely: the same key and flags find the same request (default: a new key, printed)')
      .option('--wait', 'follow the request to its end: a live bar on a terminal, else one line per change')
      .addOption(jsonOption())
      .action(run((flags: CreateFlags) => create(kind, flags)));
  }
  program.command('status').description('show one request; exits 1 if it failed or was cancelled').argument('<id>', 'request id').addOption(jsonOption()).action(run(status));
  program.command('watch').description('follow one request to its end, like --wait').argument('<id>', 'request id').addOption(jsonOption()).action(run(watch));
  program
    .command('list')
    .description('your recent requests, newest first')
    .option('--status <status>', 'only requests in this status (queued, submitting, running, succeeded, failed, cancelled)')
    .option('--kind <kind>', 'only requests of this kind (export, import, capture)')
    .option('--limit <n>', 'at most this many, 1–100 (default 20)')
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .addOption(jsonOption())
    .action(run(list));
  program.command('cancel').description('cancel a request still queued (IMS cannot cancel a job it started)').argument('<id>', 'request id').addOption(jsonOption()).action(run(cancel));
  program.command('redeliver').description('send the outcome webhook of an ended request again (same webhook-id)').argument('<id>', 'request id').addOption(jsonOption()).action(run(redeliver));
  program.command('deliveries').description('every webhook and chat delivery attempt of a request, oldest first').argument('<id>', 'request id').addOption(jsonOption()).action(run(deliveries));
  return program;
}

export async function main(argv: string[]): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // Commander has printed its own message (usage, unknown option); --help and --version end here with 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.refused;
    throw error;
  }
  return code;
}

process.exitCode = await main(process.argv);
