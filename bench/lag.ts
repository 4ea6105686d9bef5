// Bench 5: how late a job's completion is noticed, and how many job queries that costs, for job
// durations spread from 1 minute to 6 hours (with jitter), on one fake clock. The real intake,
// worker and poller handlers (over their composition roots) run against dynalite, fauxqs and one
// IMS simulator per job (each its own "region", so each job has its own duration); the poller is
// invoked every fake minute and its pauses move the clock, as its schedule would. Fixed 10 s and
// fixed 60 s polling are modelled on the same sweep instants the poller actually ran at. LAG_SEED
// (default 13) draws another spread, to see that a figure is not the luck of one seed.
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { createIntakeHandler } from '../handlers/intake.js';
import { createPollerHandler } from '../handlers/poller.js';
import { createWorkerHandler } from '../handlers/worker.js';
import { dynamoDocumentClient } from '../lib/aws.js';
import { apiDeps } from '../lib/runtime/api.js';
import { DUE_INDEX } from '../lib/store/table.js';
import { pollerDeps, workerDeps } from '../lib/runtime/jobs.js';
import { SIM_DEFAULTS, simulatorClientSettings } from '../local/ims-sim/defaults.js';
import { startImsSimulator, type ImsSimulator } from '../local/ims-sim/server.js';
import { seeded } from './chaos/harness.js';
import { startLocalServices } from '../local/services.js';
import { SIZES, exportPostEvent, lambdaContext, log, percentile, runMain } from './common.js';
import { median } from './measure.js';
import { JOB_QUERY } from './poller.js';
import { benchTenant } from './tenant.js';

const MINUTE = 60_000;
const JITTER = 0.1;


interface Job {
  nominalMin: number;
  jobMs: number;
  region: string;
  submitAt: number;
  sim: ImsSimulator;
  id?: string;
  lagMs?: number;
  queries?: number;
}

export interface LagRow {
  nominalMin: number;
  samples: number;
  lagP50Ms: number;
  lagP90Ms: number;
  /** Median job queries per hour of job. */
  queriesPerHour: number;
  queriesPerJob: number;
  fixed10: { lagP50Ms: number; lagP90Ms: number; queriesPerHour: number };
  fixed60: { lagP50Ms: number; lagP90Ms: number; queriesPerHour: number };
}

/**
 * The fake clock's waits: a round's pause and the lanes' waits for records due within a round run
 * side by side, so the clock moves to the earliest wake-up only once every call in flight (store,
 * IMS, queue: the wrapped objects) has settled; no check is stamped later than it would run.
 */
function fakeWaits(clock: () => number, advanceTo: (ms: number) => Promise<void>) {
  let inFlight = 0;
  let onSettled: (() => void)[] = [];
  const sleepers: { at: number; wake: () => void }[] = [];
  let driving = false;
  const settle = () => {
    if (--inFlight > 0) return;
    const waiting = onSettled;
    onSettled = [];
    for (const resume of waiting) resume();
  };
  /** Every call in flight settled, and nothing new started within one turn of the event loop. */
  const quiet = async () => {
    for (let calm = 0; calm < 2; ) {
      await new Promise((resume) => setImmediate(resume));
      if (inFlight === 0) calm++;
      else {
        calm = 0;
        await new Promise<void>((resume) => onSettled.push(resume));
      }
    }
  };
  const drive = async () => {
    if (driving) return;
    driving = true;
    try {
      for (;;) {
        await quiet();
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers.shift();
        if (!next) return;
        await advanceTo(next.at);
        next.wake();
      }
    } finally {
      driving = false;
    }
  };
  return {
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleepers.push({ at: clock() + Math.max(0, ms), wake });
        void drive();
      }),
    /** The object with each of its methods counted in flight while the promise it returns is pending. */
    tracked<T extends object>(target: T): T {
      return new Proxy(target, {
        get(t, key) {
          const value: unknown = Reflect.get(t, key);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const out: unknown = value.apply(t, args);
            if (out instanceof Promise) {
              inFlight++;
              out.then(settle, settle);
            }
            return out;
          };
        },
      });
    },
  };
}

/** Fixed-interval polling on the given sweep instants: each check waits for the first sweep at or after it is due. */
function fixedPolling(submitAt: number, endAt: number, intervalMs: number, sweeps: readonly number[]): { lagMs: number; queries: number } {
  let due = submitAt + intervalMs;
  let queries = 0;
  let i = 0;
  for (;;) {
    while (i < sweeps.length && (sweeps[i] as number) < due) i++;
    if (i >= sweeps.length) return { lagMs: Number.NaN, queries };
    const at = sweeps[i] as number;
    queries++;
    if (at >= endAt) return { lagMs: at - endAt, queries };
    due = at + intervalMs;
  }
}


