// Request records in DynamoDB (layout in table.ts). Every change is one conditional write on
// `internal.version`, so a stale writer never overwrites a newer state. A tenant's listing
// (request-list.ts) and the poller's due index (due-index.ts) read the same items, each in its
// own module so a function carries only the reads it makes.
// Data problems (corrupt item, bad cursor, invalid input) come back as StoreError values;
// an unreachable or failing DynamoDB is thrown as StoreError kind 'unavailable' (retry the work).
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.js';
import { requestInternal, requestRecord, type StoredRequest } from '../requests/record.js';
import { KEY_ATTRIBUTES, REQUEST_SK, dueShard, requestPk, sortableTime, tenantPk } from './table.js';

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

export type CreateOutcome = { created: true; record: StoredRequest } | { created: false; existing: StoredRequest };
export type SaveOutcome = { saved: true; record: StoredRequest } | { saved: false; current: StoredRequest | null };

export interface RequestStore {
  /** One conditional put; on an existing id, the stored record instead (idempotent replays derive the same id). */
  create(stored: StoredRequest): Promise<CreateOutcome | StoreError>;
  get(id: string): Promise<StoredRequest | null | StoreError>;
  /** Writes `next` with version expectedVersion+1 if the stored version is still expectedVersion. */
  save(next: StoredRequest, expectedVersion: number): Promise<SaveOutcome | StoreError>;
}

export type Item = Record<string, unknown>;

export function createRequestStore({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): RequestStore {
  async function get(id: string): Promise<StoredRequest | null | StoreError> {
    const res = await storeCall('GetItem', () =>
      client.send(new GetCommand({ TableName: tableName, Key: { pk: requestPk(id), sk: REQUEST_SK }, ConsistentRead: true })),
    );
    return res.Item ? fromItem(res.Item) : null;
  }

  async function conditionalPut(item: Item, condition: string, names?: Record<string, string>, values?: Item): Promise<boolean> {
    try {
      await storeCall('PutItem', () =>
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

  return { create, get, save };
}

/** A DynamoDB call: a failure other than a failed condition is thrown as StoreError kind 'unavailable'. */
export async function storeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isConditionFailure(err)) throw err;
    throw new StoreError('unavailable', `DynamoDB ${what} failed: ${errorName(err)}`, { cause: err });
  }
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

/** A stored item as a record, or why it is not one (its key attributes dropped, the record schema checked). */
export function fromItem(item: Item): StoredRequest | StoreError {
  const record: Item = { ...item };
  for (const key of KEY_ATTRIBUTES) delete record[key];
  const parsed = storedRequest.safeParse(record);
  if (parsed.success) return parsed.data;
  return new StoreError('corrupt-item', `stored request ${idOf(item)}: ${describeIssues(parsed.error)}`);
}

export function idOf(item: Item): string {
  return typeof item.pk === 'string' ? item.pk.slice('REQ#'.length) : '(unknown)';
}

// Paths and zod's messages only: never the offending values, which may carry URLs with secrets.
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

export function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'unknown error';
}
