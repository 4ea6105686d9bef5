// What only the HTTP API reads and answers besides request bodies: the list query and the list and
// health answers. Request bodies are in requests/schemas.ts, shared by every entry point.
import * as z from '../zod.js';
import { documented } from '../zod.js';
import { requestKind, requestRecord, requestStatus } from '../requests/record.js';

/** Longer than any cursor the listing hands out. */
export const MAX_CURSOR_LENGTH = 512;

export const listQuery = z.strictObject({
  status: documented(z.optional(requestStatus), 'only requests in this status'),
  kind: documented(z.optional(requestKind), 'only requests of this kind'),
  limit: documented(
    z._default(z.coerce.number().check(z.int('must be a whole number'), z.gte(1, 'must be between 1 and 100'), z.lte(100, 'must be between 1 and 100')), 20),
    'page size, 1–100 (default 20)',
  ),
  // A real cursor is about 150 characters; the cap keeps forged ones away from the store.
  cursor: documented(z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CURSOR_LENGTH))), 'next_cursor of the previous page'),
});
export type ListQuery = z.infer<typeof listQuery>;

export const requestList = documented(z.object({
  items: documented(z.array(requestRecord), 'requests, newest first'),
  next_cursor: documented(z.nullable(z.string()), 'cursor of the next page; null on the last page'),
}), { id: 'RequestList', description: 'one page of the tenant\'s requests' });
export type RequestList = z.infer<typeof requestList>;

export const healthStatus = documented(z.object({ status: z.literal('ok') }), 'the service is ready');
