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
 * Of the job's age, the least the next check waits once its end is estimated as near: completion is
 * noticed within about this share of the job's duration, with a bounded number of queries near the end.
 */
export const NEAR_END_SHARE = 0.06;

/**
 * The wait before the next status query of a job that has run `jobAgeMs` and reports `progress`
 * percent (null where IMS has no progress call). With 1 to 99 %, and progress roughly linear in
 * time, the job ends at the latest at age × 100 / progress: the next check is aimed there, not
 * sooner than NEAR_END_SHARE of its age (minMs at least), and not later than its age so far or maxMs,
 * whichever is longer: a job whose progress misleads is still noticed within that. A 30-minute job
 * costs about 9 queries instead of 11 and is noticed seconds after its end instead of minutes.
 * Without progress (or at 0 %, which says nothing of the rest): nextCheckDelayMs.
 */
export function nextCheckDelayWithProgressMs(jobAgeMs: number, progress: number | null, backoff: CheckBackoff = DEFAULT_CHECK_BACKOFF): number {
  if (progress === null || !(progress >= 1 && progress < 100) || !Number.isFinite(jobAgeMs) || jobAgeMs <= 0) return nextCheckDelayMs(jobAgeMs, backoff);
  const remaining = (jobAgeMs * 100) / progress - jobAgeMs;
  return Math.floor(Math.min(Math.max(backoff.maxMs, jobAgeMs), Math.max(backoff.minMs, NEAR_END_SHARE * jobAgeMs, remaining)));
}

/** The ISO time `delayMs` after `from`, as records store their times. */
export function dueAt(from: Date, delayMs: number): string {
  return new Date(from.getTime() + delayMs).toISOString();
}
