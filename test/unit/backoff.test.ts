import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AIM_CAP_FACTOR,
  BEFORE_PERCENT_FACTOR,
  CHECK_SLACK_MS,
  checkBackoff,
  DEFAULT_CHECK_BACKOFF,
  dueAt,
  nextCheckDelayMs,
  nextCheckDelayWithProgressMs,
} from '../../lib/requests/backoff.js';

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

type Rounding = 'floor' | 'round' | 'ceil';

/**
 * A job's progress as a progress call may report it: whole percentages of a run linear in time,
 * rounded either way, 0 % while it initialises (the first `initShare` of its run); running, never 100
 * unless rounded up. `claimedMs` is the run the percentage tells of (a job faster than it tells ends
 * sooner); from `stallAt` % on it reports that percentage until the end.
 */
interface ProgressShape {
  durationMs: number;
  initShare: number;
  rounding: Rounding;
  claimedMs?: number;
  stallAt?: number;
}

function reportedAt(age: number, shape: ProgressShape): number {
  const claimed = shape.claimedMs ?? shape.durationMs;
  if (age < shape.initShare * claimed) return 0;
  const percent = Math.min(shape.rounding === 'floor' ? 99 : 100, Math.max(1, Math[shape.rounding]((age / claimed) * 100)));
  return shape.stallAt === undefined ? percent : Math.min(percent, shape.stallAt);
}

/**
 * The ages at which a job with a progress call is queried, up to the query that sees it done, as the
 * lifecycle keeps them: the highest percentage read so far, and the one before this check. `late`:
 * how long after its due time each check runs.
 */
function checksWithProgress(shape: ProgressShape, late: () => number = () => 0): number[] {
  const checks: number[] = [];
  let age = FIRST_CHECK_MS + late();
  let previous: number | null = null;
  for (;;) {
    checks.push(age);
    if (age >= shape.durationMs) return checks;
    const progress = Math.max(previous ?? 0, reportedAt(age, shape));
    age += nextCheckDelayWithProgressMs(age, progress, DEFAULT_CHECK_BACKOFF, previous) + late();
    previous = progress;
    if (checks.length > 1_000) throw new Error('the checks never reach the end');
  }
}

const noticedLag = (checks: number[], durationMs: number) => (checks[checks.length - 1] ?? 0) - durationMs;

