// DELETE /v1/requests/{id}: only a request that has not reached IMS can be cancelled (IMS has no cancel).
import type { LifecycleTimings } from './lifecycle.js';
import type { StoredRequest } from './record.js';
import { transition, type TransitionStore } from './transition.js';

export async function cancelRequest(
  store: TransitionStore,
  record: StoredRequest,
  at: Date,
  timings: LifecycleTimings,
): Promise<{ ok: true; record: StoredRequest } | { ok: false; status: StoredRequest['status']; reason: string }> {
  const decision = await transition(store, record, { type: 'cancel', at }, timings);
  if (decision.ok) return { ok: true, record: decision.record };
  // The worker may have claimed it meanwhile: answer with the status it has now, not the one we read.
  const latest = await store.get(record.id);
  const current = latest && !(latest instanceof Error) ? latest : record;
  // Cancelling twice is not an error: the request is cancelled, as asked.
  if (current.status === 'cancelled') return { ok: true, record: current };
  const reason =
    current.status === 'succeeded' || current.status === 'failed'
      ? 'it has already ended'
      : current.status === 'queued' && current.internal.submit_uncertain
        ? 'an earlier submission may have reached IMS, which cannot cancel a job'
        : 'it has reached IMS, which cannot cancel a job';
  return { ok: false, status: current.status, reason };
}
