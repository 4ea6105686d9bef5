import { describe, expect, it } from 'vitest';
import { MAX_REQUEUE_INTERVAL_MS, sweepHoldMs } from '../../lib/requests/sweep.js';
import { storedRequestFixture } from '../helpers/records.js';

const MINUTE = 60_000;
const timings = { sweepLeaseMs: MINUTE };
const created = '2026-05-01T12:00:00.000Z';
const after = (ms: number) => new Date(Date.parse(created) + ms);

describe('how long a sweep holds a record it took', () => {
  const queued = storedRequestFixture({ id: 'req_q', status: 'queued', updated_at: created });

  it('re-enqueues a waiting request at intervals that grow with its wait, up to 15 minutes', () => {
    expect(sweepHoldMs(queued, after(MINUTE), timings)).toBe(MINUTE);
    expect(sweepHoldMs(queued, after(2 * MINUTE), timings)).toBe(2 * MINUTE);
    expect(sweepHoldMs(queued, after(8 * MINUTE), timings)).toBe(8 * MINUTE);
    expect(sweepHoldMs(queued, after(3 * 60 * MINUTE), timings)).toBe(MAX_REQUEUE_INTERVAL_MS);
  });

  it('so a request stuck behind a two-hour backlog gets about a dozen copies, not 120', () => {
    let now = Date.parse(created) + MINUTE;
    let copies = 0;
    while (now < Date.parse(created) + 120 * MINUTE) {
      copies++;
      now += sweepHoldMs(queued, new Date(now), timings);
    }
    expect(copies).toBeLessThanOrEqual(12);
    expect(copies).toBeGreaterThan(5);
  });

  it('holds anything else, and a request whose times are unreadable, for the sweep lease', () => {
    for (const status of ['submitting', 'running', 'succeeded'] as const) {
      expect(sweepHoldMs({ ...queued, status }, after(60 * MINUTE), timings)).toBe(MINUTE);
    }
    expect(sweepHoldMs({ ...queued, updated_at: 'garbled' }, after(60 * MINUTE), timings)).toBe(MINUTE);
  });
});
