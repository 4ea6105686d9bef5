// When the poller asks IMS about a running job again: pure arithmetic on the job's age, no clock.
import * as z from 'zod';

export const checkBackoff = z
  .object({
    /** The shortest wait between two status queries (and the first check's delay). */
    minMs: z.number().int().positive().default(10_000),
    /** The longest wait: bounds how late a long job's completion is noticed. */
    maxMs: z.number().int().positive().default(300_000),
  })
  .refine((b) => b.minMs <= b.maxMs, 'minMs must not exceed maxMs');
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

/** The ISO time `delayMs` after `from`, as records store their times. */
export function dueAt(from: Date, delayMs: number): string {
  return new Date(from.getTime() + delayMs).toISOString();
}
