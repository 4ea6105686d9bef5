// What only the HTTP API reads and answers besides request bodies: the list query and the list and
// health answers. Request bodies are in requests/schemas.ts, shared by every entry point.
// What the OpenAPI document says of these fields is in lib/api/openapi-docs.ts (build time only): a field added here fails typecheck until it is described there.
import * as z from '../zod.js';
import { requestKind, requestRecord, requestStatus } from '../requests/record.js';
import { deliveryAttempt } from '../store/deliveries.js';

/** Longer than any cursor the listing hands out. */
export const MAX_CURSOR_LENGTH = 512;

export const listQuery = z.strictObject({
  status: z.optional(requestStatus),
  kind: z.optional(requestKind),
  limit: z._default(z.coercedNumber().check(z.int('must be a whole number'), z.gte(1, 'must be between 1 and 100'), z.lte(100, 'must be between 1 and 100')), 20),
  // A real cursor is about 150 characters; the cap keeps forged ones away from the store.
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CURSOR_LENGTH))),
});
export type ListQuery = z.infer<typeof listQuery>;

export const requestList = z.object({
  items: z.array(requestRecord),
  next_cursor: z.nullable(z.string()),
});
export type RequestList = z.infer<typeof requestList>;

export const healthStatus = z.object({ status: z.literal('ok') });

/** GET /v1/requests/{id}/deliveries: the request's webhook and chat delivery attempts. */
export const deliveryList = z.object({ items: z.array(deliveryAttempt) });
