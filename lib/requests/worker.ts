// The worker's part: take one intake-queue message to IMS exactly once. Claim the record
// (queued → submitting) with a conditional write, call IMS, store the answer, then carry out
// what follows. A message is done only once its outcome is stored.
import * as z from '../zod.js';
import type { ImsClient } from '../ims/client.js';
import type { ImsAuth } from '../ims/settings.js';
import { logger } from '../log.js';
import { countSlotWait } from '../metrics.js';
import { acceptRequest, enqueue } from './accept.js';
import { announceDue, carryOut, type EffectDeps } from './effects.js';
import { REQUEST_ID } from './ids.js';
import { newRecord, paramsOf } from './intake.js';
import type { StoredRequest } from './record.js';
import { parseQueueMessage } from './queue-message.js';
import { callbackUrl, clientRef } from './schemas.js';
import { tenantImsAuth } from '../tenants.js';
import type { ObsEvidence } from './evidence.js';
import type { LifecycleEvent } from './lifecycle.js';
import { precheckObs } from './obs-precheck.js';
import { submitToIms } from './submit.js';
import { createDecided, transition } from './transition.js';

export interface WorkerDeps extends EffectDeps {
  ims: ImsClient;
  /** OBS, read before a submission (obs-precheck.ts); null or absent: no OBS credentials, the checks are skipped. */
  obs?: ObsEvidence | null;
}

/** `done`: delete the message. `retry`: leave it for redelivery (something failed before the outcome was stored). */
export type MessageOutcome = 'done' | 'retry';

const intakeMessageSchema = z.strictObject({ request_id: z.string().check(z.regex(REQUEST_ID)) });

/** A direct producer's message without its own Idempotency-Key is idempotent per SQS message. */
function directMessageKey(messageId: string, given: string | undefined): string {
  return given ?? `sqs:${messageId}`;
}

export async function processIntakeMessage(body: string, messageId: string, deps: WorkerDeps): Promise<MessageOutcome> {
  const record = await recordOf(body, messageId, deps);
  if (record === null) return 'done';
  return advance(record, deps);
}

/** The stored request a message stands for; a producer's own message (queue-message.ts) is accepted first. */
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
  const key = directMessageKey(messageId, message.idempotency_key);
  const outcome = await acceptRequest(tenant, message.kind, message.request, { via: 'queue', idempotencyKey: key }, { ...deps, rateLimiter: null });
  switch (outcome.outcome) {
    case 'unavailable':
      throw outcome.error;
    case 'invalid':
      await recordInvalidMessage(json, tenant.id, outcome.errors.map((e) => ({ ...e, path: e.path ? `request.${e.path}` : 'request' })), messageId, deps);
      return null;
    case 'rate-limited':
      throw new Error('a queue message has no rate limit');
    case 'forbidden':
      // Outside the tenant's fence: a failed record (source forbidden) and its webhook, and no IMS call.
      await recordInvalidMessage(json, tenant.id, outcome.errors.map((e) => ({ ...e, path: `request.${e.path}` })), messageId, deps, 'forbidden');
      return null;
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
  source: 'validation' | 'forbidden' = 'validation',
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
  const safe = paramsOf(request);
  if (callbackUrl.safeParse(request.callback_url).success) safe.callback_url = request.callback_url;
  if (clientRef.safeParse(request.client_ref).success) safe.client_ref = request.client_ref;
  const built = newRecord({ tenant, kind, request: safe, idempotencyKey: directMessageKey(messageId, undefined) }, deps.placement, deps.now(), deps.timings);
  if (!('id' in built)) {
    logger.error('invalid queue message; no default project to record it under', { messageId, tenant: tenant.id });
    return;
  }
  const refused = await createDecided(deps.store, built, { type: 'refused-at-intake', at: deps.now(), code: source === 'forbidden' ? 'FORBIDDEN' : 'VALIDATION', message: summary, source }, deps.timings);
  if (refused instanceof Error) throw refused;
  if (!('created' in refused)) {
    logger.error('invalid queue message not recorded', { messageId, tenant: tenant.id, detail: refused.detail });
    return;
  }
  if (!refused.created) return;
  logger.warn('invalid queue message recorded as a failed request', { requestId: built.id, messageId, tenant: tenant.id, errors: summary });
  await carryOut(refused.decision.record, refused.decision.effects, deps);
}

