// What only the HTTP API reads and answers besides request bodies: the list query and the list and
// health answers. Request bodies are in requests/schemas.ts, shared by every entry point.
import * as z from 'zod';
import { requestKind, requestRecord, requestStatus } from '../requests/record.js';

/** Longer than any cursor the listing hands out. */
export const MAX_CURSOR_LENGTH = 512;

export const listQuery = z.strictObject({
  status: requestStatus.optional().describe('only requests in this status'),
  kind: requestKind.optional().describe('only requests of this kind'),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be between 1 and 100')
    .max(100, 'must be between 1 and 100')
    .default(20)
    .describe('page size, 1–100 (default 20)'),
  // A real cursor is about 150 characters; the cap keeps forged ones away from the store.
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional().describe('next_cursor of the previous page'),
});
export type ListQuery = z.infer<typeof listQuery>;

export const requestList = z
  .object({
    items: z.array(requestRecord).describe('requests, newest first'),
    next_cursor: z.string().nullable().describe('cursor of the next page; null on the last page'),
  })
  .meta({ id: 'RequestList', description: 'one page of the tenant\'s requests' });
export type RequestList = z.infer<typeof requestList>;

export const healthStatus = z.object({ status: z.literal('ok') }).describe('the service is ready');
