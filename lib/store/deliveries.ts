// The delivery log: every webhook and chat delivery attempt of a request, the most recent 50.
//
// One item per request (pk REQ#{id}, sk DELIVERIES) holding the attempts as a list, rewritten with
// a put conditional on the item's own `version` and trimmed to the limit on each write: a hard
// bound on what is stored and one GetItem to read the log, at the price of a read before each
// write (one attempt per delivery, rare next to reads; an item per attempt would need a TTL or a
// delete to stay bounded). It is its own item so the request record stays written by the lifecycle only.
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// What the OpenAPI document says of these fields is in lib/api/openapi-docs.ts (build time only): a field added here fails typecheck until it is described there.
import * as z from '../zod.js';
import { logger } from '../log.js';
import type { PostAttempt } from '../webhooks/deliver.js';
import { requestPk } from './table.js';

export const DELIVERIES_SK = 'DELIVERIES';
export const DELIVERY_LOG_LIMIT = 50;

const MAX_RACES = 4;
const MAX_TEXT = 300;

export const deliveryAttempt = z.object({
  event_id: z.string(),
  type: z.string(),
  attempt: z.number().check(z.int(), z.gte(1)),
  at: z.string(),
  url_origin: z.string(),
  status_code: z.nullable(z.number().check(z.int())),
  error: z.nullable(z.string()),
  duration_ms: z.number().check(z.int(), z.gte(0)),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttempt>;

const storedLog = z.object({
  version: z.number().check(z.int(), z.gte(0)),
  items: z.array(deliveryAttempt),
  /** Attempts made per event id, kept beyond the trimmed list so numbering goes on. */
  counts: z.record(z.string(), z.number().check(z.int(), z.gte(0))),
});

export interface DeliveryLog {
  /** Appends one attempt (numbered per event id); throws only when DynamoDB fails or keeps racing. */
  append(requestId: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt>;
  /** The request's attempts, oldest first; empty when none was made. */
  list(requestId: string): Promise<DeliveryAttempt[]>;
}

export function createDeliveryLog({ client, tableName, limit = DELIVERY_LOG_LIMIT }: { client: DynamoDBDocumentClient; tableName: string; limit?: number }): DeliveryLog {
  const key = (requestId: string) => ({ pk: requestPk(requestId), sk: DELIVERIES_SK });

  async function read(requestId: string): Promise<z.infer<typeof storedLog> | null> {
    const res = await client.send(new GetCommand({ TableName: tableName, Key: key(requestId), ConsistentRead: true }));
    if (!res.Item) return null;
    const parsed = storedLog.safeParse(res.Item);
    // A log that no longer parses is started afresh rather than blocking every later delivery's record.
    return parsed.success ? parsed.data : { version: Number(res.Item.version) || 0, items: [], counts: {} };
  }

  return {
    async append(requestId, attempt) {
      const entry = { ...attempt, url_origin: attempt.url_origin.slice(0, MAX_TEXT), error: attempt.error?.slice(0, MAX_TEXT) ?? null };
      for (let race = 0; race <= MAX_RACES; race++) {
        const current = await read(requestId);
        const number = (current?.counts[entry.event_id] ?? 0) + 1;
        const recorded: DeliveryAttempt = { ...entry, attempt: number };
        const item = {
          ...key(requestId),
          version: (current?.version ?? 0) + 1,
          items: [...(current?.items ?? []), recorded].slice(-limit),
          counts: { ...current?.counts, [entry.event_id]: number },
        };
        try {
          await client.send(
            new PutCommand({
              TableName: tableName,
              Item: item,
              ConditionExpression: current ? '#v = :v' : 'attribute_not_exists(pk)',
              ExpressionAttributeNames: current ? { '#v': 'version' } : undefined,
              ExpressionAttributeValues: current ? { ':v': current.version } : undefined,
            }),
          );
          return recorded;
        } catch (err) {
          if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
        }
      }
      throw new Error(`delivery log of ${requestId} kept changing under ${MAX_RACES + 1} writes`);
    },
    async list(requestId) {
      return (await read(requestId))?.items ?? [];
    },
  };
}

/** Only scheme, host and port: callback and chat URLs carry tokens in their paths and queries. */
export function urlOrigin(url: string): string {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? '(not a URL)' : origin;
  } catch {
    return '(not a URL)';
  }
}

/** The id of a request's completion message in chat: one per outcome, like a webhook's event id. */
export function chatMessageId(requestId: string, status: string): string {
  return `chat_${createHash('sha256').update(`${requestId}\u0000${status}`).digest('hex').slice(0, 32)}`;
}

/**
 * What a delivery passes as `onAttempt` to have each POST logged. Logging is best effort: a failure
 * is logged and the delivery goes on, and only the target's origin and the result's message are kept.
 */
export function recordAttempts(log: DeliveryLog | null | undefined, requestId: string, what: { eventId: string; type: string }) {
  if (!log) return undefined;
  return async ({ url, result, startedAt, durationMs }: PostAttempt): Promise<void> => {
    await log
      .append(requestId, {
        event_id: what.eventId,
        type: what.type,
        at: startedAt.toISOString(),
        url_origin: urlOrigin(url),
        status_code: 'status' in result && result.status !== undefined ? result.status : null,
        // DeliveryResult messages never carry a URL's path or query, nor a secret.
        error: result.ok ? null : result.message,
        duration_ms: Math.max(0, Math.round(durationMs)),
      })
      .catch((error: unknown) => logger.warn('delivery log not written', { requestId, eventId: what.eventId, error: (error as Error).message }));
  };
}