describe('nextCheckDelayWithProgressMs', () => {
  it('aims at the latest end a percentage allows where that is within a tenth of the run with 3 s to spare, within [2 s, max(maxMs, twice the age)]', () => {
    // 25 % after 1 min: the end is at the latest 60 s × 100 / 25 = 240 s.
    expect(nextCheckDelayWithProgressMs(MINUTE, 25)).toBe(180 * SECOND);
    // 80 % after an hour: 75 min at the latest.
    expect(nextCheckDelayWithProgressMs(HOUR, 80)).toBe(15 * MINUTE);
    // 20 % after 12 s: 60 s at the latest, 57.1 s at the earliest: 2.9 s apart, 5.9 s with the slack, within 6 s.
    expect(nextCheckDelayWithProgressMs(12 * SECOND, 20)).toBe(48 * SECOND);
    // 90 % after 10 s: 1.1 s left, but not sooner than 2 s.
    expect(nextCheckDelayWithProgressMs(10 * SECOND, 90)).toBe(2 * SECOND);
    // 99 % after an hour: at most 36 s left (not a whole minMs or 6 % of the age while the percentage moves).
    expect(nextCheckDelayWithProgressMs(HOUR, 99, DEFAULT_CHECK_BACKOFF, 97)).toBe(Math.floor(HOUR / 99));
    // 10 % after an hour: nine more hours by the percentage, but never more than twice the age so far.
    expect(nextCheckDelayWithProgressMs(HOUR, 10)).toBe(2 * HOUR);
    // Young: maxMs bounds the wait instead (20 % after 1 min would be 4 min more).
    expect(nextCheckDelayWithProgressMs(MINUTE, 20)).toBe(4 * MINUTE);
    expect(nextCheckDelayWithProgressMs(MINUTE, 15)).toBe(5 * MINUTE);
  });

  it('aims at the earliest end where the percentage places the end less precisely, and a finer one is read there', () => {
    // 16 % after 10 s (a one-minute job): the end lies between 58.8 s and 62.5 s, 3.7 s apart (6.7 s with
    // the 3 s a check may come late, more than a tenth of the run): read again at 58.8 s.
    expect(nextCheckDelayWithProgressMs(10 * SECOND, 16)).toBe(48_823);
    // 3 % after 10 s: the end lies between 250 s (under 4 %) and 333 s; the check goes at 250 s.
    expect(nextCheckDelayWithProgressMs(10 * SECOND, 3)).toBe(240 * SECOND);
    // 1 % after 10 min: 50 min at the earliest, bounded by twice the age.
    expect(nextCheckDelayWithProgressMs(10 * MINUTE, 1)).toBe(20 * MINUTE);
  });

  it('spaces the checks wider at 0 % (the job initialises): five times the age, within [minMs, maxMs]', () => {
    expect(nextCheckDelayWithProgressMs(10 * SECOND, 0)).toBe(50 * SECOND);
    expect(nextCheckDelayWithProgressMs(60 * SECOND, 0)).toBe(5 * MINUTE);
    expect(nextCheckDelayWithProgressMs(HOUR, 0)).toBe(5 * MINUTE);
    expect(nextCheckDelayWithProgressMs(SECOND, 0)).toBe(10 * SECOND);
  });

  it('treats 100 % of a job still running as its last percent, and a percentage that stopped moving by 6 % of the age', () => {
    expect(nextCheckDelayWithProgressMs(HOUR, 100, DEFAULT_CHECK_BACKOFF, 99)).toBe(Math.floor(HOUR / 99));
    expect(nextCheckDelayWithProgressMs(HOUR, 100, DEFAULT_CHECK_BACKOFF, 100)).toBe(0.06 * HOUR);
    expect(nextCheckDelayWithProgressMs(HOUR, 99, DEFAULT_CHECK_BACKOFF, 99)).toBe(0.06 * HOUR);
    // Stuck at 40 %: the end it points to is still 1.5 times the age away, beyond 6 %.
    expect(nextCheckDelayWithProgressMs(HOUR, 40, DEFAULT_CHECK_BACKOFF, 40)).toBe(1.5 * HOUR);
  });

  it('falls back to the job age without progress, or with nonsense', () => {
    for (const progress of [null, Number.NaN, -3, 101]) expect(nextCheckDelayWithProgressMs(40 * SECOND, progress)).toBe(nextCheckDelayMs(40 * SECOND));
    expect(nextCheckDelayWithProgressMs(-5, 50)).toBe(nextCheckDelayMs(-5));
  });

  it('keeps the short local policy: minMs is the floor near the end where it is under 2 s', () => {
    const local = checkBackoff.parse({ minMs: 500, maxMs: 2000 });
    expect(nextCheckDelayWithProgressMs(10 * SECOND, 99, local)).toBe(500);
    expect(nextCheckDelayWithProgressMs(10 * SECOND, 0, local)).toBe(2000);
  });
});

