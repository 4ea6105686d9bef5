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
import type { DueIndex, DueRequests } from '../store/due-index.js';
import type { RequestStore } from '../store/requests.js';

export interface SweepDeps extends EffectDeps {
  store: RequestStore & DueIndex;
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

async function setAsideCorrupt(corrupt: DueRequests['corrupt'], deps: SweepDeps): Promise<void> {
  for (const item of corrupt) {
    // Left in the index, a corrupt item would fill every sweep's batch once enough of them pile up.
    const setAside = await deps.store.setAside(item, deps.now()).catch((error: unknown) => error as Error);
    logger.error('corrupt request item set aside', { requestId: item.id, error: item.error.message, setAside: setAside === true });
  }
}

/** Takes a due record and attends to it. Errors on one record are logged; the record comes due again after the lease. */
async function handle(record: StoredRequest, deps: SweepDeps, report: SweepReport): Promise<void> {
  try {
    const taken = await take(record, deps);
    if (!taken) return;
    report.taken++;
    const action = await attend(taken, deps);
    if (action !== 'none') report[action]++;
  } catch (error) {
    logger.error('sweep failed for a request', { requestId: record.id, error: (error as Error).message });
  }
}

/** When a record read from the due index is due (a record without a next check sorts first: the hold decides). */
const dueMs = (record: StoredRequest): number => (record.next_check_at === null ? 0 : Date.parse(record.next_check_at) || 0);

const emptyReport = (): SweepReport => ({ due: 0, taken: 0, requeued: 0, checked: 0, announced: 0, corrupt: 0 });

/**
 * Everything due now, with the lanes fed continuously: the next page of due records is read while
 * the lanes still work through the last one, so no lane waits for a whole batch; and each lane
 * takes (holds) its next record while it attends to the current one, so the hold write is not in
 * series with the IMS call. A record is always held before it is attended to, so overlapping sweeps
 * still never act on one record at once. Records are taken only while `mayStart(at)` holds for the
 * time they are taken at; each is handled at most once per round (a page read before an earlier
 * write shows may still list it). Ends when nothing new is due.
 *
 * With `ahead`, the pages also hold the records that come due within `ahead.ms`, and a lane waits
 * until each one's own due time before it takes it: a check lands when it is due, not up to a round
 * later, for the same reads of the due index.
 */
export async function sweepRound(
  deps: SweepDeps,
  mayStart: (atMs: number) => boolean,
  ahead?: { ms: number; sleep: (ms: number) => Promise<void> },
): Promise<SweepReport> {
  const report = emptyReport();
  const seen = new Set<string>();
  const waiting: StoredRequest[] = [];
  const nowMs = () => deps.now().getTime();
  let more = true;
  let reading: Promise<void> | null = null;
  let readFailed: unknown = null;
  const readPage = async () => {
    const due = await deps.store.due(new Date(nowMs() + (ahead?.ms ?? 0)), deps.batchSize);
    await setAsideCorrupt(due.corrupt, deps);
    report.corrupt += due.corrupt.length;
    const fresh = due.records.filter((r) => !seen.has(r.id));
    for (const r of fresh) seen.add(r.id);
    report.due += fresh.length;
    waiting.push(...fresh);
    // Oldest due first, also across pages: a later page may hold a record due before one read ahead.
    waiting.sort((a, b) => dueMs(a) - dueMs(b));
    // A short page is all that is due; a page of nothing new means the rest is being handled.
    if (due.records.length < deps.batchSize || fresh.length === 0) more = false;
  };
  const nextTaken = async (): Promise<StoredRequest | null> => {
    for (;;) {
      if (!mayStart(nowMs())) return null;
      if (more && !reading && waiting.length <= 2 * deps.concurrency) {
        reading = readPage()
          .catch((error: unknown) => {
            readFailed = error;
            more = false;
          })
          .finally(() => {
            reading = null;
          });
      }
      const record = waiting.shift();
      if (!record) {
        if (!reading) return null;
        await reading;
        continue;
      }
      const wait = dueMs(record) - nowMs();
      if (wait > 0 && ahead) {
        // Due later than this invocation may start it: a later sweep's.
        if (!mayStart(dueMs(record))) continue;
        await ahead.sleep(wait);
        if (!mayStart(nowMs())) return null;
      }
      try {
        const taken = await take(record, deps);
        if (taken) {
          report.taken++;
          return taken;
        }
      } catch (error) {
        logger.error('sweep failed for a request', { requestId: record.id, error: (error as Error).message });
      }
    }
  };
  const lane = async () => {
    let next = nextTaken();
    for (;;) {
      const taken = await next;
      if (!taken) return;
      next = nextTaken();
      try {
        const action = await attend(taken, deps);
        if (action !== 'none') report[action]++;
      } catch (error) {
        logger.error('sweep failed for a request', { requestId: taken.id, error: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: deps.concurrency }, lane));
  // The due index could not be read: fail the invocation, as a failed first read always did.
  if (readFailed && report.due === 0) throw readFailed;
  return report;
}

/**
 * Sweeps until shortly before the invocation must end, a round every `pauseMs`, so that checks
 * come more often than the one-minute schedule; each round also reads the records due before the
 * next one starts and takes each at its own due time. No record is started within `reserveMs` of
 * the end; one cut off by the timeout is held for its lease and handled by a later sweep. Returns
 * the report of every round.
 */
export async function sweepUntil(
  deps: SweepDeps & { sleep: (ms: number) => Promise<void> },
  remainingMs: () => number,
  { pauseMs, reserveMs }: { pauseMs: number; reserveMs: number },
): Promise<SweepReport[]> {
  const reports: SweepReport[] = [];
  // A short invocation (a local schedule of seconds) keeps three quarters of its time for sweeping.
  const reserve = Math.min(reserveMs, remainingMs() / 4);
  // Whether a record may be started at `atMs`: the time left then is still beyond the reserve.
  const mayStart = (atMs: number) => remainingMs() - Math.max(0, atMs - deps.now().getTime()) > reserve;
  for (;;) {
    const roundStart = remainingMs();
    reports.push(await sweepRound(deps, mayStart, { ms: pauseMs, sleep: deps.sleep }));
    // The last pause is shortened so that a last round runs just before the reserve: the gap to the next invocation stays short.
    const left = remainingMs() - reserve - 100;
    if (left <= 0) return reports;
    // Rounds start every pauseMs (the next one's records were read ahead by this one); one that overran is followed at once.
    const pause = Math.min(left, pauseMs - (roundStart - remainingMs()));
    if (pause > 0) await deps.sleep(pause);
  }
}
