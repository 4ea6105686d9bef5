// A sweep round that reads ahead: records due within the next round are read with the due ones and
// each is taken at its own due time (its lane waits), on a fake clock shared by the API, the
// worker, the poller and the IMS simulator, against the real local services.
import { afterEach, describe, expect, it } from 'vitest';
import { sweepRound } from '../../lib/requests/sweep.js';
import type { StoredRequest } from '../../lib/requests/record.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
/** IMS job status queries: the status call and Huawei's progress call. */
const JOB_QUERY = /^\/v1\/(cloudimages\/job|[^/]+\/jobs)\/[^/]+$/;

let p: Pipeline | undefined;
let fake = 0;

afterEach(async () => {
  await p?.stop();
  p = undefined;
});

/** A running export (a one-minute job) whose first check is due 10 s after its submission. */
async function runningExport(): Promise<StoredRequest> {
  fake = Date.now() - 10 * MINUTE;
  p = await startPipeline({ timings: 'production', now: () => new Date(fake), sim: { jobMs: MINUTE, now: () => fake } });
  const res = await p.api('POST', '/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'ims-exports:ahead/one.qcow2', file_format: 'qcow2' });
  expect(res.status).toBe(202);
  expect((await p.runWorker()).received).toBe(1);
  const record = (await p.poller.store.get(res.json.id as string)) as StoredRequest;
  expect(record.status).toBe('running');
  expect(Date.parse(record.next_check_at as string) - Date.parse(record.submitted_at as string)).toBe(10 * SECOND);
  return record;
}

const jobQueries = () => (p as Pipeline).sim.calls().filter((c) => c.method === 'GET' && JOB_QUERY.test(c.path));

describe('a sweep round that reads ahead', () => {
  it('takes a record due within the read-ahead at its own due time, not before and not a round later', async () => {
    const record = await runningExport();
    const dueMs = Date.parse(record.next_check_at as string);
    fake = dueMs - 3 * SECOND;
    const slept: number[] = [];
    const report = await sweepRound((p as Pipeline).poller, () => true, {
      ms: 5 * SECOND,
      sleep: async (ms) => {
        slept.push(ms);
        fake += ms;
      },
    });
    expect(report).toMatchObject({ due: 1, taken: 1, checked: 1 });
    expect(slept).toEqual([3 * SECOND]);
    // Asked at its due time: the job query and the record's check are both stamped then.
    expect(jobQueries().map((c) => Date.parse(c.time))).toEqual([dueMs]);
    const checked = (await (p as Pipeline).poller.store.get(record.id)) as StoredRequest;
    expect(checked.updated_at).toBe(new Date(dueMs).toISOString());
    // 16 % after 10 s of a one-minute job: the end lies between 58.8 s and 62.5 s; the next check reads it again at 58.8 s.
    expect(checked.progress).toBe(16);
    expect(checked.next_check_at).toBe(new Date(Date.parse(record.submitted_at as string) + 58_823).toISOString());
  });

  it('leaves a record due after the read-ahead, or after the invocation may start anything, to a later round', async () => {
    const record = await runningExport();
    const dueMs = Date.parse(record.next_check_at as string);
    const slept: number[] = [];
    const ahead = { ms: 5 * SECOND, sleep: async (ms: number) => void slept.push(ms) };
    fake = dueMs - 6 * SECOND;
    expect(await sweepRound((p as Pipeline).poller, () => true, ahead)).toMatchObject({ due: 0, taken: 0 });
    fake = dueMs - 3 * SECOND;
    // The invocation may start records only within the next 2 s: this one is due in 3.
    expect(await sweepRound((p as Pipeline).poller, (atMs) => atMs < fake + 2 * SECOND, ahead)).toMatchObject({ due: 1, taken: 0, checked: 0 });
    expect(slept).toEqual([]);
    expect(jobQueries()).toEqual([]);
    expect(((await (p as Pipeline).poller.store.get(record.id)) as StoredRequest).next_check_at).toBe(record.next_check_at);
  });
});
