import { describe, expect, it } from 'vitest';
import { nextWebhookDelayMs } from '../../lib/webhooks/schedule.js';

const exact = { jitter: 0 };

describe('nextWebhookDelayMs', () => {
  it('follows the contract schedule after each failed attempt', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => nextWebhookDelayMs(n, exact));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  it('gives up after the eighth failed attempt', () => {
    expect(nextWebhookDelayMs(8, exact)).toBeNull();
    expect(nextWebhookDelayMs(20, exact)).toBeNull();
  });

  it('spreads a delay by at most the jitter fraction either way', () => {
    expect(nextWebhookDelayMs(2, { jitter: 0.1, random: () => 0 })).toBe(270_000);
    expect(nextWebhookDelayMs(2, { jitter: 0.1, random: () => 0.999999 })).toBeCloseTo(330_000, -1);
    for (let i = 0; i < 50; i++) {
      const delay = nextWebhookDelayMs(1) ?? 0;
      expect(delay).toBeGreaterThanOrEqual(4_500);
      expect(delay).toBeLessThanOrEqual(5_500);
    }
  });

  it('rejects a count that is not a positive integer', () => {
    expect(() => nextWebhookDelayMs(0)).toThrow(RangeError);
    expect(() => nextWebhookDelayMs(1.5)).toThrow(RangeError);
  });
});