async function main() {
  const { lagDurationsMin: durations, lagSamples: samples } = SIZES;
  const random = seeded(Number(process.env.LAG_SEED ?? 13));
  // The fake clock: starts on a minute, as the schedule's invocations do.
  const start = Math.ceil(Date.now() / MINUTE) * MINUTE;
  let fake = start;
  const services = await startLocalServices({ tableName: 'bench-lag', queueName: 'bench-lag' });
  const jobs: Job[] = [];
  let obs: ImsSimulator | null = null;
  try {
    for (const nominalMin of durations) {
      for (let s = 0; s < samples; s++) {
        const jobMs = Math.round(nominalMin * MINUTE * (1 - JITTER + 2 * JITTER * random()));
        // Submitted at any second of the first five minutes: every phase against the poller's minute.
        const submitAt = start + Math.floor(random() * 5 * MINUTE);
        const sim = await startImsSimulator({ jobMs, now: () => fake });
        jobs.push({ nominalMin, jobMs, region: `lag-${jobs.length}`, submitAt, sim });
      }
    }
    // OBS is one more simulator, where each job's target bucket is in the job's own region (the check before
    // submission looks); each job's simulator sees the bucket in its own region, as IMS requires.
    obs = await startImsSimulator({ now: () => fake });
    for (const job of jobs) obs.addBucket({ name: job.region, region: job.region });
    // The tenant's fence names every job's region (each job has its own simulator as its own region).
    const { apiKey, tenants } = benchTenant({ ims_projects: jobs.map((j) => ({ region: j.region, project_id: SIM_DEFAULTS.projectId })) });
    Object.assign(process.env, services.settings, simulatorClientSettings(jobs[0]?.sim.url ?? ''), {
      OBS_ENDPOINT: obs.url,
      TENANTS: tenants,
      IMS_REGION_ENDPOINTS: JSON.stringify(Object.fromEntries(jobs.map((j) => [j.region, { imsEndpoint: j.sim.url, iamEndpoint: j.sim.url }]))),
      IMS_PROJECT_IDS: JSON.stringify(Object.fromEntries(jobs.map((j) => [j.region, SIM_DEFAULTS.projectId]))),
    });
    const now = () => new Date(fake);
    const [api, worker, poller] = await Promise.all([apiDeps(), workerDeps(), pollerDeps()]);
    const sweepsAt: number[] = [];
    const pending = [...jobs].sort((a, b) => a.submitAt - b.submitAt);
    const sqs = new SQSClient({ region: services.region, endpoint: services.sqsEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const intake = createIntakeHandler(() => ({ ...api, now }));
    const workerHandler = createWorkerHandler(() => ({ ...worker, now }));

    /** Submits one job the way it reaches IMS: intake, then the worker on the queue's message. */
    const submit = async (job: Job) => {
      const body = { image_id: SIM_DEFAULTS.images.exportable, bucket_url: `${job.region}:lag/export.qcow2`, file_format: 'qcow2', region: job.region };
      const res = await intake(exportPostEvent(apiKey, body, fake), lambdaContext('intake', 10_000) as Context);
      if (typeof res === 'string' || res.statusCode !== 202) throw new Error(`intake refused a lag job: ${JSON.stringify(res).slice(0, 300)}`);
      job.id = (JSON.parse(res.body ?? '{}') as { id: string }).id;
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: services.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = got.Messages ?? [];
      const records = messages.map((m) => ({ messageId: m.MessageId ?? '', receiptHandle: m.ReceiptHandle ?? '', body: m.Body ?? '', attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:eu-central-1:000000000000:bench-lag', awsRegion: services.region }));
      const out = await workerHandler({ Records: records } as unknown as SQSEvent, lambdaContext('worker', 60_000) as Context);
      const failed = new Set((out?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      for (const m of messages) if (!failed.has(m.MessageId ?? '')) await sqs.send(new DeleteMessageCommand({ QueueUrl: services.queueUrl, ReceiptHandle: m.ReceiptHandle }));
    };
    /** Moves the clock to `to`, submitting on the way whatever is due to be submitted. */
    const advanceTo = async (to: number) => {
      while (pending.length && (pending[0] as Job).submitAt <= to) {
        const job = pending.shift() as Job;
        fake = Math.max(fake, job.submitAt);
        await submit(job);
      }
      fake = Math.max(fake, to);
    };
    const waits = fakeWaits(() => fake, advanceTo);
    // The sweep instants: each read of the due index (a round's first read, and any further page).
    const store = waits.tracked(poller.store);
    const due: typeof store.due = async (at, limit) => {
      if (sweepsAt.at(-1) !== fake) sweepsAt.push(fake);
      return store.due(at, limit);
    };
    const pollerHandler = createPollerHandler(() => ({
      ...poller,
      store: { ...store, due },
      ims: waits.tracked(poller.ims),
      queue: waits.tracked(poller.queue),
      deliveries: poller.deliveries && waits.tracked(poller.deliveries),
      imsSlots: poller.imsSlots && waits.tracked(poller.imsSlots),
      now,
      sleep: waits.sleep,
    }));
    // DynamoDB queries of the due index, as the poller's sweeps pay for them.
    let dueQueries = 0;
    dynamoDocumentClient({ endpoint: services.settings.DYNAMODB_ENDPOINT, region: services.settings.AWS_REGION }).middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand' && (args.input as { IndexName?: string }).IndexName === DUE_INDEX) dueQueries++;
        return next(args);
      },
      { step: 'initialize', name: 'benchDueQueries' },
    );

    const endAll = Math.max(...jobs.map((j) => j.submitAt + j.jobMs)) + 10 * MINUTE;
    let invocations = 0;
    const realStart = Date.now();
    for (let minute = start; minute < endAll; minute += MINUTE) {
      await advanceTo(minute);
      await pollerHandler({} as ScheduledEvent, lambdaContext('poller', 60_000, () => fake) as Context);
      invocations++;
      if (invocations % 60 === 0) log(`  lag: ${invocations / 60} fake hours swept (${((Date.now() - realStart) / 1000).toFixed(0)} s)`);
    }

    for (const job of jobs) {
      const record = await poller.store.get(job.id ?? '');
      if (!record || record instanceof Error) throw new Error(`lag job ${job.region} has no record`);
      if (record.status !== 'succeeded' || !record.completed_at || !record.submitted_at) throw new Error(`lag job ${job.region} ended ${record.status}${record.error ? `: ${record.error.code} ${record.error.message}` : ''}`);
      job.lagMs = Date.parse(record.completed_at) - (Date.parse(record.submitted_at) + job.jobMs);
      job.queries = job.sim.calls().filter((c) => c.method === 'GET' && JOB_QUERY.test(c.path)).length;
    }
    const rows: LagRow[] = durations.map((nominalMin) => {
      const group = jobs.filter((j) => j.nominalMin === nominalMin);
      const fixed = (intervalMs: number) => {
        const runs = group.map((j) => ({ job: j, ...fixedPolling(j.submitAt, j.submitAt + j.jobMs, intervalMs, sweepsAt) }));
        return {
          lagP50Ms: percentile(runs.map((r) => r.lagMs), 50),
          lagP90Ms: percentile(runs.map((r) => r.lagMs), 90),
          queriesPerHour: median(runs.map((r) => r.queries / (r.job.jobMs / 3_600_000))),
        };
      };
      const lags = group.map((j) => j.lagMs as number);
      return {
        nominalMin,
        samples: group.length,
        lagP50Ms: percentile(lags, 50),
        lagP90Ms: percentile(lags, 90),
        queriesPerJob: median(group.map((j) => j.queries as number)),
        queriesPerHour: median(group.map((j) => (j.queries as number) / (j.jobMs / 3_600_000))),
        fixed10: fixed(10_000),
        fixed60: fixed(60_000),
      };
    });
    for (const r of rows) {
      log(`  lag: ${r.nominalMin} min jobs (${r.samples}): p50 ${(r.lagP50Ms / 1000).toFixed(1)} s, p90 ${(r.lagP90Ms / 1000).toFixed(1)} s, ${r.queriesPerJob} queries (${r.queriesPerHour.toFixed(1)}/h); fixed 10 s p90 ${(r.fixed10.lagP90Ms / 1000).toFixed(1)} s ${r.fixed10.queriesPerHour.toFixed(0)}/h; fixed 60 s p90 ${(r.fixed60.lagP90Ms / 1000).toFixed(1)} s ${r.fixed60.queriesPerHour.toFixed(0)}/h`);
    }
    const dueQueriesPerMinute = dueQueries / invocations;
    log(`  lag: ${sweepsAt.length} sweeps in ${invocations} invocations, ${dueQueries} queries of the due index (${dueQueriesPerMinute.toFixed(1)} a minute)`);
    return { samplesPerDuration: samples, jitter: JITTER, sweepPeriodMs: poller.pauseMs, invocations, sweeps: sweepsAt.length, dueQueriesPerMinute, rows, jobs: jobs.map((j) => ({ nominalMin: j.nominalMin, jobMs: j.jobMs, lagMs: j.lagMs, queries: j.queries })) };
  } finally {
    const [worker, poller] = await Promise.all([workerDeps().catch(() => null), pollerDeps().catch(() => null)]);
    await worker?.ims.close();
    await poller?.ims.close();
    await Promise.all(jobs.map((j) => j.sim.close()));
    await obs?.close();
    await services.stop();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) runMain(main);
