// The poller's call budget with the production timings and one fake clock shared by the API, the
// worker, the poller, their IMS clients and the IMS simulator: a long job is driven in
// milliseconds by moving the clock to each record's next check and sweeping.
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredRequest } from '../../lib/requests/record.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** IMS job status queries: the status call and Huawei's progress call. */
const JOB_QUERY = /^\/v1\/(cloudimages\/job|[^/]+\/jobs)\/[^/]+$/;

let p: Pipeline | undefined;

afterEach(async () => {
  await p?.stop();
  p = undefined;
});

interface Run {
  record: StoredRequest;
  /** When the job was submitted (fake clock). */
  submittedMs: number;
  sweeps: number;
  jobQueries: number;
}

/**
 * Submits an export whose simulated job takes `jobMs`, then moves the clock to each next check and
 * sweeps until the request is terminal. The clock starts `endsAfterMs` before the real time, so
 * that the webhook of the outcome is signed with a timestamp the receiver's verifier accepts.
 */
async function driveExport(jobMs: number, endsAfterMs: number, sim: { progressApi?: boolean } = {}): Promise<Run> {
  let fake = Date.now() - endsAfterMs;
  p = await startPipeline({ timings: 'production', now: () => new Date(fake), sim: { jobMs, now: () => fake, ...sim } });
  const submittedMs = fake;
  const res = await p.api('POST', '/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'ims-exports:budget/long.qcow2', file_format: 'qcow2' });
  expect(res.status).toBe(202);
  const id = res.json.id as string;
  expect((await p.runWorker()).received).toBe(1);

  let sweeps = 0;
  for (;;) {
    const record = (await p.poller.store.get(id)) as StoredRequest;
    if (record.status !== 'running') break;
    expect(record.next_check_at).not.toBeNull();
    // Only ever forward: the sweep must find the record due exactly at its next check.
    fake = Math.max(fake, Date.parse(record.next_check_at as string));
    const report = await p.sweep();
    expect(report).toMatchObject({ due: 1, taken: 1, checked: 1 });
    sweeps++;
    if (sweeps > 1_000) throw new Error('the job never ended');
  }
  const record = (await p.poller.store.get(id)) as StoredRequest;
  const jobQueries = p.sim.calls().filter((c) => c.method === 'GET' && JOB_QUERY.test(c.path)).length;
  return { record, submittedMs, sweeps, jobQueries };
}

function deliveredOnce(id: string): void {
  const hooks = (p as Pipeline).receiver.deliveries.filter((d) => d.data.id === id);
  expect(hooks).toHaveLength(1);
}

describe('the poller call budget, with production timings and a fake clock', () => {
  it('notices a one-hour job within 10 % of its age with at most 20 job queries', async () => {
    const jobMs = HOUR;
    const run = await driveExport(jobMs, jobMs);
    const { record } = run;
    expect(record.status).toBe('succeeded');
    // Every time on the record comes from the shared clock, not from the wall clock.
    expect(record.submitted_at).toBe(new Date(run.submittedMs).toISOString());
    const lagMs = Date.parse(record.completed_at as string) - (run.submittedMs + jobMs);
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThanOrEqual(0.1 * jobMs);
    // 0 % while it initialises (10 s, 1 min, 6 min, then every 5 min), then aimed at the end its percentage points to:
    // 6 queries (17 by the job's age alone, as without a progress call below).
    expect(run.jobQueries).toBeLessThanOrEqual(7);
    expect(run.jobQueries).toBe(run.sweeps);
    deliveredOnce(record.id);
    console.info(`budget: 1 h job (progress call): ${run.jobQueries} job queries, noticed ${lagMs / 1000} s after it ended`);
  });

  it('keeps the budget where IMS has no progress call (Open Telekom Cloud)', async () => {
    const jobMs = HOUR;
    const run = await driveExport(jobMs, jobMs, { progressApi: false });
    expect(run.record.status).toBe('succeeded');
    const lagMs = Date.parse(run.record.completed_at as string) - (run.submittedMs + jobMs);
    expect(lagMs).toBeLessThanOrEqual(0.1 * jobMs);
    // The one 404 of the progress call is learnt once, then only the status call is asked.
    expect(run.jobQueries).toBe(run.sweeps + 1);
    expect(run.jobQueries).toBeLessThanOrEqual(20);
    console.info(`budget: 1 h job (no progress call): ${run.jobQueries} job queries, noticed ${lagMs / 1000} s after it ended`);
  });

  it('notices a ten-minute job within 10 % of its age', async () => {
    const jobMs = 10 * MINUTE;
    const run = await driveExport(jobMs, jobMs);
    expect(run.record.status).toBe('succeeded');
    const lagMs = Date.parse(run.record.completed_at as string) - (run.submittedMs + jobMs);
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThanOrEqual(0.1 * jobMs);
    // The progress call's percentage aims the checks: 4 queries (10 s, 1 min, 6 min, the end), noticed seconds after the end.
    expect(run.jobQueries).toBeLessThanOrEqual(5);
    deliveredOnce(run.record.id);
    console.info(`budget: 10 min job: ${run.jobQueries} job queries, noticed ${lagMs / 1000} s after it ended`);
  });

  it('fails a job still running at the deadline (IMS_JOB_DEADLINE_HOURS, 24 h) with source timeout', async () => {
    const deadlineMs = 24 * HOUR;
    const run = await driveExport(25 * HOUR, deadlineMs);
    const { record } = run;
    expect(record).toMatchObject({ status: 'failed', error: { code: 'JOB_DEADLINE', source: 'timeout' } });
    // Failed at the deadline itself: the last check is never scheduled past it.
    expect(record.completed_at).toBe(new Date(run.submittedMs + deadlineMs).toISOString());
    const hooks = (p as Pipeline).receiver.deliveries.filter((d) => d.data.id === record.id);
    expect(hooks.map((d) => d.type)).toEqual(['image.export.failed']);
    console.info(`budget: 25 h job: failed at the 24 h deadline after ${run.jobQueries} job queries`);
  });
});
