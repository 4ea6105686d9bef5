// How many IMS jobs one project (region + project id) has in flight: at most `maxInFlight`, so a
// burst waits in the queue instead of drawing IMS's 429s. One item per project holds a map of
// request id → lease end; a request takes a slot before its submission and gives it back when its
// job ends (or its submission is to be retried). A lease that is not renewed lapses, so a slot lost
// with a crashed container comes back by itself. Each write is conditional on the version read.
//
//   item        pk                                sk      attributes
//   IMS slots   SLOTS#{region}#{project id}       SLOTS   holders (map id → lease end, ms), version
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const SLOTS_SK = 'SLOTS';
/** Writers that lost a race read again; after this many, the request waits like one that found no slot. */
const MAX_RACES = 5;

/** What a slot is for: one request, in its region and project. */
export interface SlotRequest {
  id: string;
  region: string;
  project_id: string;
}

export type SlotDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface ImsSlots {
  /** Takes (or renews) the request's slot; `ok: false` when the project has none free. */
  take(request: SlotRequest, now: Date): Promise<SlotDecision>;
  /** Extends the lease of a slot the request still holds; never takes a new one. */
  renew(request: SlotRequest, now: Date): Promise<void>;
  /** Gives the slot back; a request that holds none changes nothing. */
  release(request: SlotRequest): Promise<void>;
}

export interface ImsSlotOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  maxInFlight: number;
  /** How long a slot lasts without renewal: longer than the longest wait between two job checks. */
  leaseMs: number;
  /** A request that finds no slot waits this long, up to twice (jitter spreads a burst). */
  waitSeconds: number;
  random?: () => number;
}

const isConditionFailure = (error: unknown) => (error as Error | undefined)?.name === 'ConditionalCheckFailedException';

export function createImsSlots({ client, tableName, maxInFlight, leaseMs, waitSeconds, random = Math.random }: ImsSlotOptions): ImsSlots {
  const key = (r: SlotRequest) => ({ pk: `SLOTS#${r.region}#${r.project_id}`, sk: SLOTS_SK });
  const wait = (): SlotDecision => ({ ok: false, retryAfterSeconds: Math.round(waitSeconds * (1 + random())) });

  return {
    async take(request, now) {
      const nowMs = now.getTime();
      for (let race = 0; race < MAX_RACES; race++) {
        const got = await client.send(new GetCommand({ TableName: tableName, Key: key(request), ConsistentRead: true }));
        const holders = (got.Item?.holders ?? {}) as Record<string, number>;
        const version = got.Item ? Number(got.Item.version) : null;
        const live = Object.fromEntries(Object.entries(holders).filter(([id, until]) => until > nowMs && id !== request.id));
        if (Object.keys(live).length >= maxInFlight) return wait();
        try {
          await client.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...key(request), holders: { ...live, [request.id]: nowMs + leaseMs }, version: (version ?? 0) + 1 },
              ...(version === null
                ? { ConditionExpression: 'attribute_not_exists(pk)' }
                : { ConditionExpression: 'version = :read', ExpressionAttributeValues: { ':read': version } }),
            }),
          );
          return { ok: true };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      return wait();
    },

    async renew(request, now) {
      await client
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(request),
            UpdateExpression: 'SET holders.#id = :until ADD version :one',
            ConditionExpression: 'attribute_exists(holders.#id)',
            ExpressionAttributeNames: { '#id': request.id },
            ExpressionAttributeValues: { ':until': now.getTime() + leaseMs, ':one': 1 },
          }),
        )
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        });
    },

    async release(request) {
      await client
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(request),
            UpdateExpression: 'REMOVE holders.#id ADD version :one',
            ConditionExpression: 'attribute_exists(holders.#id)',
            ExpressionAttributeNames: { '#id': request.id },
            ExpressionAttributeValues: { ':one': 1 },
          }),
        )
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        });
    },
  };
}

/**
 * Keeps a request's slot in step with its record: held while it is submitting or running (the
 * lease renewed at each check), given back once it is queued again or has ended.
 */
export async function followRecord(slots: ImsSlots, record: SlotRequest & { status: string }, now: Date): Promise<void> {
  if (record.status === 'submitting' || record.status === 'running') await slots.renew(record, now);
  else await slots.release(record);
}
