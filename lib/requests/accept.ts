// One way in for a new request, whatever brought it: an HTTP call, a slash command or a message a
// producer put on the queue. The steps, in order: validate, place (region and project), check the
// tenant fence, take a rate-limit hit (where the origin has a limit), record, enqueue (warning when
// the send fails: the record is stored, the poller enqueues it again). Each origin turns the
// outcome into its own answer (problem+json, a chat reply, a failed record).
import { logger } from '../log.js';
import { countIntake } from '../metrics.js';
import type { IntakeQueue } from '../queue/intake.js';
import type { RateLimiter, RateQuota } from '../store/rate-limit.js';
import { placeInFence, type Tenant } from '../tenants.js';
import { refusedLiteralTarget, type AddressPolicy } from '../webhooks/addresses.js';
import { placeRequest, recordRequest, type RecordDeps, type RecordOutcome } from './intake.js';
import type { RequestKind } from './record.js';
import { parseRequest, type FieldError } from './schemas.js';

/** Who sent the request, and what only that entry point carries. */
export type Origin =
  | { via: 'http'; idempotencyKey: string | null }
  | { via: 'chat'; platform: string; idempotencyKey: string | null; chat: { response_url: string | null; expires_at: string | null } }
  /** A producer's own message: idempotent per its key, or per SQS message. The worker submits it right away. */
  | { via: 'queue'; idempotencyKey: string };

export type Acceptance = (
  | { outcome: 'invalid'; errors: FieldError[] }
  | { outcome: 'rate-limited'; retryAfterSeconds: number }
  /** Outside the tenant's fence: nothing recorded, no IMS call. */
  | { outcome: 'forbidden'; errors: FieldError[] }
  | RecordOutcome
) & {
  /** The tenant's standing in its rate-limit window, once a hit was taken (HTTP and chat). */
  quota?: RateQuota;
};

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

export async function acceptRequest(tenant: Tenant, kind: RequestKind, body: unknown, origin: Origin, deps: AcceptDeps): Promise<Acceptance> {
  const acceptance = await accept(tenant, kind, body, origin, deps);
  countIntake(origin.via, acceptance.outcome);
  return acceptance;
}

async function accept(tenant: Tenant, kind: RequestKind, body: unknown, origin: Origin, deps: AcceptDeps): Promise<Acceptance> {
  const parsed = parseRequest(kind, body);
  if (!parsed.ok) return { outcome: 'invalid', errors: parsed.errors };
  const asked = parsed.request as Record<string, unknown>;
  // An IP literal is known now to be unreachable: say so instead of failing every delivery later (names are checked when connected to).
  const refusedTarget = typeof asked.callback_url === 'string' ? refusedLiteralTarget(asked.callback_url, deps.webhookPolicy) : null;
  if (refusedTarget) return { outcome: 'invalid', errors: [{ path: 'callback_url', message: refusedTarget }] };

  // The tenant fence: a region or project the tenant may not use is refused before anything is counted or stored.
  const fenced = placeInFence(
    tenant,
    { region: typeof asked.region === 'string' ? asked.region : undefined, project_id: typeof asked.project_id === 'string' ? asked.project_id : undefined },
    deps.placement,
  );
  if (!fenced.ok) return { outcome: 'forbidden', errors: [{ path: fenced.field, message: fenced.message }] };
  // What the fence placed is what the record keeps (a tenant's first project, not the service default).
  const request = { ...asked, region: fenced.region, project_id: fenced.project_id };
  const placed = placeRequest(request, deps.placement);
  if (placed.projectId === null) return { outcome: 'no-project', region: placed.region };

  let quota: RateQuota | undefined;
  if (origin.via !== 'queue' && deps.rateLimiter) {
    const rate = await deps.rateLimiter.take(tenant.id, tenant.requests_per_minute, deps.now());
    if (!rate.allowed) return { outcome: 'rate-limited', retryAfterSeconds: rate.retryAfterSeconds, quota: rate.quota };
    quota = rate.quota;
  }

  const recorded = await recordRequest(
    { tenant, kind, request, idempotencyKey: origin.idempotencyKey, chat: origin.via === 'chat' ? origin.chat : null },
    deps,
  );
  if (recorded.outcome !== 'created') return { ...recorded, ...(quota ? { quota } : {}) };
  // The worker that took a queue message submits its request at once: no second message.
  if (origin.via !== 'queue') await enqueue(deps, recorded.record.id);
  logger.info('request accepted', { requestId: recorded.record.id, kind, tenant: tenant.id, via: origin.via === 'chat' ? origin.platform : origin.via });
  return { ...recorded, ...(quota ? { quota } : {}) };
}
