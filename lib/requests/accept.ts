// One way in for a new request, whatever brought it: an HTTP call, a slash command or a message a
// producer put on the queue. The steps, in order: validate, place (region and project), check the
// tenant fence, take a rate-limit hit (where the origin has a limit), record, enqueue (warning when
// the send fails: the record is stored, the poller enqueues it again). Each origin turns the
// outcome into its own answer (problem+json, a chat reply, a failed record).
import { logger } from '../log.js';
import type { IntakeQueue } from '../queue/intake.js';
import type { RateLimiter } from '../store/rate-limit.js';
import type { Tenant } from '../tenants.js';
import { refusedLiteralTarget, type AddressPolicy } from '../webhooks/addresses.js';
import { placeRequest, recordRequest, type Placed, type RecordDeps, type RecordOutcome } from './intake.js';
import type { RequestKind } from './record.js';
import { parseRequest, type FieldError } from './schemas.js';

/** Who sent the request, and what only that entry point carries. */
export type Origin =
  | { via: 'http'; idempotencyKey: string | null }
  | { via: 'chat'; platform: string; idempotencyKey: string | null; chat: { response_url: string | null; expires_at: string | null } }
  /** A producer's own message: idempotent per its key, or per SQS message. The worker submits it right away. */
  | { via: 'queue'; idempotencyKey: string };

export type Acceptance =
  | { outcome: 'invalid'; errors: FieldError[] }
  | { outcome: 'rate-limited'; retryAfterSeconds: number }
  | RecordOutcome;

export interface AcceptDeps extends RecordDeps {
  queue: IntakeQueue;
  /** Per-tenant limit of HTTP and chat requests; queue messages are paced by the queue. */
  rateLimiter: RateLimiter | null;
  /** Which callback addresses deliveries may reach; an IP literal outside it is refused at once. */
  webhookPolicy: AddressPolicy;
}

/** The message the worker takes from the intake queue for a stored request. */
export function intakeMessage(requestId: string): { request_id: string } {
  return { request_id: requestId };
}

/** Sends a stored request's message; a failed send is only a warning, since the poller re-enqueues a stored request. */
export async function enqueue(deps: { queue: IntakeQueue }, requestId: string, delaySeconds = 0): Promise<boolean> {
  const sent = await deps.queue.send(intakeMessage(requestId), { delaySeconds }).catch((e: unknown) => e as Error);
  if (sent instanceof Error) {
    logger.warn('intake queue send failed; the poller will re-enqueue', { requestId, error: sent.message });
    return false;
  }
  return true;
}

/**
 * The tenant fence: the step where a tenant's allowed regions and projects are checked, after the
 * defaults placed the request and before anything is counted or stored. It allows every placement
 * for now; a refusal is to become an outcome `forbidden` (403 over HTTP and chat, a failed record
 * with source `forbidden` for a queue message).
 */
function checkTenantFence(_tenant: Tenant, _placed: Placed): 'allowed' {
  return 'allowed';
}

export async function acceptRequest(tenant: Tenant, kind: RequestKind, body: unknown, origin: Origin, deps: AcceptDeps): Promise<Acceptance> {
  const parsed = parseRequest(kind, body);
  if (!parsed.ok) return { outcome: 'invalid', errors: parsed.errors };
  const request = parsed.request as Record<string, unknown>;
  // An IP literal is known now to be unreachable: say so instead of failing every delivery later (names are checked when connected to).
  const refusedTarget = typeof request.callback_url === 'string' ? refusedLiteralTarget(request.callback_url, deps.webhookPolicy) : null;
  if (refusedTarget) return { outcome: 'invalid', errors: [{ path: 'callback_url', message: refusedTarget }] };

  const placed = placeRequest(request, deps.placement);
  if (placed.projectId === null) return { outcome: 'no-project', region: placed.region };
  checkTenantFence(tenant, placed);

  if (origin.via !== 'queue' && deps.rateLimiter) {
    const rate = await deps.rateLimiter.take(tenant.id, tenant.requests_per_minute, deps.now());
    if (!rate.allowed) return { outcome: 'rate-limited', retryAfterSeconds: rate.retryAfterSeconds };
  }

  const recorded = await recordRequest(
    { tenant, kind, request, idempotencyKey: origin.idempotencyKey, chat: origin.via === 'chat' ? origin.chat : null },
    deps,
  );
  if (recorded.outcome !== 'created') return recorded;
  // The worker that took a queue message submits its request at once: no second message.
  if (origin.via !== 'queue') await enqueue(deps, recorded.record.id);
  logger.info('request accepted', { requestId: recorded.record.id, kind, tenant: tenant.id, via: origin.via === 'chat' ? origin.platform : origin.via });
  return recorded;
}
