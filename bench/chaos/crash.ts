// The crash run: `npm start` as a child process (one process: gateway, queue runner, scheduler,
// dynalite, fauxqs and the IMS simulator), killed with SIGKILL twice while requests are in flight and
// started again on the same data directory, where the simulator keeps its state too, so IMS remembers
// its jobs, images and objects across the restart. Figures as for the chaos run.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../lib/aws.js';
import { registerSecret } from '../../test/helpers/secrets.js';
import { diagnoseOpen, type StackEndpoints } from './diagnose.js';
import { computeFigures, startDeliveryCounter, waitForTerminal, waitForWebhooks, type Figures } from './figures.js';
import { imsToken, inFlight, jobStatus, listRecords, planRequests, seeded, submit, TERMINAL, type Api } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BANNER_END = 'Ctrl-C stops everything.';

export interface CrashOptions {
  requests: number;
  seed?: number;
  /** Seconds a simulated IMS job takes. */
  jobSeconds?: number;
  /** The longest the run waits for every request to end (default 20 min). */
  deadlineMs?: number;
  log?: (line: string) => void;
}

interface Stack extends StackEndpoints { child: ChildProcess; apiUrl: string; exited: Promise<void> }

/** The stack's log lines kept for a diagnosis, across its lives. */
const MAX_LOG_LINES = 50_000;

