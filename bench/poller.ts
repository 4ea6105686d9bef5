// Bench 4: the poller's sustained rate over a backlog. N running jobs, all due, sit in dynalite;
// the IMS simulator answers every job query 50 ms late. The real poller handler
// (handlers/poller.ts over its composition root) is invoked once a minute, as the schedule does,
// with the minute's context; jobs checked per minute ÷ 60 s is its sustained rate, against the
// limit of its concurrency ÷ the IMS latency. A reduced run shrinks the minute (and the poller's
// pause and reserve with it, in proportion).
import { randomBytes } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { createPollerHandler } from '../handlers/poller.js';
import { pollerDeps } from '../lib/runtime/jobs.js';
import { SIM_DEFAULTS, simulatorClientSettings } from '../local/ims-sim/defaults.js';
import { startImsSimulator } from '../local/ims-sim/server.js';
import { startLocalServices } from '../local/services.js';
import { storedRequestFixture } from '../test/helpers/records.js';
import { SIZES, lambdaContext, log, runMain } from './common.js';
import { pool } from './measure.js';
import { benchTenant } from './tenant.js';

export const IMS_LATENCY_MS = 50;
/** IMS job status queries: the status call and Huawei's progress call. */
export const JOB_QUERY = /^\/v1\/(cloudimages\/job|[^/]+\/jobs)\/[^/]+$/;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const benchRequestId = () => `req_${[...randomBytes(26)].map((b) => CROCKFORD[b & 31]).join('')}`;

export interface PollerMinute {
  checked: number;
  busyMs: number;
  backlogLeft: number;
}

async function main() {
  const { pollerBacklog: backlog, pollerMinuteMs: minuteMs, pollerMinutes } = SIZES;
  const services = await startLocalServices({ tableName: 'bench-poller', queueName: 'bench-poller' });
  // Jobs that run for a day: every check finds them still running.
  const sim = await startImsSimulator({ jobMs: 24 * 3_600_000 });
  try {
    Object.assign(process.env, services.settings, simulatorClientSettings(sim.url), { TENANTS: benchTenant().tenants });
    const deps = await pollerDeps();
    const target = { region: SIM_DEFAULTS.region, projectId: SIM_DEFAULTS.projectId };

    const fillStart = Date.now();
    const now = Date.now();
    const startedAt = new Date(now - 3_600_000).toISOString();
    // A few real IMS jobs shared by the records (the poller asks about each record's job all the same): the fill stays short.
    const jobIds: string[] = [];
    for (let j = 0; j < Math.min(backlog, 20); j++) {
      jobIds.push((await deps.ims.exportImage(target, SIM_DEFAULTS.images.exportable, { bucket_url: `ims-exports:bench/backlog-${j}.qcow2`, file_format: 'qcow2' })).jobId);
    }
    await pool(backlog, 32, async (i) => {
      const jobId = jobIds[i % jobIds.length] as string;
      const outcome = await deps.store.create(
        storedRequestFixture({
          id: benchRequestId(),
          tenant: 'bench',
          status: 'running',
          region: target.region,
          project_id: target.projectId,
          params: { image_id: SIM_DEFAULTS.images.exportable, bucket_url: `ims-exports:bench/backlog-${i}.qcow2`, file_format: 'qcow2' },
          ims_job_id: jobId,
          attempts: 1,
          created_at: startedAt,
          submitted_at: startedAt,
          updated_at: startedAt,
          // All due, oldest first; an hour-old job is next checked 5 min later, so none comes due twice here.
          next_check_at: new Date(now - 60_000 + i).toISOString(),
        }),
      );
      if (outcome instanceof Error || !outcome.created) throw new Error(`backlog record ${i} was not created`);
    });
    log(`  poller: ${backlog} running jobs due (filled in ${((Date.now() - fillStart) / 1000).toFixed(1)} s)`);
    // Only now: the fill's exports are not slowed.
    for (const match of ['GET /v1/*/jobs/*', 'GET /v1/cloudimages/job/*']) sim.addFault({ match, delay_ms: IMS_LATENCY_MS, times: 1_000_000_000 });

    const scale = minuteMs / 60_000;
    const handler = createPollerHandler(() => ({ ...deps, pauseMs: deps.pauseMs * scale, reserveMs: deps.reserveMs * scale }));
    const jobQueries = () => sim.calls().filter((c) => c.method === 'GET' && JOB_QUERY.test(c.path)).length;
    const minutes: PollerMinute[] = [];
    let checkedSoFar = 0;
    for (let m = 0; m < pollerMinutes && checkedSoFar < backlog; m++) {
      const before = jobQueries();
      const start = Date.now();
      await handler({} as ScheduledEvent, lambdaContext('poller', minuteMs));
      const busyMs = Date.now() - start;
      const checked = jobQueries() - before;
      checkedSoFar += checked;
      minutes.push({ checked, busyMs, backlogLeft: backlog - checkedSoFar });
      log(`  poller: minute ${m + 1}: ${checked} jobs checked in ${(busyMs / 1000).toFixed(1)} s of a ${(minuteMs / 1000).toFixed(0)} s minute (${backlog - checkedSoFar} still due)`);
      // The rest of the minute nothing runs (the next invocation is the next minute's): not waited for, counted below.
    }
    // Minutes that ended with jobs still due ran at the poller's own pace; a minute that emptied the backlog did not.
    const bound = minutes.filter((m) => m.backlogLeft > 0);
    const counted = bound.length > 0 ? bound : minutes;
    const jobsPerSec = counted.reduce((s, m) => s + m.checked, 0) / ((counted.length * minuteMs) / 1000);
    const limitPerSec = deps.concurrency / (IMS_LATENCY_MS / 1000);
    return { backlog, minuteMs, concurrency: deps.concurrency, batchSize: deps.batchSize, latencyMs: IMS_LATENCY_MS, minutes, jobsPerSec, limitPerSec };
  } finally {
    const deps = await pollerDeps().catch(() => null);
    await deps?.ims.close();
    await sim.close();
    await services.stop();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) runMain(main);
