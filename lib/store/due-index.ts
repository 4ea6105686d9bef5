// The poller's read of what is due (the sparse `due` index, sharded) and its way to take a corrupt
// item out of it. Only the poller reads it.
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredRequest } from '../requests/record.js';
import { fromItem, idOf, isConditionFailure, storeCall, StoreError, type Item } from './requests.js';
import { DUE_INDEX, REQUEST_SK, allDueShards, dueUpperBound, requestPk } from './table.js';

/** A due item that fails the record schema: what `setAside` needs to take it out of the due index. */
export type CorruptDueItem = { id: string; dueSk: string; error: StoreError };
/** Corrupt items are skipped and reported, so one bad item cannot block a sweep. */
export type DueRequests = { records: StoredRequest[]; corrupt: CorruptDueItem[] };

export interface DueIndex {
  /** Records with next_check_at ≤ now, oldest first, read from the due index only. */
  due(now: Date, limit: number): Promise<DueRequests>;
  /**
   * Takes a corrupt item out of the due index (it stays in the table, untouched otherwise, marked
   * `set_aside_at` for an operator), so that it cannot take a sweep's batch again and again.
   * False when the item changed since it was read.
   */
  setAside(item: CorruptDueItem, at: Date): Promise<boolean | StoreError>;
}

export function createDueIndex({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): DueIndex {
  async function due(now: Date, limit: number): Promise<DueRequests> {
    const count = Math.floor(limit);
    if (!(count >= 1)) return { records: [], corrupt: [] };
    const bound = dueUpperBound(now);
    // Each shard is read about a quarter of the batch at a time, and further only while its items are
    // still among the oldest `count`: the same records as reading `count` from every shard, a quarter of the reads.
    const shards = allDueShards().map((shard) => ({ shard, items: [] as Item[], startKey: undefined as Item | undefined, done: false }));
    const step = Math.ceil(count / shards.length) + 1;
    const readMore = async (s: (typeof shards)[number]) => {
      const page = await dueInShard(s.shard, bound, step, s.startKey);
      s.items.push(...page.items);
      s.startKey = page.startKey;
      s.done = page.startKey === undefined;
    };
    await Promise.all(shards.map(readMore));
    const byDueSk = (a: Item, b: Item) => (String(a.due_sk) < String(b.due_sk) ? -1 : String(a.due_sk) > String(b.due_sk) ? 1 : 0);
    let oldestFirst: Item[];
    for (;;) {
      oldestFirst = shards.flatMap((s) => s.items).sort(byDueSk);
      const cutoff = oldestFirst.length >= count ? String(oldestFirst[count - 1]?.due_sk) : null;
      const mayHoldOlder = shards.filter((s) => !s.done && (cutoff === null || String(s.items.at(-1)?.due_sk ?? '') <= cutoff));
      if (mayHoldOlder.length === 0) break;
      await Promise.all(mayHoldOlder.map(readMore));
    }
    oldestFirst = oldestFirst.slice(0, count);
    const records: StoredRequest[] = [];
    const corrupt: CorruptDueItem[] = [];
    for (const raw of oldestFirst) {
      const record = fromItem(raw);
      if (record instanceof StoreError) corrupt.push({ id: idOf(raw), dueSk: String(raw.due_sk), error: record });
      else records.push(record);
    }
    return { records, corrupt };
  }

  async function setAside(item: CorruptDueItem, at: Date): Promise<boolean | StoreError> {
    try {
      await storeCall('UpdateItem', () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: requestPk(item.id), sk: REQUEST_SK },
            UpdateExpression: 'REMOVE due_pk, due_sk SET set_aside_at = :at',
            ConditionExpression: 'due_sk = :due_sk',
            ExpressionAttributeValues: { ':at': at.toISOString(), ':due_sk': item.dueSk },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async function dueInShard(shard: string, bound: string, limit: number, startKey: Item | undefined): Promise<{ items: Item[]; startKey: Item | undefined }> {
    const res = await storeCall('Query', () =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'due_pk = :shard AND due_sk < :bound',
          ExpressionAttributeValues: { ':shard': shard, ':bound': bound },
          ScanIndexForward: true,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    return { items: res.Items ?? [], startKey: res.LastEvaluatedKey };
  }

  return { due, setAside };
}
