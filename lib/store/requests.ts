// Request records in DynamoDB (layout in table.ts). Every change is one conditional write on
// `internal.version`, so a stale writer never overwrites a newer state.
// Data problems (corrupt item, bad cursor, invalid input) come back as StoreError values;
// an unreachable or failing DynamoDB is thrown as StoreError kind 'unavailable' (retry the work).
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.js';
import { requestInternal, requestKind, requestRecord, requestStatus, type StoredRequest } from '../requests/record.js';
import {
  BY_TENANT_INDEX,
  DUE_INDEX,
  KEY_ATTRIBUTES,
  REQUEST_SK,
  allDueShards,
  dueShard,
  dueUpperBound,
  listCursor,
  listStartKey,
  requestPk,
  sortableTime,
  tenantPk,
} from './table.js';

export const storedRequest = z.extend(requestRecord, { internal: requestInternal });

export type StoreErrorKind = 'corrupt-item' | 'bad-cursor' | 'bad-input' | 'unavailable';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const listOptions = z.object({
  status: z.optional(requestStatus),
  kind: z.optional(requestKind),
  limit: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 20),
  cursor: z.optional(z.string().check(z.minLength(1))),
});
export type ListOptions = z.input<typeof listOptions>;

export type CreateOutcome = { created: true; record: StoredRequest } | { created: false; existing: StoredRequest };
export type SaveOutcome = { saved: true; record: StoredRequest } | { saved: false; current: StoredRequest | null };
/** Corrupt items are skipped and reported, so one bad item cannot block a listing or a sweep. */
export type RequestPage = { items: StoredRequest[]; next_cursor: string | null; corrupt: StoreError[] };
/** A due item that fails the record schema: what `setAside` needs to take it out of the due index. */
export type CorruptDueItem = { id: string; dueSk: string; error: StoreError };
export type DueRequests = { records: StoredRequest[]; corrupt: CorruptDueItem[] };

export interface RequestStore {
  /** One conditional put; on an existing id, the stored record instead (idempotent replays derive the same id). */
  create(stored: StoredRequest): Promise<CreateOutcome | StoreError>;
  get(id: string): Promise<StoredRequest | null | StoreError>;
  /** The tenant's records, newest first; status/kind filters still fill pages where records exist. */
  list(tenant: string, options?: ListOptions): Promise<RequestPage | StoreError>;
  /** Writes `next` with version expectedVersion+1 if the stored version is still expectedVersion. */
  save(next: StoredRequest, expectedVersion: number): Promise<SaveOutcome | StoreError>;
  /** Records with next_check_at ≤ now, oldest first, read from the due index only. */
  due(now: Date, limit: number): Promise<DueRequests>;
  /**
   * Takes a corrupt item out of the due index (it stays in the table, untouched otherwise, marked
   * `set_aside_at` for an operator), so that it cannot take a sweep's batch again and again.
   * False when the item changed since it was read.
   */
  setAside(item: CorruptDueItem, at: Date): Promise<boolean | StoreError>;
}

type Item = Record<string, unknown>;

// Bounds one list call's reads when a selective filter matches little; the cursor resumes the walk.
const MAX_LIST_QUERIES = 10;
const FILTERED_PAGE_SIZE = 50;

