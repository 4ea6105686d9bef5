// The poller's sweep: read only the records due for attention (the sparse `due` index), take
// each with a conditional write so overlapping sweeps never act twice, then act: re-enqueue a
// request the worker lost, ask IMS about a running job, or deliver a pending webhook.
import type { ImsClient } from '../ims/client.js';
import { tenantImsAuth } from '../tenants.js';
import { logger } from '../log.js';
import { enqueue } from './accept.js';
import { carryOut, type EffectDeps } from './effects.js';
import { pendingAnnouncements, waitedPastDeadline, type LifecycleEvent } from './lifecycle.js';
import type { ObsEvidence } from './evidence.js';
import { observeJob } from './observe.js';
import type { StoredRequest } from './record.js';
import { transition } from './transition.js';

export interface SweepDeps extends EffectDeps {
  ims: ImsClient;
  /** OBS, where an export awaiting evidence is looked for; null or absent: no OBS credentials. */
  obs?: ObsEvidence | null;
  /** Records read per sweep, and handled at once. */
  batchSize: number;
  concurrency: number;
}

export interface PollerDeps extends SweepDeps {
  sleep: (ms: number) => Promise<void>;
  /** Pause between sweeps within one invocation. */
  pauseMs: number;
  /** Time left unused at the end of an invocation, for the last sweep to finish. */
  reserveMs: number;
}

export interface SweepReport {
  due: number;
  taken: number;
  requeued: number;
  checked: number;
  announced: number;
  corrupt: number;
}

async function mapLimit<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  });
  await Promise.all(lanes);
}

/** Takes a due record for this sweep (`sweep-hold`); null when another sweep took it first. */
async function take(record: StoredRequest, deps: SweepDeps): Promise<StoredRequest | null> {
  const taken = await transition(deps.store, record, { type: 'sweep-hold', at: deps.now() }, deps.timings);
  return taken.ok ? taken.record : null;
}

type Action = 'requeued' | 'checked' | 'announced' | 'none';

async function attend(record: StoredRequest, deps: SweepDeps): Promise<Action> {
  switch (record.status) {
    case 'queued':
    case 'submitting': {
      if (waitedPastDeadline(record, deps.now(), deps.timings)) {
        const failed = await transition(deps.store, record, { type: 'deadline-passed', at: deps.now() }, deps.timings);
        if (failed.ok) {
          await carryOut(failed.record, failed.effects, deps);
          return 'checked';
        }
      }
      // Its message was lost or its worker vanished: the worker claims it again (looking first if needed).
      await enqueue(deps, record.id);
      return 'requeued';
    }
    case 'running': {
      const tenant = deps.tenants.byId(record.tenant);
      const auth = tenant ? tenantImsAuth(tenant) : null;
      const seen: LifecycleEvent = (await observeJob(deps, record, auth)) ?? { type: 'deadline-passed', at: deps.now() };
      const next = await transition(deps.store, record, seen, deps.timings);
      if (next.ok) await carryOut(next.record, next.effects, deps);
      else if (seen.type !== 'deadline-passed') logger.info('job status not recorded', { requestId: record.id, reason: next.reason, detail: next.detail });
      return 'checked';
    }
    default: {
      const effects = pendingAnnouncements(record);
      await carryOut(record, effects, deps);
      return effects.length ? 'announced' : 'none';
    }
  }
}

/** One pass over what is due now. Errors on one record are logged; the record comes due again after the lease. */
export async function sweepOnce(deps: SweepDeps): Promise<SweepReport> {
  const due = await deps.store.due(deps.now(), deps.batchSize);
  for (const corrupt of due.corrupt) {
    // Left in the index, a corrupt item would fill every sweep's batch once enough of them pile up.
    const setAside = await deps.store.setAside(corrupt, deps.now()).catch((error: unknown) => error as Error);
    logger.error('corrupt request item set aside', { requestId: corrupt.id, error: corrupt.error.message, setAside: setAside === true });
  }
  const report: SweepReport = { due: due.records.length, taken: 0, requeued: 0, checked: 0, announced: 0, corrupt: due.corrupt.length };
  await mapLimit(due.records, deps.concurrency, async (record) => {
    try {
      const taken = await take(record, deps);
      if (!taken) return;
      report.taken++;
      const action = await attend(taken, deps);
      if (action !== 'none') report[action]++;
    } catch (error) {
      logger.error('sweep failed for a request', { requestId: record.id, error: (error as Error).message });
    }
  });
  return report;
}

/**
 * Sweeps until shortly before the invocation must end, pausing between sweeps, so that checks
 * come more often than the one-minute schedule. Returns the reports of every sweep.
 */
export async function sweepUntil(
  deps: SweepDeps & { sleep: (ms: number) => Promise<void> },
  remainingMs: () => number,
  { pauseMs, reserveMs }: { pauseMs: number; reserveMs: number },
): Promise<SweepReport[]> {
  const reports: SweepReport[] = [];
  for (;;) {
    const report = await sweepOnce(deps);
    reports.push(report);
    // A full batch means more is due: sweep again at once.
    if (report.due >= deps.batchSize && remainingMs() > reserveMs) continue;
    if (remainingMs() < pauseMs + reserveMs) return reports;
    await deps.sleep(pauseMs);
  }
}
