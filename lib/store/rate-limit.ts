// Per-tenant request rate limit: one counter item per tenant and minute, taken with a single
// conditional update (ADD under a ceiling), so concurrent intakes never exceed the limit.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const WINDOW_SECONDS = 60;

/** Where a tenant stands in the current window: what the RateLimit and RateLimit-Policy fields tell the caller. */
export interface RateQuota {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export type RateDecision = { allowed: true; quota: RateQuota } | { allowed: false; retryAfterSeconds: number; quota: RateQuota };

export interface RateLimiter {
  take(tenant: string, perMinute: number, now: Date): Promise<RateDecision>;
}

export function createRateLimiter({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): RateLimiter {
  return {
    async take(tenant, perMinute, now) {
      const window = Math.floor(now.getTime() / (WINDOW_SECONDS * 1000));
      const resetSeconds = Math.max(1, (window + 1) * WINDOW_SECONDS - Math.floor(now.getTime() / 1000));
      const quota = (remaining: number): RateQuota => ({ limit: perMinute, windowSeconds: WINDOW_SECONDS, remaining: Math.max(0, remaining), resetSeconds });
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `RATE#${tenant}`, sk: String(window) },
            UpdateExpression: 'ADD hits :one SET expires_at = :expires',
            ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
            ExpressionAttributeValues: { ':one': 1, ':limit': perMinute, ':expires': (window + 2) * WINDOW_SECONDS },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const hits = Number(result.Attributes?.hits ?? perMinute);
        return { allowed: true, quota: quota(perMinute - hits) };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
          return { allowed: false, retryAfterSeconds: resetSeconds, quota: quota(0) };
        }
        throw error;
      }
    },
  };
}