async function startStack(env: NodeJS.ProcessEnv, life: number, log: string[]): Promise<Stack> {
  // node --import tsx rather than npm: one process, so SIGKILL takes the whole stack down at once.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  // The child prints the API key and secrets by design: kept here, never forwarded.
  // After the banner only its log lines are kept (for a diagnosis), each marked with the stack's life.
  let pending = '';
  const keep = (text: string) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) log.push(`[life ${life}] ${line}`);
    if (log.length > MAX_LOG_LINES) log.splice(0, log.length - MAX_LOG_LINES);
  };
  child.stdout?.on('data', (c: Buffer) => {
    if (out.includes(BANNER_END)) keep(c.toString('utf8'));
    else {
      out += c.toString('utf8');
      const at = out.indexOf(BANNER_END);
      if (at >= 0) keep(out.slice(at + BANNER_END.length));
    }
  });
  child.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-4_000);
    if (out.includes(BANNER_END)) keep(c.toString('utf8'));
  });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const deadline = Date.now() + 60_000;
  while (!out.includes(BANNER_END)) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${err.slice(-1_000)}`);
    if (Date.now() > deadline) throw new Error('npm start printed no banner within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const field = (pattern: RegExp) => {
    const m = pattern.exec(out);
    if (!m?.[1]) throw new Error(`npm start printed no ${String(pattern)}`);
    return m[1];
  };
  return {
    child,
    apiUrl: field(/API base URL\s+(http\S+?)\/v1\s/),
    simUrl: field(/IMS\s+simulator at (http\S+)/),
    sqsEndpoint: field(/SQS \(fauxqs\)\s+(http\S+)/),
    dynamoEndpoint: field(/DynamoDB \(dynalite\)\s+(http\S+)/),
    tableName: field(/\(table (\S+), data in/),
    queueUrl: field(/\(queue (\S+), DLQ/),
    dlqUrl: field(/, DLQ (\S+?)\)/),
    exited,
  };
}

async function kill(stack: Stack): Promise<void> {
  stack.child.kill('SIGKILL');
  await stack.exited;
}

async function dlqDepth(stack: Stack): Promise<number> {
  const sqs = sqsClient({ endpoint: stack.sqsEndpoint, region: 'eu-central-1' });
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'ims-transfer-intake-dlq' }));
  const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(got.Attributes?.ApproximateNumberOfMessages ?? 0);
}

export interface CrashRun {
  figures: Figures;
  imsRemembers: boolean;
  inFlightAtKills: string[];
  /** Empty when every request ended; else why each open one is open (diagnose.ts). */
  diagnosis: string[];
}

export async function runCrash(options: CrashOptions): Promise<CrashRun> {
  const started = Date.now();
  const timeline: string[] = [];
  const stackLog: string[] = [];
  const log = (line: string) => {
    timeline.push(`+${((Date.now() - started) / 1000).toFixed(1)} s ${line.trim()}`);
    options.log?.(line);
  };
  const seed = options.seed ?? 12;
  const rnd = seeded(seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'ims-transfer-crash-'));
  const webhookSecret = registerSecret(`whsec_${randomBytes(24).toString('base64')}`);
  const apiKey = registerSecret(`imt_crash_${randomBytes(16).toString('hex')}`);
  const { receiver, deliveries } = await startDeliveryCounter(webhookSecret);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    LOCAL_SQS_PORT: '0',
    LOCAL_DYNAMODB_PORT: '0',
    IMS_SIM_PORT: '0',
    // npm start keeps the table and the simulator's state (<data dir>/ims-sim) here: both outlive a SIGKILL.
    LOCAL_DATA_DIR: join(dataDir, 'local'),
    LOCAL_API_KEY: apiKey,
    LOCAL_WEBHOOK_SECRET: webhookSecret,
    LOCAL_WEBHOOK_URL: `${receiver.url}/webhook`,
    POLL_INTERVAL_SECONDS: '1',
    SIM_JOB_SECONDS: String(options.jobSeconds ?? 3),
    JOB_CHECK_MIN_SECONDS: '1',
    JOB_CHECK_MAX_SECONDS: '2',
    // An export killed between recording `submission-sending` and its POST reaching IMS can only wait
    // for its object and fail EXPORT_UNVERIFIED at the deadline (it is never posted twice): 3 minutes here.
    IMS_JOB_DEADLINE_HOURS: '0.05',
    // A claim the first kill left behind lapses after this, not the cloud's 5 minutes: the run waits for it.
    SUBMIT_LEASE_SECONDS: '20',
    // Every log line (status changes, claims refused, poller rounds) is kept for a diagnosis, never shown otherwise.
    LOG_LEVEL: 'DEBUG',
  };
  let life = 1;
  let stack = await startStack(env, life, stackLog);
  log(`stack started (life ${life})`);
  try {
    let api: Api = { url: stack.apiUrl, key: apiKey, simUrl: stack.simUrl };
    const plan = planRequests(options.requests, `crash-${seed}-${Date.now().toString(36)}`, rnd);
    log(`crash: ${plan.length} requests, the whole stack killed with SIGKILL twice mid-flight`);
    const answers: { status: number; id?: string }[] = [];
    const killAt = [Math.floor(plan.length * 0.35), Math.floor(plan.length * 0.75)];
    let remembered: string | undefined;
    let imsRemembers = true;
    const inFlightAtKills: string[] = [];
    // Requests go in bursts of 8 in flight. The first kill comes the moment a burst is accepted (records
    // queued or submitting: their queue messages die with the process), the second once jobs run in IMS.
    const killAfterMs = [0, 1_500];
    const segments = [plan.slice(0, killAt[0]), plan.slice(killAt[0], killAt[1]), plan.slice(killAt[1])];
    for (const [k, segment] of segments.entries()) {
      if (k > 0) {
        await new Promise((r) => setTimeout(r, killAfterMs[k - 1]));
        const before = await listRecords(api);
        remembered = before.find((r) => r.status === 'running' && r.ims_job_id)?.ims_job_id ?? remembered;
        const open = ['queued', 'submitting', 'running'].map((st) => `${before.filter((r) => r.status === st).length} ${st}`).join(', ');
        inFlightAtKills.push(open);
        log(`  SIGKILL after ${answers.length} requests (${open})`);
        await kill(stack);
        log(`  killed; starting again`);
        stack = await startStack(env, ++life, stackLog);
        api = { url: stack.apiUrl, key: apiKey, simUrl: stack.simUrl };
        if (remembered) {
          const status = await jobStatus(stack.simUrl, await imsToken(stack.simUrl), remembered);
          if (status.startsWith('HTTP')) imsRemembers = false;
        }
        log(`  restarted; IMS ${imsRemembers ? 'remembers' : 'forgot'} its jobs`);
      }
      const current = api;
      answers.push(...(await inFlight(segment, 8, (p) => submit(current, p))));
    }
    const accepted = answers.filter((a) => a.id).length;
    // Messages on the in-memory queue died with the process: the poller re-queues stale `queued` records after a minute.
    log(`all ${answers.length} requests sent, ${accepted} accepted; waiting for every one to end`);
    let lastProgress = '';
    const records = await waitForTerminal(api, accepted, {
      stallMs: 60_000,
      deadlineMs: options.deadlineMs ?? 20 * 60_000,
      // Each change once, so the timeline shows the run's progress rate.
      log: (s) => s !== lastProgress && log((lastProgress = s)),
    });
    await waitForWebhooks(api, 15_000);
    const final = await listRecords(api);
    const open = final.filter((r) => !TERMINAL.has(r.status));
    log(`wait over: ${open.length} open`);
    return {
      imsRemembers,
      inFlightAtKills,
      diagnosis: open.length ? await diagnoseOpen(stack, open, stackLog, timeline) : [],
      figures: await computeFigures({
        api,
        simUrl: stack.simUrl,
        plan,
        answers,
        records: final ?? records,
        deliveries,
        dlq: await dlqDepth(stack),
        imsCalls: 0,
        faultsInjected: 0,
        seconds: Math.round((Date.now() - started) / 1000),
        evidence: imsRemembers,
      }),
    };
  } finally {
    await kill(stack);
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
