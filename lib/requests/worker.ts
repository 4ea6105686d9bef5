// The worker's part: take one intake-queue message to IMS exactly once. Claim the record
// (queued → submitting) with a conditional write, call IMS, store the answer, then carry out
// what follows. A message is done only once its outcome is stored.
import { z } from 'zod';
import type { ImsClient } from '../ims/client.js';
import { logger } from '../log.js';
import { webhookEventId } from '../webhooks/event.js';
import { carryOut, type EffectDeps } from './effects.js';
import { newRecord, recordRequest } from './intake.js';
import { REQUEST_ID } from './ids.js';
import type { StoredRequest } from './record.js';
import { callbackUrl, clientRef, parseQueueMessage } from './schemas.js';
import { submitToIms } from './submit.js';
import { transition } from './transition.js';

export interface WorkerDeps extends EffectDeps {
  ims: ImsClient;
}

/** `done`: delete the message. `retry`: leave it for redelivery (something failed before the outcome was stored). */
export type MessageOutcome = 'done' | 'retry';

const intakeMessageSchema = z.strictObject({ request_id: z.string().regex(REQUEST_ID) });

/** A direct producer's message without its own Idempotency-Key is idempotent per SQS message. */
function directMessageKey(messageId: string, given: string | undefined): string {
  return given ?? `sqs:${messageId}`;
}

export async function processIntakeMessage(body: string, messageId: string, deps: WorkerDeps): Promise<MessageOutcome> {
  const record = await recordOf(body, messageId, deps);
  if (record === null) return 'done';
  return advance(record, deps);
}

/** The stored request a message stands for; direct messages (contract 4) are recorded first. */
async function recordOf(body: string, messageId: string, deps: WorkerDeps): Promise<StoredRequest | null> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const ours = intakeMessageSchema.safeParse(json);
  if (ours.success) {
    const found = await deps.store.get(ours.data.request_id);
    if (found instanceof Error) throw found;
    if (!found) logger.error('queue message names an unknown request', { requestId: ours.data.request_id, messageId });
    return found;
  }

  const parsed = parseQueueMessage(body);
  if (!parsed.ok) {
    await recordInvalidMessage(json, parsed.tenant, parsed.errors, messageId, deps);
    return null;
  }
  const { message } = parsed;
  const tenant = deps.tenants.byId(message.tenant);
  if (!tenant) {
    await recordInvalidMessage(json, null, [{ path: 'tenant', message: `is not a configured tenant` }], messageId, deps);
    return null;
  }
  const outcome = await recordRequest(
    {
      tenant,
      kind: message.kind,
      request: message.request as Record<string, unknown>,
      idempotencyKey: directMessageKey(messageId, message.idempotency_key),
    },
    { store: deps.store, placement: deps.placement, now: deps.now },
  );
  switch (outcome.outcome) {
    case 'unavailable':
      throw outcome.error;
    case 'no-project':
      await recordInvalidMessage(json, tenant.id, [{ path: 'request.project_id', message: `is required: no default project for region ${outcome.region}` }], messageId, deps);
      return null;
    case 'conflict':
      // As the HTTP API's 422: the producer hears of it through a failed request of this message's own.
      await recordInvalidMessage(
        json,
        tenant.id,
        [{ path: 'idempotency_key', message: `was already used for request ${outcome.record.id} with another body` }],
        messageId,
        deps,
      );
      return null;
    default:
      if (outcome.outcome === 'created') logger.info('request accepted', { requestId: outcome.record.id, kind: message.kind, tenant: tenant.id, via: 'queue' });
      return outcome.record;
  }
}

/**
 * A message that fails validation is never retried: when it names a known tenant it becomes a
 * `failed` request (source `validation`) whose webhook tells the producer; otherwise it is logged.
 */
async function recordInvalidMessage(
  json: unknown,
  tenantId: string | null,
  errors: { path: string; message: string }[],
  messageId: string,
  deps: WorkerDeps,
): Promise<void> {
  const tenant = tenantId ? deps.tenants.byId(tenantId) : null;
  const summary = errors.map((e) => `${e.path || '(message)'}: ${e.message}`).join('; ');
  if (!tenant) {
    logger.error('invalid queue message for no known tenant; dropped', { messageId, errors: summary });
    return;
  }
  const raw = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const kind = raw.kind === 'export' || raw.kind === 'import' || raw.kind === 'capture' ? raw.kind : 'export';
  const request = typeof raw.request === 'object' && raw.request !== null && !Array.isArray(raw.request) ? (raw.request as Record<string, unknown>) : {};
  // The producer hears of the failure where it asked to (a well-formed callback_url), under its client_ref;
  // anything malformed is left out (a bad callback_url must not become a webhook target), and the
  // failed request is placed by the defaults.
  const safe = Object.fromEntries(Object.entries(request).filter(([k]) => !['callback_url', 'region', 'project_id', 'client_ref'].includes(k)));
  if (callbackUrl.safeParse(request.callback_url).success) safe.callback_url = request.callback_url;
  if (clientRef.safeParse(request.client_ref).success) safe.client_ref = request.client_ref;
  const built = newRecord({ tenant, kind, request: safe, idempotencyKey: directMessageKey(messageId, undefined) }, deps.placement, deps.now());
  if (!('id' in built)) {
    logger.error('invalid queue message; no default project to record it under', { messageId, tenant: tenant.id });
    return;
  }
  const at = built.created_at;
  const hasTarget = built.internal.callback_url !== null;
  const failed: StoredRequest = {
    ...built,
    status: 'failed',
    error: { code: 'VALIDATION', message: summary, source: 'validation' },
    completed_at: at,
    next_check_at: hasTarget ? at : null,
    webhook: { status: hasTarget ? 'pending' : 'none', attempts: 0 },
    internal: { ...built.internal, webhook_event_id: hasTarget ? webhookEventId(built.id, 'failed') : null, webhook_next_at: hasTarget ? at : null },
  };
  const created = await deps.store.create(failed);
  if (created instanceof Error) throw created;
  logger.warn('invalid queue message recorded as a failed request', { requestId: failed.id, messageId, tenant: tenant.id, errors: summary });
}

/** Claims, submits and records one request; a record that is not waiting for submission needs nothing. */
async function advance(record: StoredRequest, deps: WorkerDeps): Promise<MessageOutcome> {
  if (record.status !== 'queued' && record.status !== 'submitting') return 'done';
  const claimed = await transition(deps.store, record, { type: 'claim-submission', at: deps.now() }, deps.timings);
  if (!claimed.ok) {
    // Another worker holds it (a duplicate delivery), or it moved on; its lease makes the poller notice a crash.
    logger.info('request not claimed', { requestId: record.id, reason: claimed.reason, detail: claimed.detail });
    return 'done';
  }
  const submit = claimed.effects.find((e) => e.type === 'submit-to-ims');
  const event = await submitToIms(deps.ims, claimed.record, submit?.type === 'submit-to-ims' && submit.lookFirst, deps.now);
  const outcome = await transition(deps.store, claimed.record, event, deps.timings);
  if (!outcome.ok) {
    logger.warn('IMS answer not recorded', { requestId: record.id, event: event.type, reason: outcome.reason, detail: outcome.detail });
    return 'done';
  }
  await carryOut(outcome.record, outcome.effects, deps);
  return 'done';
}
