// The imperative shell around `decide`, and the only module that writes request records: an event
// is applied to the stored record with an optimistic-concurrency write (re-reading and re-deciding
// when another writer got there first), and a new request is stored once, either as accepted
// (`queued`, built by intake) or already refused by an event.
import { logger } from '../log.js';
import { recordJobEnd } from '../metrics.js';
import type { CreateOutcome, RequestStore, StoreError } from '../store/requests.js';
import { decide, type Decision, type LifecycleEvent, type LifecycleTimings } from './lifecycle.js';
import type { StoredRequest } from './record.js';

const MAX_RACES = 4;

export type TransitionStore = Pick<RequestStore, 'get' | 'save'>;
export type CreateStore = Pick<RequestStore, 'create'>;

const settingsFor = (record: StoredRequest, timings: LifecycleTimings) => ({ ...timings, hasWebhookTarget: record.internal.callback_url !== null });

/** Applies `event` to `record`; a stored record is the result only once the write succeeded. */
export async function transition(
  store: TransitionStore,
  record: StoredRequest,
  event: LifecycleEvent,
  timings: LifecycleTimings,
): Promise<Decision> {
  let current = record;
  for (let race = 0; ; race++) {
    const decision = decide(current, event, settingsFor(current, timings));
    if (!decision.ok) return decision;
    const saved = await store.save(decision.record, current.internal.version);
    if (saved instanceof Error) throw saved;
    if (saved.saved) {
      if (saved.record.status !== current.status) logStatusChange(current, saved.record);
      if (saved.record.completed_at !== null && current.completed_at === null) recordJobEnd(saved.record);
      return { ok: true, record: saved.record, effects: decision.effects };
    }
    if (!saved.current || race >= MAX_RACES) {
      return { ok: false, reason: 'stale', status: saved.current?.status ?? current.status, detail: 'the record changed concurrently' };
    }
    current = saved.current;
  }
}

/** Stores a new request's record once; an existing record with its id comes back instead (an idempotent replay). */
export async function createRecord(store: CreateStore, record: StoredRequest & { status: 'queued' }): Promise<CreateOutcome | StoreError> {
  return store.create(record);
}

/**
 * Stores a new request that `event` already ended (a queue message refused at intake), so that it is
 * recorded and announced like any other outcome. Effects are the caller's to carry out once stored.
 */
export async function createDecided(
  store: CreateStore,
  record: StoredRequest & { status: 'queued' },
  event: LifecycleEvent,
  timings: LifecycleTimings,
): Promise<{ created: true; decision: Extract<Decision, { ok: true }> } | { created: false; existing: StoredRequest } | Extract<Decision, { ok: false }> | StoreError> {
  const decision = decide(record, event, settingsFor(record, timings));
  if (!decision.ok) return decision;
  const put = await store.create(decision.record);
  if (put instanceof Error) return put;
  if (!put.created) return { created: false, existing: put.existing };
  return { created: true, decision: { ...decision, record: put.record } };
}

/** One line per status change: the request's story, searchable by id in the logs. */
function logStatusChange(before: StoredRequest, after: StoredRequest): void {
  logger.info('request status', {
    requestId: after.id,
    tenant: after.tenant,
    kind: after.kind,
    from: before.status,
    to: after.status,
    imsJobId: after.ims_job_id,
    imageId: after.image_id,
    errorCode: after.error?.code ?? null,
    errorMessage: after.error?.message ?? null,
  });
}
