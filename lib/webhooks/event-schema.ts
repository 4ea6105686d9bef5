// The completion event's schema: what the OpenAPI document describes and the tests parse sent events
// with. The service builds events from the types in event.ts; typecheck ties these schemas to them.
import * as z from '../zod.js';
import { requestRecord } from '../requests/record.js';
import { webhookEventType, type WebhookEvent, type WebhookEventData } from './event.js';

export const webhookEventData = z.extend(z.omit(requestRecord, { webhook: true }), {
  // Always null: an ended request is not checked again.
  next_check_at: z.null(),
  // When the request ended (its completed_at).
  updated_at: z.string(),
});

export const webhookEventPayload = z.object({
  type: webhookEventType,
  timestamp: z.string(),
  data: webhookEventData,
});

const sameData: z.Same<z.infer<typeof webhookEventData>, WebhookEventData> = true;
const sameEvent: z.Same<z.infer<typeof webhookEventPayload>, WebhookEvent> = true;
void [sameData, sameEvent];
