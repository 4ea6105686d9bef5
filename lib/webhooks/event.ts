// The completion event sent to callback URLs: its type, when the outcome happened, and the record as `data`.
// What the OpenAPI document says of these fields is in lib/api/openapi-docs.ts (build time only), over their schemas in event-schema.ts: a field added to them fails typecheck until it is described there.
import * as z from '../zod.js';
import type { RequestRecord, RequestStatus } from '../requests/record.js';

export const webhookOutcome = z.enum(['succeeded', 'failed']);
export type WebhookOutcome = z.infer<typeof webhookOutcome>;

export const webhookEventType = z.enum([
  'image.export.succeeded',
  'image.export.failed',
  'image.import.succeeded',
  'image.import.failed',
  'image.capture.succeeded',
  'image.capture.failed',
]);
export type WebhookEventType = z.infer<typeof webhookEventType>;

// The record as it stood when the request ended: no next check and no webhook state, which would
// be stale by the time a receiver reads them and would differ between retries of one event. Its
// schema, for the OpenAPI document and the tests, is in event-schema.ts (and typecheck ties the two).
export type WebhookEventData = Omit<RequestRecord, 'webhook' | 'next_check_at' | 'updated_at'> & {
  /** Always null: an ended request is not checked again. */
  next_check_at: null;
  /** When the request ended (its completed_at). */
  updated_at: string;
};

export interface WebhookEvent {
  type: WebhookEventType;
  timestamp: string;
  data: WebhookEventData;
}

/** The outcome a status announces, or null when it announces none (still running, or cancelled). */
export function outcomeOf(status: RequestStatus): WebhookOutcome | null {
  return status === 'succeeded' || status === 'failed' ? status : null;
}

/**
 * The event for a finished record, the same on every retry. `at` is when the outcome happened (pass the stored completion
 * time so every retry sends the same body). Calling it for an unfinished record is a caller bug.
 */
export function webhookEvent(record: RequestRecord, at: Date): WebhookEvent {
  const outcome = outcomeOf(record.status);
  if (outcome === null) throw new TypeError(`request ${record.id} is ${record.status}: no completion event`);
  const { webhook: _deliveryState, ...data } = record;
  return {
    type: webhookEventType.parse(`image.${record.kind}.${outcome}`),
    timestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    data: { ...data, next_check_at: null, updated_at: record.completed_at ?? record.updated_at },
  };
}
