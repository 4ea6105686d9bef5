// The requests table: one DynamoDB table, written only with single-item conditional writes
// (dynalite has no transactions, and deterministic ids make idempotency one conditional put).
//
//   item             pk               sk    other attributes
//   request record   REQ#{id}         REQ   the record's fields at top level, `internal` as a map
//
//   GSI by_tenant    tenant_pk = TENANT#{tenant}   tenant_sk = {created_at}#{id}     (list, newest first)
//   GSI due          due_pk    = DUE#{0..3}        due_sk    = {next_check_at}#{id}  (sparse: poller sweep)
//
// Times in sort keys are normalised to `Date.toISOString()` so they sort as times whatever form
// the record holds. A record whose `next_check_at` is null has no due_* attributes, so the due
// index holds only records needing attention. `due_pk` is sharded over DUE_SHARDS fixed
// partitions (from a hash of the id) so the index has no single hot key; readers query every shard.
// Both GSIs project ALL attributes; billing is PAY_PER_REQUEST. serverless.yml mirrors tableDefinition.
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import * as z from '../zod.js';

export const BY_TENANT_INDEX = 'by_tenant';
export const DUE_INDEX = 'due';
export const DUE_SHARDS = 4;
export const REQUEST_SK = 'REQ';

export const KEY_ATTRIBUTES = ['pk', 'sk', 'tenant_pk', 'tenant_sk', 'due_pk', 'due_sk'] as const;

export function tableDefinition(tableName: string): CreateTableCommandInput {
  const projection = { ProjectionType: 'ALL' as const };
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'tenant_pk', AttributeType: 'S' },
      { AttributeName: 'tenant_sk', AttributeType: 'S' },
      { AttributeName: 'due_pk', AttributeType: 'S' },
      { AttributeName: 'due_sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: BY_TENANT_INDEX,
        KeySchema: [
          { AttributeName: 'tenant_pk', KeyType: 'HASH' },
          { AttributeName: 'tenant_sk', KeyType: 'RANGE' },
        ],
        Projection: projection,
      },
      {
        IndexName: DUE_INDEX,
        KeySchema: [
          { AttributeName: 'due_pk', KeyType: 'HASH' },
          { AttributeName: 'due_sk', KeyType: 'RANGE' },
        ],
        Projection: projection,
      },
    ],
  };
}

export function requestPk(id: string): string {
  return `REQ#${id}`;
}

export function tenantPk(tenant: string): string {
  return `TENANT#${tenant}`;
}

/** An ISO time as it sorts in a key, or null when the string is not a time. */
export function sortableTime(iso: string): string | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The due shard of a request: a 32-bit FNV-1a hash of its id, spread evenly over the shards (no cryptographic hash needed). */
export function dueShard(id: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return `DUE#${(hash >>> 0) % DUE_SHARDS}`;
}

export function allDueShards(): string[] {
  return Array.from({ length: DUE_SHARDS }, (_, i) => `DUE#${i}`);
}

/** Upper bound for `due_sk` that includes every id due at exactly `now` ('$' sorts right after '#'). */
export function dueUpperBound(now: Date): string {
  return `${now.toISOString()}$`;
}

// A cursor names an index position of the caller's own, `<created_at>#<id>`: bounded, so a forged
// one never reaches DynamoDB with a key it refuses.
const cursorId = z.string().check(z.regex(/^req_[A-Za-z0-9_]{1,64}$/));
const listCursorFields = z.object({ t: z.string().check(z.maxLength(64)), s: z.string().check(z.regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z#req_[A-Za-z0-9_]{1,64}$/)), i: cursorId });

/** The opaque `next_cursor` of a listing that resumes after the by_tenant index item `key`. */
export function listCursor(tenant: string, key: Record<string, unknown>): string {
  const id = String(key.pk).slice('REQ#'.length);
  return Buffer.from(JSON.stringify({ t: tenant, s: String(key.tenant_sk), i: id })).toString('base64url');
}

/** The query start key a cursor stands for, only ever inside the caller's own tenant partition; null for any other string. */
export function listStartKey(cursor: string, tenant: string): Record<string, string> | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = listCursorFields.safeParse(json);
  if (!parsed.success || parsed.data.t !== tenant || !parsed.data.s.endsWith(`#${parsed.data.i}`)) return null;
  return { pk: requestPk(parsed.data.i), sk: REQUEST_SK, tenant_pk: tenantPk(tenant), tenant_sk: parsed.data.s };
}
