// Webhook retry delays (contract section 6): about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then give up.
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];

export interface JitterOptions {
  /** Fraction of the delay to spread by, either way (0.1 → ±10 %); 0 turns jitter off. */
  jitter?: number;
  random?: () => number;
}

/**
 * Delay before the next attempt after `failedAttempts` (1-based) failed deliveries, or null when
 * the schedule is spent and the webhook is `failed`. Jitter keeps many receivers' retries apart.
 */
export function nextWebhookDelayMs(failedAttempts: number, { jitter = 0.1, random = Math.random }: JitterOptions = {}): number | null {
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(`failedAttempts must be a positive integer, got ${failedAttempts}`);
  }
  const base = WEBHOOK_RETRY_DELAYS_MS[failedAttempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 + jitter * (2 * random() - 1)));
}
