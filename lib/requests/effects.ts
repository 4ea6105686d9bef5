// Carrying out what the lifecycle core asked for once a record is stored: re-enqueue, deliver
// the webhook, create a capture's export child, tell the chat. Shared by worker and poller.
import type { Agent } from 'undici';
import { logger, redactUrl } from '../log.js';
import { recordWebhook } from '../metrics.js';
import type { IntakeQueue } from '../queue/intake.js';
import { chatMessageId, recordAttempts, type DeliveryLog } from '../store/deliveries.js';
import { followRecord, type ImsSlots } from '../store/ims-slots.js';
import type { RequestStore } from '../store/requests.js';
import type { Tenant, TenantDirectory } from '../tenants.js';
import type { AddressPolicy } from '../webhooks/addresses.js';
import { deliverWebhook, type PostDeps } from '../webhooks/deliver.js';
import { webhookEvent } from '../webhooks/event.js';
import { enqueue } from './accept.js';
import { recordRequest, type Placement } from './intake.js';
import { pendingAnnouncements, type Effect, type LifecycleTimings } from './lifecycle.js';
import { publicRecord, type StoredRequest } from './record.js';
import { transition } from './transition.js';

export interface ChatNotifier {
  /** Posts the completion message; says whether the command's response_url was used. */
  notify(record: StoredRequest, tenant: Tenant, at: Date, onAttempt?: PostDeps['onAttempt']): Promise<{ ok: boolean; usedResponseUrl: boolean }>;
}

export interface EffectDeps {
  store: RequestStore;
  queue: IntakeQueue;
  tenants: TenantDirectory;
  placement: Placement;
  webhookAgent: Agent;
  /** The addresses webhookAgent may reach; intake refuses callback IP literals outside it. */
  webhookPolicy: AddressPolicy;
  chat: ChatNotifier | null;
  timings: LifecycleTimings;
  now: () => Date;
  /** Where each webhook and chat POST is logged (GET /v1/requests/{id}/deliveries); null logs none. */
  deliveries?: DeliveryLog | null;
  /** The per-project cap on IMS jobs in flight; null sets none. */
  imsSlots?: ImsSlots | null;
}

async function sendWebhook(record: StoredRequest, eventId: string, deps: EffectDeps): Promise<void> {
  const tenant = deps.tenants.byId(record.tenant);
  const url = record.internal.callback_url;
  if (!tenant || !url) {
    logger.error('webhook has no target', { requestId: record.id, tenant: record.tenant });
    return;
  }
  const result = await deliverWebhook(
    { url, secrets: tenant.webhook_secrets, eventId, record: publicRecord(record), at: new Date(record.completed_at ?? record.updated_at) },
    { agent: deps.webhookAgent, now: deps.now, onAttempt: recordAttempts(deps.deliveries, record.id, { eventId, type: webhookEvent(publicRecord(record), new Date()).type }) },
  );
  const message = result.ok ? undefined : `${result.kind}${'status' in result && result.status ? ` ${result.status}` : ''}: ${result.message}`;
  if (!result.ok) logger.warn('webhook delivery failed', { requestId: record.id, eventId, target: redactUrl(url), reason: message });
  // An address the guard refuses, or a URL that cannot be called, stays so: retrying for hours mends nothing.
  const final = !result.ok && (result.kind === 'refused-address' || result.kind === 'bad-url');
  const next = await transition(deps.store, record, { type: 'webhook-result', at: deps.now(), ok: result.ok, final, ...(message ? { message } : {}) }, deps.timings);
  if (next.ok && next.record.webhook.status === 'failed') {
    // The metric filter behind the "failed webhooks" alarm matches this message.
    logger.error('webhook failed', { requestId: record.id, eventId, attempts: next.record.webhook.attempts, target: redactUrl(url), reason: message });
  }
  if (next.ok && next.record.webhook.status === 'delivered') logger.info('webhook delivered', { requestId: record.id, eventId });
  if (next.ok && next.record.webhook.status !== 'none') recordWebhook(next.record.webhook.status, next.record.completed_at, deps.now());
}

async function createChildExport(record: StoredRequest, effect: Extract<Effect, { type: 'create-child-export' }>, deps: EffectDeps): Promise<void> {
  const tenant = deps.tenants.byId(record.tenant);
  if (!tenant) {
    logger.error('tenant of a capture is no longer configured', { requestId: record.id, tenant: record.tenant });
    return;
  }
  const request: Record<string, unknown> = {
    ...effect.params,
    region: record.region,
    project_id: record.project_id,
    ...(record.internal.callback_url ? { callback_url: record.internal.callback_url } : {}),
    ...(record.client_ref !== null ? { client_ref: record.client_ref } : {}),
  };
  const chat = record.internal.chat ? { response_url: record.internal.chat.response_url, expires_at: record.internal.chat.expires_at } : null;
  const child = await recordRequest(
    { tenant, kind: 'export', request, idempotencyKey: effect.idempotencyKey, parentId: record.id, chat },
    deps,
  );
  if (child.outcome === 'unavailable') throw child.error;
  if (child.outcome === 'no-project') throw new Error(`no project for region ${child.region}`);
  // A replay (the same idempotency key) finds the child the first attempt made: enqueue it again, harmlessly.
  if (child.record.status === 'queued') await enqueue(deps, child.record.id);
  const parent = await transition(deps.store, record, { type: 'child-created', at: deps.now(), childId: child.record.id }, deps.timings);
  if (parent.ok) await carryOut(parent.record, parent.effects, deps);
}

async function notifyChat(record: StoredRequest, deps: EffectDeps): Promise<void> {
  const tenant = deps.tenants.byId(record.tenant);
  if (!deps.chat || !tenant || !record.internal.chat) return;
  const sent = await deps.chat.notify(record, tenant, deps.now(), recordAttempts(deps.deliveries, record.id, { eventId: chatMessageId(record.id, record.status), type: 'chat' }));
  if (!sent.usedResponseUrl) return;
  // Counted best effort: a lost count only means a fallback to the chat webhook later.
  await transition(deps.store, record, { type: 'chat-notified', at: deps.now(), usedResponseUrl: true }, deps.timings).catch((error: unknown) =>
    logger.warn('response_url use not counted', { requestId: record.id, error: (error as Error).message }),
  );
}

/**
 * Sends what a finished record still owes (its webhook, or a capture's export child) now, holding the
 * record first exactly as a sweep does, so a sweep running at the same moment cannot send it too.
 */
export async function announceDue(record: StoredRequest, deps: EffectDeps): Promise<void> {
  const held = await transition(deps.store, record, { type: 'sweep-hold', at: deps.now() }, deps.timings);
  if (held.ok) await carryOut(held.record, pendingAnnouncements(held.record), deps);
}

/** Carries out effects in order; a failure is logged and left to the poller's next sweep, which sees the record due. */
export async function carryOut(record: StoredRequest, effects: readonly Effect[], deps: EffectDeps): Promise<void> {
  if (deps.imsSlots) await followRecord(deps.imsSlots, record, deps.now());
  for (const effect of effects) {
    switch (effect.type) {
      case 'requeue':
        await enqueue(deps, record.id, effect.delaySeconds);
        break;
      case 'send-webhook':
        await sendWebhook(record, effect.eventId, deps);
        break;
      case 'create-child-export':
        await createChildExport(record, effect, deps);
        break;
      case 'notify-chat':
        await notifyChat(record, deps);
        break;
      case 'submit-to-ims':
        // Only the worker submits, right after its claim; a sweep never does.
        break;
    }
  }
}
