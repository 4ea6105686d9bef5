import { describe, expect, it } from 'vitest';
import { checkBackoff, DEFAULT_CHECK_BACKOFF, dueAt, nextCheckDelayMs } from '../../lib/requests/backoff.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const FIRST_CHECK_MS = 10 * SECOND;

/** The ages at which the poller queries a job that finishes at `durationMs`, up to the query that sees it done. */
function checksUntilNoticed(durationMs: number): number[] {
  const checks: number[] = [];
  let age = FIRST_CHECK_MS;
  for (;;) {
    checks.push(age);
    if (age >= durationMs) return checks;
    age += nextCheckDelayMs(age);
  }
}

describe('nextCheckDelayMs', () => {
  it('waits the minimum for a young job, then as long as the job has run, up to the cap', () => {
    expect(nextCheckDelayMs(0)).toBe(10 * SECOND);
    expect(nextCheckDelayMs(10 * SECOND)).toBe(10 * SECOND);
    expect(nextCheckDelayMs(20 * SECOND)).toBe(20 * SECOND);
    expect(nextCheckDelayMs(160 * SECOND)).toBe(160 * SECOND);
    expect(nextCheckDelayMs(320 * SECOND)).toBe(5 * MINUTE);
    expect(nextCheckDelayMs(23 * HOUR)).toBe(5 * MINUTE);
  });

  it('doubles the interval from the first check on: 10 s, 20 s, 40 s, 80 s, 160 s, then 300 s', () => {
    expect(checksUntilNoticed(HOUR).slice(0, 8).map((ms) => ms / SECOND)).toEqual([10, 20, 40, 80, 160, 320, 620, 920]);
  });

  it('treats a negative or unreadable age as a young job instead of stalling or spinning', () => {
    expect(nextCheckDelayMs(-5 * MINUTE)).toBe(10 * SECOND);
    expect(nextCheckDelayMs(Number.NaN)).toBe(10 * SECOND);
    expect(nextCheckDelayMs(Number.POSITIVE_INFINITY)).toBe(10 * SECOND);
  });

  it('follows a custom policy, such as the short one of local runs', () => {
    const local = checkBackoff.parse({ minMs: 500, maxMs: 2000 });
    expect(nextCheckDelayMs(100, local)).toBe(500);
    expect(nextCheckDelayMs(1500, local)).toBe(1500);
    expect(nextCheckDelayMs(60_000, local)).toBe(2000);
    expect(checkBackoff.safeParse({ minMs: 3000, maxMs: 2000 }).success).toBe(false);
    expect(DEFAULT_CHECK_BACKOFF).toEqual({ minMs: 10_000, maxMs: 300_000 });
  });
});

describe('a simulated one-hour job', () => {
  it('costs at most 20 status queries', () => {
    const checks = checksUntilNoticed(HOUR);
    expect(checks.length).toBeLessThanOrEqual(20);
    expect(checks.length).toBe(17);
  });

  it('has its completion noticed within 10 % of its age, whenever around the hour it finishes', () => {
    // Every finishing second from 54 to 66 minutes: the worst case is just after a query.
    for (let duration = 54 * MINUTE; duration <= 66 * MINUTE; duration += SECOND) {
      const checks = checksUntilNoticed(duration);
      const noticedAt = checks[checks.length - 1] ?? 0;
      expect(noticedAt - duration).toBeLessThanOrEqual(0.1 * duration);
      expect(noticedAt).toBeGreaterThanOrEqual(duration);
    }
  });

  it('never lets a job that finished wait longer than the cap to be noticed', () => {
    for (let duration = 6 * MINUTE; duration <= 3 * HOUR; duration += 7 * SECOND) {
      const checks = checksUntilNoticed(duration);
      expect((checks[checks.length - 1] ?? 0) - duration).toBeLessThanOrEqual(5 * MINUTE);
    }
  });
});

describe('due times', () => {
  const now = new Date('2026-11-23T10:00:00.000Z');

  it('dueAt adds the delay and answers an ISO time', () => {
    expect(dueAt(now, 90 * SECOND)).toBe('2026-11-23T10:01:30.000Z');
  });
});
