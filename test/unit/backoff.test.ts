import { describe, expect, it } from 'vitest';
import { checkBackoff, DEFAULT_CHECK_BACKOFF, dueAt, nextCheckDelayMs, nextCheckDelayWithProgressMs } from '../../lib/requests/backoff.js';

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

/** Progress as Huawei's progress call reports it for a job of `durationMs` (whole percent, 0 for its first tenth, as the simulator does). */
const reported = (age: number, durationMs: number) => (age < durationMs / 10 ? 0 : Math.min(99, Math.max(1, Math.floor((age / durationMs) * 100))));

/** The ages at which a job with a progress call is queried, up to the query that sees it done. */
function checksWithProgress(durationMs: number): number[] {
  const checks: number[] = [];
  let age = FIRST_CHECK_MS;
  for (;;) {
    checks.push(age);
    if (age >= durationMs) return checks;
    age += nextCheckDelayWithProgressMs(age, reported(age, durationMs));
  }
}

describe('nextCheckDelayWithProgressMs', () => {
  it('aims at the latest end the progress allows, within [max(minMs, 6 % of the age), max(maxMs, the age)]', () => {
    // 25 % after 1 min: the end is at the latest 60 s × 100 / 25 = 240 s; capped at 5 min.
    expect(nextCheckDelayWithProgressMs(MINUTE, 25)).toBe(180 * SECOND);
    expect(nextCheckDelayWithProgressMs(MINUTE, 10)).toBe(5 * MINUTE);
    expect(nextCheckDelayWithProgressMs(10 * SECOND, 90)).toBe(10 * SECOND);
    expect(nextCheckDelayWithProgressMs(HOUR, 99)).toBe(0.06 * HOUR);
    expect(nextCheckDelayWithProgressMs(HOUR, 80)).toBe(15 * MINUTE);
    // 10 % after an hour: nine more hours by the percentage, but never more than the age so far.
    expect(nextCheckDelayWithProgressMs(HOUR, 10)).toBe(HOUR);
  });

  it('falls back to the job age without progress, at 0 % (nothing known of the rest) or with nonsense', () => {
    for (const progress of [null, 0, 100, Number.NaN, -3]) expect(nextCheckDelayWithProgressMs(40 * SECOND, progress)).toBe(nextCheckDelayMs(40 * SECOND));
  });

  it('notices a job within 10 % of its duration (or 10 s), asks no more than by its age alone, and at most 20 times per hour of job from 30 minutes on', () => {
    for (let duration = MINUTE; duration <= 6 * HOUR; duration = Math.round(duration * 1.13)) {
      const checks = checksWithProgress(duration);
      const noticedAt = checks[checks.length - 1] ?? 0;
      expect(noticedAt).toBeGreaterThanOrEqual(duration);
      expect(noticedAt - duration).toBeLessThanOrEqual(Math.max(10 * SECOND, 0.1 * duration));
      if (duration >= 30 * MINUTE) expect(checks.length / (duration / HOUR)).toBeLessThanOrEqual(20);
      expect(checks.length).toBeLessThanOrEqual(checksUntilNoticed(duration).length);
    }
  });
});

describe('due times', () => {
  const now = new Date('2026-11-23T10:00:00.000Z');

  it('dueAt adds the delay and answers an ISO time', () => {
    expect(dueAt(now, 90 * SECOND)).toBe('2026-11-23T10:01:30.000Z');
  });
});
