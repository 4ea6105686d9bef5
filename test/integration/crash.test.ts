// Crash, reduced for CI: `npm start` as a child process killed with SIGKILL twice while requests are in
// flight and started again on the same data directory (`npm run chaos -- --crash` runs 100 requests).
// Records queued at the first kill lose their queue message and wait for the poller's re-queue after a
// minute, so this file takes about 75 s; up to about 4 minutes when an export was killed between
// saying it sends and its POST, since it then waits for its object until its 3-minute deadline.
import { beforeAll, describe, expect, it } from 'vitest';
import { runCrash } from '../../bench/chaos/crash.js';
import type { Figures } from '../../bench/chaos/figures.js';

describe('crash: 24 requests, the whole stack killed twice mid-flight', () => {
  let run: Awaited<ReturnType<typeof runCrash>>;
  let figures: Figures;
  beforeAll(async () => {
    run = await runCrash({ requests: 24, seed: 5, deadlineMs: 6 * 60_000 });
    figures = run.figures;
    if (figures.detail.length) console.log(figures.detail.join('\n'));
    // A run that leaves requests open says why: each one's stored record, IMS's view, its log lines, the queues.
    if (run.diagnosis.length) console.log(run.diagnosis.join('\n'));
  }, 7 * 60_000);

  it('killed the stack with requests still open (queued, submitting or running)', () => {
    expect(run.inFlightAtKills.some((open) => /(^|, )[1-9]\d* (queued|submitting|running)/.test(open)), run.inFlightAtKills.join(' / ')).toBe(true);
  });

  it('restarts with IMS remembering the jobs it ran before the kill', () => {
    expect(run.imsRemembers).toBe(true);
  });

  it('ends every accepted request (none lost)', () => {
    expect(figures.accepted).toBeGreaterThan(0);
    expect({ lost: figures.lost, terminal: figures.terminal }, run.diagnosis.join('\n')).toEqual({ lost: 0, terminal: figures.records });
  });

  it('makes no second image and reports no success IMS does not show', () => {
    expect({ duplicateImages: figures.duplicateImages, falseSuccesses: figures.falseSuccesses }).toEqual({ duplicateImages: 0, falseSuccesses: 0 });
  });

  it('delivers exactly one webhook per finished request across the restarts', () => {
    expect({ missing: figures.webhooksMissing, duplicate: figures.webhooksDuplicate }).toEqual({ missing: 0, duplicate: 0 });
  });
});
