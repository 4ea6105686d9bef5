// dynalite keeps each secondary-index entry apart from its item and writes them one after another
// (old entries deleted, new ones put, then the item), so a process killed mid-write (kill -9, a
// second Ctrl-C, the crash suite's SIGKILL) can leave an item without its `due` entry: the poller
// never sees that request again. DynamoDB itself keeps an index in step with its items, so this
// matters only to the on-disk local table, which is checked and mended here before anything runs.
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

export interface IndexRepair {
  items: number;
  /** Items whose index entry was missing or out of date: written again as they are. */
  rewritten: number;
  /** Index entries no item stands behind (the write that would have made them true never landed): removed. */
  orphans: number;
}

async function scanAll(client: DynamoDBDocumentClient, tableName: string, indexName?: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, IndexName: indexName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** The value of each named attribute, as one comparable string; null when the item lacks one (not in a sparse index). */
function keyOf(item: Item, names: readonly string[]): string | null {
  if (names.some((n) => item[n] === undefined || item[n] === null)) return null;
  return JSON.stringify(names.map((n) => item[n]));
}

/** Order-insensitive equality of two plain items (what the document client reads back). */
function sameItem(a: Item, b: Item): boolean {
  const canonical = (v: unknown): unknown =>
    v instanceof Set ? [...v].map(canonical).sort() : Array.isArray(v) ? v.map(canonical) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, w]) => [k, canonical(w)])) : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * Brings every global secondary index of `tableName` back in step with the table's items. Run it
 * while nothing else writes (at start, before the handlers): it reads the table and each index,
 * writes again each item whose entry is missing or differs (dynalite then writes its entries), and
 * removes entries without their item: through the item API, by putting the item with the entry's
 * key and then the item as it is (or deleting it when there is no item).
 */
export async function repairIndexes(client: DynamoDBDocumentClient, tableName: string): Promise<IndexRepair> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const tableKey = (Table?.KeySchema ?? []).map((k) => String(k.AttributeName));
  const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((g) => ({ name: String(g.IndexName), key: (g.KeySchema ?? []).map((k) => String(k.AttributeName)), allAttributes: g.Projection?.ProjectionType === 'ALL' }));
  const items = await scanAll(client, tableName);
  const byKey = new Map(items.map((item) => [keyOf(item, tableKey) ?? '', item]));
  const rewrite = new Map<string, Item>();
  const orphans: { indexKey: readonly string[]; entry: Item }[] = [];

  for (const index of indexes) {
    const entries = await scanAll(client, tableName, index.name);
    const entryFor = new Map<string, Item>();
    for (const entry of entries) {
      const itemKey = keyOf(entry, tableKey) ?? '';
      const item = byKey.get(itemKey);
      const indexKey = keyOf(entry, index.key);
      if (!item || indexKey === null || keyOf(item, index.key) !== indexKey) orphans.push({ indexKey: index.key, entry });
      else entryFor.set(itemKey, entry);
    }
    for (const [itemKey, item] of byKey) {
      if (keyOf(item, index.key) === null) continue;
      const entry = entryFor.get(itemKey);
      if (!entry || (index.allAttributes && !sameItem(entry, item))) rewrite.set(itemKey, item);
    }
  }

  for (const { indexKey, entry } of orphans) {
    const item = byKey.get(keyOf(entry, tableKey) ?? '');
    const key = Object.fromEntries(tableKey.map((k) => [k, entry[k]]));
    if (!item) {
      // The entry of an item whose first write never landed: made real for a moment, then deleted with its entries.
      await client.send(new PutCommand({ TableName: tableName, Item: entry }));
      await client.send(new DeleteCommand({ TableName: tableName, Key: key }));
      continue;
    }
    // The item moves onto the orphan's index key (dynalite replaces that entry) and back (it deletes it).
    await client.send(new PutCommand({ TableName: tableName, Item: { ...item, ...Object.fromEntries(indexKey.map((k) => [k, entry[k]])) } }));
    rewrite.set(keyOf(item, tableKey) ?? '', item);
  }
  for (const item of rewrite.values()) await client.send(new PutCommand({ TableName: tableName, Item: item }));
  return { items: items.length, rewritten: rewrite.size, orphans: orphans.length };
}
