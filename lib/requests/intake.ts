// Turning a validated request into a stored record: the record step of acceptRequest (accept.ts)
// and of a capture's export child, so that every entry point makes the same records with the same ids.
import type { StoreError } from '../store/requests.js';
import type { Tenant } from '../tenants.js';
import { canonicalHash, idempotentRequestId, newRequestId } from './ids.js';
import type { LifecycleTimings } from './lifecycle.js';
import type { RequestKind, StoredRequest } from './record.js';
import { createRecord, type CreateStore } from './transition.js';

export interface NewRequest {
  tenant: Tenant;
  kind: RequestKind;
  /** The request body as validated by its kind's schema. */
  request: Record<string, unknown>;
  idempotencyKey: string | null;
  /** Chat origin, when the request came from a slash command. */
  chat?: { response_url: string | null; expires_at: string | null } | null;
  parentId?: string | null;
}

export interface Placement {
  defaultRegion: string;
  projectIds: Record<string, string>;
}

/** Where a request runs: its own region and project, else the configured defaults; null project when none is configured. */
export interface Placed {
  region: string;
  projectId: string | null;
}

export type RecordOutcome =
  | { outcome: 'created'; record: StoredRequest }
  | { outcome: 'replayed'; record: StoredRequest }
  | { outcome: 'conflict'; record: StoredRequest }
  | { outcome: 'no-project'; region: string }
  | { outcome: 'unavailable'; error: StoreError };

/** Fields every kind takes that say where and for whom the request runs; they are not IMS parameters. */
const COMMON_FIELDS: readonly string[] = ['callback_url', 'region', 'project_id', 'client_ref'];

/** A request's IMS parameters: the body without its common fields. */
export function paramsOf(request: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(request).filter(([k]) => !COMMON_FIELDS.includes(k)));
}

export function placeRequest(request: Record<string, unknown>, placement: Placement): Placed {
  const region = typeof request.region === 'string' ? request.region : placement.defaultRegion;
  const projectId = typeof request.project_id === 'string' ? request.project_id : (placement.projectIds[region] ?? null);
  return { region, projectId };
}

/** Builds the record of a new request (status `queued`); pure. */
export function newRecord(
  input: NewRequest,
  placement: Placement,
  now: Date,
  timings: Pick<LifecycleTimings, 'queuedSafetyMs'>,
): (StoredRequest & { status: 'queued' }) | { region: string } {
  const { tenant, kind, request } = input;
  const { region, projectId } = placeRequest(request, placement);
  if (!projectId) return { region };
  const params = paramsOf(request);
  const callbackUrl = typeof request.callback_url === 'string' ? request.callback_url : tenant.default_callback_url;
  const at = now.toISOString();
  return {
    id: input.idempotencyKey ? idempotentRequestId(tenant.id, input.idempotencyKey) : newRequestId(now),
    kind,
    status: 'queued',
    tenant: tenant.id,
    client_ref: typeof request.client_ref === 'string' ? request.client_ref : null,
    params,
    region,
    project_id: projectId,
    ims_job_id: null,
    image_id: null,
    progress: null,
    error: null,
    last_error: null,
    attempts: 0,
    parent_id: input.parentId ?? null,
    child_id: null,
    created_at: at,
    submitted_at: null,
    updated_at: at,
    completed_at: null,
    // Due when the worker should long have claimed it: the poller enqueues it again if its message was lost.
    next_check_at: new Date(now.getTime() + timings.queuedSafetyMs).toISOString(),
    webhook: { status: callbackUrl ? 'pending' : 'none', attempts: 0 },
    internal: {
      version: 0,
      // Only a keyed request can be sent again to the same record; a keyless one gets a fresh id each time.
      body_hash: input.idempotencyKey ? canonicalHash({ kind, request }) : null,
      callback_url: callbackUrl,
      lease_until: null,
      submit_uncertain: false,
      webhook_event_id: null,
      webhook_next_at: null,
      chat: input.chat ? { ...input.chat, response_uses: 0 } : null,
    },
  };
}

export interface RecordDeps {
  store: CreateStore;
  placement: Placement;
  timings: Pick<LifecycleTimings, 'queuedSafetyMs'>;
  now: () => Date;
}

/**
 * Records a request once. A repeat with the same Idempotency-Key and the same body finds the
 * first record (`replayed`); the same key with another body is a `conflict`.
 */
export async function recordRequest(input: NewRequest, deps: RecordDeps): Promise<RecordOutcome> {
  const record = newRecord(input, deps.placement, deps.now(), deps.timings);
  if (!('id' in record)) return { outcome: 'no-project', region: record.region };
  const put = await createRecord(deps.store, record);
  if (put instanceof Error) return { outcome: 'unavailable', error: put };
  if (put.created) return { outcome: 'created', record: put.record };
  const same = put.existing.internal.body_hash === record.internal.body_hash && put.existing.tenant === record.tenant;
  return { outcome: same ? 'replayed' : 'conflict', record: put.existing };
}
