// The imperative shell around `decide`: apply an event to the stored record with an
// optimistic-concurrency write, re-reading and re-deciding when another writer got there first.
import { logger } from '../log.js';
import type { RequestStore } from '../store/requests.js';
import { decide, type Decision, type LifecycleEvent, type LifecycleTimings } from './lifecycle.js';
import type { StoredRequest } from './record.js';

const MAX_RACES = 4;

export type TransitionStore = Pick<RequestStore, 'get' | 'save'>;

/** Applies `event` to `record`; a stored record is the result only once the write succeeded. */
export async function transition(
  store: TransitionStore,
  record: StoredRequest,
  event: LifecycleEvent,
  timings: LifecycleTimings,
): Promise<Decision> {
  let current = record;
  for (let race = 0; ; race++) {
    const decision = decide(current, event, { ...timings, hasWebhookTarget: current.internal.callback_url !== null });
    if (!decision.ok) return decision;
    const saved = await store.save(decision.record, current.internal.version);
    if (saved instanceof Error) throw saved;
    if (saved.saved) {
      if (saved.record.status !== current.status) logStatusChange(current, saved.record);
      return { ok: true, record: saved.record, effects: decision.effects };
    }
    if (!saved.current || race >= MAX_RACES) {
      return { ok: false, reason: 'stale', status: saved.current?.status ?? current.status, detail: 'the record changed concurrently' };
    }
    current = saved.current;
  }
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
