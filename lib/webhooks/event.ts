// The completion event sent to callback URLs: its type, when the outcome happened, and the record as `data`.
import * as z from 'zod';
import { requestRecord, type RequestRecord, type RequestStatus } from '../requests/record.js';

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

export const webhookEventPayload = z.object({
  type: webhookEventType,
  timestamp: z.string().describe('ISO 8601 UTC time the request reached its outcome'),
  data: requestRecord,
});
export type WebhookEvent = z.infer<typeof webhookEventPayload>;

/** The outcome a status announces, or null when it announces none (still running, or cancelled). */
export function outcomeOf(status: RequestStatus): WebhookOutcome | null {
  return status === 'succeeded' || status === 'failed' ? status : null;
}

/**
 * The event for a finished record. `at` is when the outcome happened (pass the stored completion
 * time so every retry sends the same body). Calling it for an unfinished record is a caller bug.
 */
export function webhookEvent(record: RequestRecord, at: Date): WebhookEvent {
  const outcome = outcomeOf(record.status);
  if (outcome === null) throw new TypeError(`request ${record.id} is ${record.status}: no completion event`);
  return {
    type: webhookEventType.parse(`image.${record.kind}.${outcome}`),
    timestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    data: record,
  };
}
