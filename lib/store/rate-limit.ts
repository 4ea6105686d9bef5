// Per-tenant request rate limit: one counter item per tenant and minute in the table, shared by
// every container. A container takes its tokens from the counter in blocks (one conditional ADD of
// n under the ceiling, n about 5 % of the limit, at most 1,000) and hands them out locally, so the hot
// counter item sees n-fold fewer writes and most requests make no rate-limit call at all. It asks
// for the next block while a quarter of the current one is left, so a request rarely waits for the
// counter. The counter never passes the limit, so no minute ever admits more than the limit; the
// tolerance runs the other way: tokens another container holds unused may make a tenant wait before
// its limit (at most n + ⌊n/4⌋ per other container and minute). When a whole block no longer fits,
// tokens are taken one at a time, as exactly as before; limits under 80 a minute (n < 4) take no
// block ahead, and stay exact.
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { logger } from '../log.js';

const WINDOW_SECONDS = 60;

/** Where a tenant stands in the current window: what the RateLimit and RateLimit-Policy fields tell the caller. */
export interface RateQuota {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
  /** Requests left in the current window after this one (this container's view: tokens other containers hold count as used). */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export type RateDecision = { allowed: true; quota: RateQuota } | { allowed: false; retryAfterSeconds: number; quota: RateQuota };

export interface RateLimiter {
  take(tenant: string, perMinute: number, now: Date): Promise<RateDecision>;
}

/**
 * Tokens a container takes from the shared counter at once: about 5 % of the limit, between 1 and
 * 1,000, so the tokens other containers may hold stay a small share of the limit at any size.
 */
export function blockSize(perMinute: number): number {
  return Math.max(1, Math.min(1_000, Math.floor(perMinute / 20)));
}

/** Tokens left when the next block is asked for: a quarter of a block (none for blocks under 4). */
function refillAheadAt(perMinute: number): number {
  return Math.floor(blockSize(perMinute) / 4);
}

/** This container's tokens of one tenant for one minute; `exhausted` once the counter refused even one. */
interface Tokens {
  minute: number;
  left: number;
  exhausted: boolean;
  /** The shared counter as this container last wrote it. */
  counted: number;
}

export function createRateLimiter({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): RateLimiter {
  const held = new Map<string, Tokens>();
  // One refill per tenant at a time: concurrent requests of one container wait for it instead of each writing.
  const refilling = new Map<string, Promise<void>>();

  /** Adds `n` to the minute's counter if that keeps it within the limit; false if it would not. */
  async function takeFromCounter(tenant: string, minute: number, n: number, perMinute: number): Promise<number | null> {
    try {
      const result = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `RATE#${tenant}`, sk: String(minute) },
          UpdateExpression: 'ADD hits :n SET expires_at = :expires',
          ConditionExpression: 'attribute_not_exists(hits) OR hits <= :most',
          ExpressionAttributeValues: { ':n': n, ':most': perMinute - n, ':expires': (minute + 2) * 60 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(result.Attributes?.hits ?? perMinute);
    } catch (error) {
      // By name, as the store does: importing the class would make every bundle copy the client's exports at cold start.
      if ((error as Error).name === 'ConditionalCheckFailedException') return null;
      throw error;
    }
  }

  async function refill(tenant: string, minute: number, perMinute: number): Promise<void> {
    const n = Math.min(blockSize(perMinute), perMinute);
    let got = 0;
    let counted = n >= 1 ? await takeFromCounter(tenant, minute, n, perMinute) : null;
    if (counted !== null) got = n;
    // A whole block no longer fits: the last tokens of the minute, one at a time.
    else if (n > 1 && (counted = await takeFromCounter(tenant, minute, 1, perMinute)) !== null) got = 1;
    const current = held.get(tenant);
    const base = current?.minute === minute ? current.left : 0;
    held.set(tenant, { minute, left: base + got, exhausted: got === 0, counted: counted ?? perMinute });
  }

  function startRefill(tenant: string, minute: number, perMinute: number): Promise<void> {
    const pending = refill(tenant, minute, perMinute).finally(() => refilling.delete(tenant));
    refilling.set(tenant, pending);
    return pending;
  }

  return {
    async take(tenant, perMinute, now) {
      for (;;) {
        const tokens = held.get(tenant);
        // A request that read the clock just before another began the next minute counts in that minute.
        const minute = Math.max(Math.floor(now.getTime() / 60_000), tokens?.minute ?? 0);
        const resetSeconds = Math.max(1, (minute + 1) * WINDOW_SECONDS - Math.floor(now.getTime() / 1000));
        const quota = (remaining: number): RateQuota => ({ limit: perMinute, windowSeconds: WINDOW_SECONDS, remaining: Math.max(0, remaining), resetSeconds });
        if (tokens?.minute === minute && tokens.left > 0) {
          tokens.left -= 1;
          const ahead = refillAheadAt(perMinute);
          if (ahead > 0 && tokens.left <= ahead && !tokens.exhausted && !refilling.has(tenant)) {
            // Ahead of need: a failed read is retried by the request that finds no tokens left.
            startRefill(tenant, minute, perMinute).catch((error: unknown) => logger.warn('rate-limit tokens not taken ahead', { tenant, error: (error as Error).name }));
          }
          return { allowed: true, quota: quota(perMinute - tokens.counted + tokens.left) };
        }
        if (tokens?.minute === minute && tokens.exhausted) {
          return { allowed: false, retryAfterSeconds: resetSeconds, quota: quota(0) };
        }
        await (refilling.get(tenant) ?? startRefill(tenant, minute, perMinute));
      }
    },
  };
}
