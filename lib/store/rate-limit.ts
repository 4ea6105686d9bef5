// Per-tenant request rate limit: one counter item per tenant and minute, taken with a single
// conditional update (ADD under a ceiling), so concurrent intakes never exceed the limit.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  take(tenant: string, perMinute: number, now: Date): Promise<RateDecision>;
}

export function createRateLimiter({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): RateLimiter {
  return {
    async take(tenant, perMinute, now) {
      const minute = Math.floor(now.getTime() / 60_000);
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `RATE#${tenant}`, sk: String(minute) },
            UpdateExpression: 'ADD hits :one SET expires_at = :expires',
            ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
            ExpressionAttributeValues: { ':one': 1, ':limit': perMinute, ':expires': (minute + 2) * 60 },
          }),
        );
        return { allowed: true };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
          return { allowed: false, retryAfterSeconds: Math.max(1, (minute + 1) * 60 - Math.floor(now.getTime() / 1000)) };
        }
        throw error;
      }
    },
  };
}
