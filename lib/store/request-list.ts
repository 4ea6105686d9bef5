// A tenant's requests, newest first (GET /v1/requests and the chat `list` command): the by_tenant
// index, with status and kind filters and a cursor. Only the API functions read it.
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.js';
import { requestKind, requestStatus, type StoredRequest } from '../requests/record.js';
import { describeIssues, fromItem, storeCall, StoreError, type Item } from './requests.js';
import { BY_TENANT_INDEX, listCursor, listStartKey, tenantPk } from './table.js';

export const listOptions = z.object({
  status: z.optional(requestStatus),
  kind: z.optional(requestKind),
  limit: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 20),
  cursor: z.optional(z.string().check(z.minLength(1))),
});
export type ListOptions = z.input<typeof listOptions>;

/** Corrupt items are skipped and reported, so one bad item cannot block a listing. */
export type RequestPage = { items: StoredRequest[]; next_cursor: string | null; corrupt: StoreError[] };

export interface RequestListing {
  /** The tenant's records, newest first; status/kind filters still fill pages where records exist. */
  list(tenant: string, options?: ListOptions): Promise<RequestPage | StoreError>;
}

// Bounds one list call's reads when a selective filter matches little; the cursor resumes the walk.
const MAX_LIST_QUERIES = 10;
const FILTERED_PAGE_SIZE = 50;

export function createRequestListing({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }): RequestListing {
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
      const res = await storeCall('Query', () =>
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

  return { list };
}