export function createRequestStore({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): RequestStore {
  async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isConditionFailure(err)) throw err;
      throw new StoreError('unavailable', `DynamoDB ${what} failed: ${errorName(err)}`, { cause: err });
    }
  }

  async function get(id: string): Promise<StoredRequest | null | StoreError> {
    const res = await send('GetItem', () =>
      client.send(new GetCommand({ TableName: tableName, Key: { pk: requestPk(id), sk: REQUEST_SK }, ConsistentRead: true })),
    );
    return res.Item ? fromItem(res.Item) : null;
  }

  async function conditionalPut(item: Item, condition: string, names?: Record<string, string>, values?: Item): Promise<boolean> {
    try {
      await send('PutItem', () =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async function create(stored: StoredRequest): Promise<CreateOutcome | StoreError> {
    const checked = validForWrite(stored);
    if (checked instanceof StoreError) return checked;
    const item = toItem(checked);
    if (item instanceof StoreError) return item;
    if (await conditionalPut(item, 'attribute_not_exists(pk)')) return { created: true, record: checked };
    const existing = await get(checked.id);
    if (existing === null) throw new StoreError('unavailable', `request ${checked.id} refused as existing but not found`);
    return existing instanceof StoreError ? existing : { created: false, existing };
  }

  async function save(next: StoredRequest, expectedVersion: number): Promise<SaveOutcome | StoreError> {
    const checked = validForWrite({ ...next, internal: { ...next.internal, version: expectedVersion + 1 } });
    if (checked instanceof StoreError) return checked;
    const item = toItem(checked);
    if (item instanceof StoreError) return item;
    const written = await conditionalPut(
      item,
      '#internal.#version = :expected',
      { '#internal': 'internal', '#version': 'version' },
      { ':expected': expectedVersion },
    );
    if (written) return { saved: true, record: checked };
    const current = await get(checked.id);
    return current instanceof StoreError ? current : { saved: false, current };
  }

  async function list(tenant: string, options: ListOptions = {}): Promise<RequestPage | StoreError> {
    const parsed = listOptions.safeParse(options);
    if (!parsed.success) return new StoreError('bad-input', `list options: ${describeIssues(parsed.error)}`);
    const { status, kind, limit, cursor } = parsed.data;
    let startKey: Item | undefined;
    if (cursor !== undefined) {
      const decoded = listStartKey(cursor, tenant);
      if (decoded === null) return new StoreError('bad-cursor', 'cursor is not one this service issued for this tenant');
      startKey = decoded;
    }

    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Item = { ':tenant_pk': tenantPk(tenant) };
    if (status) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = status;
    }
    if (kind) {
      filters.push('#kind = :kind');
      names['#kind'] = 'kind';
      values[':kind'] = kind;
    }

    const items: StoredRequest[] = [];
    const corrupt: StoreError[] = [];
    let lastTaken: Item | undefined;
    let resumeKey: Item | undefined;
    walk: for (let round = 1; ; round++) {
      const remaining = limit - items.length;
      const res = await send('Query', () =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: BY_TENANT_INDEX,
            KeyConditionExpression: 'tenant_pk = :tenant_pk',
            FilterExpression: filters.length > 0 ? filters.join(' AND ') : undefined,
            ExpressionAttributeNames: filters.length > 0 ? names : undefined,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            // One more than needed tells whether another page exists.
            Limit: filters.length > 0 ? Math.max(remaining + 1, FILTERED_PAGE_SIZE) : remaining + 1,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const raw of res.Items ?? []) {
        if (items.length === limit) {
          resumeKey = lastTaken;
          break walk;
        }
        lastTaken = raw;
        const record = fromItem(raw);
        if (record instanceof StoreError) corrupt.push(record);
        else items.push(record);
      }
      if (!res.LastEvaluatedKey) break;
      startKey = res.LastEvaluatedKey;
      if (round >= MAX_LIST_QUERIES) {
        resumeKey = res.LastEvaluatedKey;
        break;
      }
    }
    return { items, next_cursor: resumeKey ? listCursor(tenant, resumeKey) : null, corrupt };
  }

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
      await send('UpdateItem', () =>
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
    const res = await send('Query', () =>
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

  return { create, get, list, save, due, setAside };
}

function validForWrite(stored: StoredRequest): StoredRequest | StoreError {
  const parsed = storedRequest.safeParse(stored);
  return parsed.success ? parsed.data : new StoreError('bad-input', `request ${stored.id}: ${describeIssues(parsed.error)}`);
}

function toItem(stored: StoredRequest): Item | StoreError {
  const created = sortableTime(stored.created_at);
  if (created === null) return new StoreError('bad-input', `request ${stored.id}: created_at is not a time`);
  const item: Item = {
    ...stored,
    pk: requestPk(stored.id),
    sk: REQUEST_SK,
    tenant_pk: tenantPk(stored.tenant),
    tenant_sk: `${created}#${stored.id}`,
  };
  if (stored.next_check_at !== null) {
    const next = sortableTime(stored.next_check_at);
    if (next === null) return new StoreError('bad-input', `request ${stored.id}: next_check_at is not a time`);
    item.due_pk = dueShard(stored.id);
    item.due_sk = `${next}#${stored.id}`;
  }
  return item;
}

function fromItem(item: Item): StoredRequest | StoreError {
  const record: Item = { ...item };
  for (const key of KEY_ATTRIBUTES) delete record[key];
  const parsed = storedRequest.safeParse(record);
  if (parsed.success) return parsed.data;
  return new StoreError('corrupt-item', `stored request ${idOf(item)}: ${describeIssues(parsed.error)}`);
}

function idOf(item: Item): string {
  return typeof item.pk === 'string' ? item.pk.slice('REQ#'.length) : '(unknown)';
}

// Paths and zod's messages only: never the offending values, which may carry URLs with secrets.
function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'unknown error';
}