/**
 * The OBS checks (obs-precheck.ts) before a fresh submission, beside the image pre-flight inside
 * submitToIms: a refusal is recorded like IMS's own but with source `precheck` and no POST; checks
 * that could not be made are noted on the record. A look-first submission is left to what IMS
 * shows of the earlier attempt.
 */
async function submitChecked(
  record: StoredRequest,
  lookFirst: boolean,
  auth: ImsAuth | null,
  deps: WorkerDeps,
): Promise<{ record: StoredRequest; event: LifecycleEvent } | null> {
  const checked = lookFirst ? null : await precheckObs(deps.obs ?? null, record);
  if (checked?.outcome === 'refused') {
    return { record, event: { type: 'ims-refused', at: deps.now(), code: checked.code, message: checked.message, source: 'precheck' } };
  }
  let current = record;
  if (record.kind === 'export') {
    // Said before the POST: a claim that lapses after this awaits evidence, one that lapses before it submits again.
    const sending = await transition(deps.store, record, { type: 'submission-sending', at: deps.now() }, deps.timings);
    if (!sending.ok) {
      logger.info('export not sent', { requestId: record.id, reason: sending.reason, detail: sending.detail });
      return null;
    }
    current = sending.record;
  }
  const event = await submitToIms(deps.ims, current, lookFirst, deps.now, auth);
  return { record: current, event: checked?.outcome === 'skipped' && event.type === 'ims-accepted' ? { ...event, note: checked.note } : event };
}

/** Claims, submits and records one request; a record that is not waiting for submission needs nothing. */
async function advance(record: StoredRequest, deps: WorkerDeps): Promise<MessageOutcome> {
  if (record.status === 'succeeded' || record.status === 'failed') {
    // A redelivery asked for: the outcome is sent now rather than at the poller's next sweep.
    await announceDue(record, deps);
    return 'done';
  }
  if (record.status !== 'queued' && record.status !== 'submitting') return 'done';
  // The project's IMS jobs in flight are capped: without a free slot the request waits in the queue (a new message, so no receive counts toward the DLQ).
  const slot = deps.imsSlots ? await deps.imsSlots.take(record, deps.now()) : null;
  if (slot && !slot.ok) {
    countSlotWait();
    return (await enqueue(deps, record.id, slot.retryAfterSeconds)) ? 'done' : 'retry';
  }
  const claimed = await transition(deps.store, record, { type: 'claim-submission', at: deps.now() }, deps.timings);
  if (!claimed.ok) {
    // Another worker holds it (a duplicate delivery), or it moved on; its lease makes the poller notice a crash.
    logger.info('request not claimed', { requestId: record.id, reason: claimed.reason, detail: claimed.detail });
    return 'done';
  }
  const submit = claimed.effects.find((e) => e.type === 'submit-to-ims');
  // An export whose earlier submission may have reached IMS is never sent again: it awaits evidence.
  if (submit?.type !== 'submit-to-ims') {
    await carryOut(claimed.record, claimed.effects, deps);
    return 'done';
  }
  // The tenant's own IMS credentials, when it has them, for every call of its request.
  const tenant = deps.tenants.byId(record.tenant);
  const auth = tenant ? tenantImsAuth(tenant) : null;
  const submitted = await submitChecked(claimed.record, submit.lookFirst, auth, deps);
  if (submitted === null) return 'done';
  const { event } = submitted;
  const outcome = await transition(deps.store, submitted.record, event, deps.timings);
  if (!outcome.ok) {
    logger.warn('IMS answer not recorded', { requestId: record.id, event: event.type, reason: outcome.reason, detail: outcome.detail });
    return 'done';
  }
  await carryOut(outcome.record, outcome.effects, deps);
  return 'done';
}
