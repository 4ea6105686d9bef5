// When the poller asks IMS about a running job again: pure arithmetic on the job's age and, where
// IMS reports it, its progress; no clock.
import * as z from '../zod.js';

export const checkBackoff = z.object({
  /** The shortest wait between two status queries (and the first check's delay). */
  minMs: z._default(z.number().check(z.int(), z.positive()), 10_000),
  /** The longest wait: bounds how late a long job's completion is noticed. */
  maxMs: z._default(z.number().check(z.int(), z.positive()), 300_000),
}).check(
  z.refine((b) => b.minMs <= b.maxMs, 'minMs must not exceed maxMs'),
);
export type CheckBackoff = z.infer<typeof checkBackoff>;

export const DEFAULT_CHECK_BACKOFF: CheckBackoff = checkBackoff.parse({});

/**
 * The wait before the next status query of a job that has run `jobAgeMs`: as long as it has run
 * so far (so the checks double: 10 s, 20 s, 40 s, …) within [minMs, maxMs]. A one-hour job costs
 * 17 queries and its completion is noticed at most maxMs (5 min, 8 % of an hour) late.
 */
export function nextCheckDelayMs(jobAgeMs: number, backoff: CheckBackoff = DEFAULT_CHECK_BACKOFF): number {
  // A clock that went backwards (or garbage) must not stall or spin the poller.
  if (!Number.isFinite(jobAgeMs) || jobAgeMs < 0) return backoff.minMs;
  return Math.min(backoff.maxMs, Math.max(backoff.minMs, Math.floor(jobAgeMs)));
}

/**
 * Of the job's age, the least the next check waits while a job lingers past the end its percentage
 * pointed to (the percentage has not moved since the check before): completion is still noticed
 * within about this share of its duration, with a bounded number of queries however long it lingers.
 */
export const NEAR_END_SHARE = 0.06;

/**
 * The least wait near the end of a job whose percentage aims the check (minMs, where that is
 * shorter): a percentage rounded up aims a little early, and the check after it must not wait the
 * whole minMs (10 s), a sixth of a one-minute job.
 */
export const NEAR_END_MIN_MS = 2_000;

/**
 * While the progress call answers 0 % (the job initialises), the next check waits this many times
 * the job's age, at most maxMs: ages 10 s, 60 s, 6 min, then every 5 min. The percentage that
 * follows aims the check at the end, so these checks only look for it; a job that ended at 0 % is
 * still noticed within maxMs.
 */
export const BEFORE_PERCENT_FACTOR = 5;

/**
 * The longest wait a percentage aims at, as a multiple of the job's age (maxMs where that is longer):
 * a third or more aims straight at the end; a lower one, read early, is read again first, since it
 * says little of a job whose pace changes. A percentage that misleads (a job far faster than it
 * tells) is still noticed within that wait.
 */
export const AIM_CAP_FACTOR = 2;

/** Completion is to be noticed within this share of a job's run (where the percentage allows it). */
export const LAG_SHARE = 0.1;

/**
 * How late a due check may come: the poller starts nothing in the last seconds of its one-minute
 * invocation, so a check due then waits for the next one (about 3 s).
 */
export const CHECK_SLACK_MS = 3_000;

/**
 * The wait before the next status query of a job that has run `jobAgeMs` and reports `progress`
 * percent (null where IMS has no progress call: nextCheckDelayMs, the lag-bounded doubling);
 * `previous` is the percentage the check before read (null: none).
 * - 0 %: BEFORE_PERCENT_FACTOR × its age, within [minMs, maxMs].
 * - 1 to 100 % (100 while still running: at most 1 % left), progress roughly linear in time: a whole
 *   percentage, however rounded, puts the end between age × 100 / (p + 1) and age × 100 / p. Where
 *   that window, with CHECK_SLACK_MS, is within LAG_SHARE of the run (from about 10 % on; from about
 *   20 % for a one-minute job), the check is aimed at the latest end (it lands after the end unless
 *   IMS rounds up); else at the earliest, where a finer percentage is read. Not later than
 *   AIM_CAP_FACTOR × its age or maxMs, whichever is longer, and not sooner than NEAR_END_MIN_MS, or
 *   NEAR_END_SHARE of its age once the percentage stopped moving.
 * A 15-minute job costs 4 queries (10 s, 1 min, 6 min, its end) and is noticed seconds after its end.
 */
export function nextCheckDelayWithProgressMs(
  jobAgeMs: number,
  progress: number | null,
  backoff: CheckBackoff = DEFAULT_CHECK_BACKOFF,
  previous: number | null = null,
): number {
  if (progress === null || !Number.isFinite(jobAgeMs) || jobAgeMs <= 0) return nextCheckDelayMs(jobAgeMs, backoff);
  if (progress === 0) return Math.min(backoff.maxMs, Math.max(backoff.minMs, Math.floor(BEFORE_PERCENT_FACTOR * jobAgeMs)));
  if (!(progress >= 1 && progress <= 100)) return nextCheckDelayMs(jobAgeMs, backoff);
  const percent = Math.min(progress, 99);
  const latest = (jobAgeMs * 100) / percent;
  const earliest = (jobAgeMs * 100) / (percent + 1);
  const end = latest - earliest + CHECK_SLACK_MS <= LAG_SHARE * latest ? latest : earliest;
  const lingering = previous !== null && progress <= previous;
  const least = Math.max(Math.min(backoff.minMs, NEAR_END_MIN_MS), lingering ? NEAR_END_SHARE * jobAgeMs : 0);
  return Math.floor(Math.min(Math.max(backoff.maxMs, AIM_CAP_FACTOR * jobAgeMs), Math.max(least, end - jobAgeMs)));
}

/** The ISO time `delayMs` after `from`, as records store their times. */
export function dueAt(from: Date, delayMs: number): string {
  return new Date(from.getTime() + delayMs).toISOString();
}