describe('the checks of a job, on any duration and progress shape (fast-check)', () => {
  const duration = (fromMs: number, toMs: number) => fc.integer({ min: fromMs, max: toMs });
  const rounding = fc.constantFrom<Rounding>('floor', 'round', 'ceil');

  it('without a progress call: noticed within its own duration and within maxMs (the doubling by age)', () => {
    fc.assert(
      fc.property(duration(SECOND, 24 * HOUR), (durationMs) => {
        const lag = noticedLag(checksUntilNoticed(durationMs), durationMs);
        expect(lag).toBeGreaterThanOrEqual(0);
        expect(lag).toBeLessThanOrEqual(Math.min(DEFAULT_CHECK_BACKOFF.maxMs, Math.max(DEFAULT_CHECK_BACKOFF.minMs, durationMs)));
      }),
      { numRuns: 500 },
    );
  });

  it('with progress linear in time (0 % for up to a sixth of the run, rounded any way): noticed within 10 % of its duration, never sooner than its end', () => {
    fc.assert(
      fc.property(duration(MINUTE, 24 * HOUR), fc.double({ min: 0, max: 1 / 6, noNaN: true }), rounding, (durationMs, initShare, r) => {
        const checks = checksWithProgress({ durationMs, initShare, rounding: r });
        const lag = noticedLag(checks, durationMs);
        expect(lag).toBeGreaterThanOrEqual(0);
        expect(lag).toBeLessThanOrEqual(0.1 * durationMs);
        // Never more queries than by the job's age alone, where that keeps the lag bound.
        expect(checks.length).toBeLessThanOrEqual(checksUntilNoticed(durationMs).length);
      }),
      { numRuns: 1_000 },
    );
  });

  it("with each check up to 3 s late (at the poller's minute boundary): still noticed within 10 % of its duration", () => {
    fc.assert(
      fc.property(
        duration(MINUTE, 24 * HOUR),
        fc.double({ min: 0, max: 1 / 6, noNaN: true }),
        rounding,
        fc.infiniteStream(fc.integer({ min: 0, max: CHECK_SLACK_MS })),
        (durationMs, initShare, r, lateness) => {
          const checks = checksWithProgress({ durationMs, initShare, rounding: r }, () => lateness.next().value as number);
          const lag = noticedLag(checks, durationMs);
          expect(lag).toBeGreaterThanOrEqual(0);
          expect(lag).toBeLessThanOrEqual(0.1 * durationMs);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('with a percentage of 10 or more rounded down, the check aimed at the end it points to never finds the job running', () => {
    fc.assert(
      fc.property(duration(MINUTE, 24 * HOUR), fc.double({ min: 0, max: 1 / 6, noNaN: true }), (durationMs, initShare) => {
        const shape: ProgressShape = { durationMs, initShare, rounding: 'floor' };
        const checks = checksWithProgress(shape);
        let aimedChecks = 0;
        checks.slice(1).forEach((age, i) => {
          const before = checks[i] as number;
          const percent = reportedAt(before, shape);
          if (percent < 10) return;
          // Not bounded by the cap: this check is the one aimed at the latest end (1 ms: whole milliseconds).
          if (age + 1 < (before * 100) / percent) return;
          aimedChecks++;
          expect(age + 1).toBeGreaterThanOrEqual(durationMs);
        });
        expect(aimedChecks).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it('with progress rounded down (0 % for up to a sixth of the run): at most 20 queries per hour of job from 15 minutes on', () => {
    fc.assert(
      fc.property(duration(15 * MINUTE, 24 * HOUR), fc.double({ min: 0, max: 1 / 6, noNaN: true }), (durationMs, initShare) => {
        const checks = checksWithProgress({ durationMs, initShare, rounding: 'floor' });
        expect(checks.length / (durationMs / HOUR)).toBeLessThanOrEqual(20);
      }),
      { numRuns: 500 },
    );
  });

  it('with a percentage that misleads (a job up to ten times faster than it tells): noticed within twice its duration or maxMs', () => {
    fc.assert(
      fc.property(duration(MINUTE, 24 * HOUR), fc.double({ min: 1, max: 10, noNaN: true }), rounding, (durationMs, slower, r) => {
        const checks = checksWithProgress({ durationMs, claimedMs: durationMs * slower, initShare: 0.1, rounding: r });
        const lag = noticedLag(checks, durationMs);
        expect(lag).toBeGreaterThanOrEqual(0);
        expect(lag).toBeLessThanOrEqual(Math.max(DEFAULT_CHECK_BACKOFF.maxMs, AIM_CAP_FACTOR * durationMs));
      }),
      { numRuns: 500 },
    );
  });

  it('with a percentage stuck at 95-99 % for the rest of the run: noticed within 10 % of its duration, with a bounded number of extra queries', () => {
    fc.assert(
      fc.property(duration(MINUTE, 24 * HOUR), fc.integer({ min: 95, max: 99 }), rounding, (durationMs, stallAt, r) => {
        // Linear until stallAt % of a run half as long, then stuck there until the real end.
        const shape: ProgressShape = { durationMs, claimedMs: durationMs / 2, initShare: 0.1, rounding: r, stallAt };
        const checks = checksWithProgress(shape);
        const lag = noticedLag(checks, durationMs);
        expect(lag).toBeGreaterThanOrEqual(0);
        expect(lag).toBeLessThanOrEqual(0.1 * durationMs);
        // Stuck for half the run: 6 % of the age per check at least, about 12 checks for the doubling of the age.
        expect(checks.length).toBeLessThanOrEqual(checksWithProgress({ ...shape, durationMs: durationMs / 2, stallAt: undefined }).length + 14);
      }),
      { numRuns: 500 },
    );
  });

  it('with a progress call that answers 0 % until the end: noticed within five times its age and within maxMs', () => {
    fc.assert(
      fc.property(duration(SECOND, 24 * HOUR), (durationMs) => {
        const checks = checksWithProgress({ durationMs, initShare: 1, rounding: 'floor' });
        const lag = noticedLag(checks, durationMs);
        expect(lag).toBeLessThanOrEqual(Math.min(DEFAULT_CHECK_BACKOFF.maxMs, Math.max(DEFAULT_CHECK_BACKOFF.minMs, BEFORE_PERCENT_FACTOR * durationMs)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('due times', () => {
  const now = new Date('2026-11-23T10:00:00.000Z');

  it('dueAt adds the delay and answers an ISO time', () => {
    expect(dueAt(now, 90 * SECOND)).toBe('2026-11-23T10:01:30.000Z');
  });
});
