// DELETE /v1/requests/{id}: only a request that has not reached IMS can be cancelled (IMS has no cancel).
import { DEFAULT_LIFECYCLE_TIMINGS } from './lifecycle.js';
import type { StoredRequest } from './record.js';
import { transition, type TransitionStore } from './transition.js';

export async function cancelRequest(
  store: TransitionStore,
  record: StoredRequest,
  at: Date,
): Promise<{ ok: true; record: StoredRequest } | { ok: false; reason: string }> {
  const decision = await transition(store, record, { type: 'cancel', at }, DEFAULT_LIFECYCLE_TIMINGS);
  if (decision.ok) return { ok: true, record: decision.record };
  // Cancelling twice is not an error: the request is cancelled, as asked.
  if (record.status === 'cancelled') return { ok: true, record };
  return { ok: false, reason: 'it has reached IMS, which cannot cancel a job' };
}
