// The request lifecycle as one pure function: (record, event, settings) → (record, effects) or a
// rejection. No clock, no I/O: the worker and poller read a record, call `decide`, store the new
// record conditionally on the version they read (the store bumps `version`), then run the effects.
//
// Decisions worth knowing:
// - `attempts` counts every IMS submission POST (accepted, refused, unavailable, outcome unknown);
//   the cap on `ims-unavailable` / `ims-outcome-unknown` retries is on this count. A found image
//   counts as one when a crash kept its POST from being counted.
// - A re-claim of a `submitting` record whose lease lapsed sets `submit_uncertain`: the previous
//   holder may have sent its POST before it vanished, so the next submission looks first.
// - `next_check_at` is when a poller sweep should next look at the record. After a terminal
//   outcome the caller delivers the webhook at once (`send-webhook` effect), so a sweep only looks
//   after `sweepLeaseMs` (that delivery's lease); `internal.webhook_next_at` is when it was due.
// - A capture with `then_export` that succeeds first creates its export child
//   (`create-child-export`, idempotent by its key); its webhook and chat message wait for
//   `child-created`, so the capture's event carries `child_id` and the child sends its own
//   `image.export.*` event with `parent_id`. Cancelled requests send no webhook (there is no event type for them).
// - Bookkeeping is an event too: a sweep taking a due record (`sweep-hold`), a queue message refused
//   before it became a request (`refused-at-intake`), a use of a chat response_url (`chat-notified`).
//   They leave `updated_at` alone: it dates the request's own progress, which the sweep's re-enqueue
//   interval is measured from.
import * as z from '../zod.js';
import { checkBackoff, dueAt, nextCheckDelayWithProgressMs } from './backoff.js';
import { hintFor, type OwnErrorCode } from '../ims/hints.js';
import { webhookEventId } from './ids.js';
import type { RequestError, RequestStatus, StoredRequest } from './record.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/** Webhook retry delays: about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then the webhook is `failed`. */
const WEBHOOK_RETRY_DELAYS_MS = [5 * SECOND_MS, 5 * MINUTE_MS, 30 * MINUTE_MS, 2 * HOUR_MS, 5 * HOUR_MS, 10 * HOUR_MS, 10 * HOUR_MS];

/** A whole, positive number of milliseconds: the one rule every timing below defaults around. */
const positiveMs = z.number().check(z.int(), z.positive());
const msOr = (fallback: number) => z._default(positiveMs, fallback);

/** Timings, parsed once with the configuration. */
export const lifecycleTimings = z.object({
  /** How long a worker holds a record it claimed for submission before another may re-claim it. */
  submitLeaseMs: msOr(300_000),
  /** How long an immediate webhook delivery or child creation holds the record before a sweep retries it. */
  sweepLeaseMs: msOr(60_000),
  /** How long a re-queued request may wait past its delay before the poller enqueues it again. */
  queuedSafetyMs: msOr(MINUTE_MS),
  /** The longest a record still waiting in `queued` is left between two re-enqueues by the sweep. */
  maxRequeueIntervalMs: msOr(15 * MINUTE_MS),
  /** The first status query of a job, after the submission. */
  firstCheckDelayMs: msOr(10_000),
  checkBackoff: z.prefault(checkBackoff, {}),
  /** A job still running this long after its submission is failed with source `timeout`. */
  jobDeadlineMs: msOr(24 * HOUR_MS),
  /** Delays before re-submitting after IMS was unavailable or silent, by attempt; the last repeats. SQS delays stop at 900 s. */
  imsRetryDelaysSeconds: z._default(z.array(z.number().check(z.int(), z.gte(0), z.lte(900))).check(z.minLength(1)), [10, 30, 60, 120, 300, 600, 900]),
  /** Submission POSTs after which an unavailable IMS or an unknown outcome fails the request. */
  maxSubmitAttempts: z._default(z.number().check(z.int(), z.gte(1)), 8),
  /** Consecutive 404s on a job query after which IMS is taken to have forgotten the job (the evidence then decides). */
  jobNotFoundLimit: z._default(z.number().check(z.int(), z.gte(1)), 3),
  /** Delays between webhook deliveries after each failed one; when spent, `webhook.status` is `failed`. */
  webhookRetryDelaysMs: z._default(z.array(z.number().check(z.int(), z.gte(0))), WEBHOOK_RETRY_DELAYS_MS),
});
export type LifecycleTimings = z.infer<typeof lifecycleTimings>;

export type LifecycleSettings = LifecycleTimings & {
  /** The request has a callback_url or its tenant a default one; without, `webhook.status` is `none`. */
  hasWebhookTarget: boolean;
};

export type ImsJobStatus = 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL';

/**
 * What the service found when it looked for the result of a submission whose answer (or job) was
 * lost: the export's target object complete in OBS, the image the request made (by name, origin and
 * age), nothing, or no way to look (no OBS credentials, OBS or IMS not answering).
 */
export type Evidence =
  | { found: 'object' }
  | { found: 'image'; imageId: string; status: 'active' | 'making' | 'killed' }
  | { found: 'nothing'; detail: string }
  | { found: 'unknown'; reason: string };

/** What happened to a request; `at` is when, and the only time `decide` knows. */
export type LifecycleEvent = { at: Date } & (
  | { type: 'claim-submission' }
  /** The worker is about to send an export's POST: from now on a lapsed claim may have reached IMS. */
  | { type: 'submission-sending' }
  /** `note`: what the record should say about checks that could not be made before the submission (no OBS credentials). */
  | { type: 'ims-accepted'; jobId: string; note?: string }
  /** `source: 'validation'`: the IMS client refused the call before sending it (no POST, not counted). */
  | { type: 'ims-refused'; code: string | null; message: string; source?: 'ims' | 'validation' | 'precheck' | 'auth' }
  | { type: 'ims-unavailable'; message: string; code?: string | null; retryAfterSeconds?: number | null }
  | { type: 'ims-outcome-unknown'; message: string }
  /** A re-submission found the image the first, unanswered one created (imports and captures). */
  | { type: 'image-found'; imageId: string; jobId?: string | null; active: boolean }
  /** The look before a re-submission found the image the first one made, killed or deleted: the request fails, never submits again. */
  | { type: 'image-killed'; imageId: string; status: string }
  /** A poller check of an export awaiting evidence (its submission's answer was lost): what OBS shows of its target object. */
  | { type: 'evidence-checked'; evidence: Evidence }
  /** IMS answered 404 to the query of the request's job; at the limit, `evidence` is what the look for its result found. */
  | { type: 'job-not-found'; jobId: string; evidence?: Evidence }
  | {
      type: 'job-status';
      status: ImsJobStatus;
      /** The job the answer is about; when given, an answer about another job is stale. */
      jobId?: string;
      progress?: number | null;
      imageId?: string | null;
      errorCode?: string | null;
      failReason?: string | null;
    }
  | { type: 'deadline-passed' }
  /** `final`: a failure no retry can mend (the address is refused, the URL cannot be called): no retry is scheduled. */
  | { type: 'webhook-result'; ok: boolean; final?: boolean; message?: string }
  /** POST /v1/requests/{id}/redeliver: the outcome event once more, same webhook-id, due now. */
  | { type: 'redeliver' }
  | { type: 'cancel' }
  | { type: 'child-created'; childId: string }
  /** A poller sweep takes a due record: its next check moves past the sweep's hold, so an overlapping sweep skips it. */
  | { type: 'sweep-hold' }
  /** A request refused before it reached IMS, recorded so its producer hears of it (a queue message that breaks a rule). */
  | { type: 'refused-at-intake'; code: string; message: string; source: RequestError['source'] }
  /** The completion message went to chat; `usedResponseUrl` counts against the response_url's uses. */
  | { type: 'chat-notified'; usedResponseUrl: boolean }
);
export type LifecycleEventType = LifecycleEvent['type'];

/** What the caller must do once the new record is stored. */
export type Effect =
  /** Submit to IMS; with `lookFirst`, first find an image the last attempt made (imports, captures). */
  | { type: 'submit-to-ims'; lookFirst: boolean }
  | { type: 'requeue'; delaySeconds: number }
  | { type: 'send-webhook'; eventId: string }
  /** Record the export of a captured image as a child request; `idempotencyKey` makes a retry find the same child. */
  | { type: 'create-child-export'; parentId: string; idempotencyKey: string; params: Record<string, unknown> }
  | { type: 'notify-chat' };

export type RejectReason = 'not-allowed' | 'stale' | 'duplicate';

export type Decision =
  | { ok: true; record: StoredRequest; effects: Effect[] }
  | { ok: false; reason: RejectReason; status: RequestStatus; detail: string };

/** Where a status stands on the one-way road: an event meant for an earlier stage is stale, for a later one not allowed. */
const STAGE: Record<RequestStatus, number> = { queued: 0, submitting: 1, running: 2, succeeded: 3, failed: 3, cancelled: 3 };

type Event<T extends LifecycleEventType> = Extract<LifecycleEvent, { type: T }>;
type Accepted = Extract<Decision, { ok: true }>;

export function decide(record: StoredRequest, event: LifecycleEvent, settings: LifecycleSettings): Decision {
  switch (event.type) {
    case 'claim-submission':
      return claimSubmission(record, event, settings);
    case 'submission-sending':
      return submissionSending(record, event);
    case 'ims-accepted':
      return imsAccepted(record, event, settings);
    case 'ims-refused':
      return imsRefused(record, event, settings);
    case 'ims-unavailable':
    case 'ims-outcome-unknown':
      return submitFailed(record, event, settings);
    case 'image-found':
      return imageFound(record, event, settings);
    case 'image-killed':
      return imageKilled(record, event, settings);
    case 'evidence-checked':
      return evidenceChecked(record, event, settings);
    case 'job-not-found':
      return jobNotFound(record, event, settings);
    case 'job-status':
      return jobStatus(record, event, settings);
    case 'deadline-passed':
      return deadlinePassed(record, event, settings);
    case 'webhook-result':
      return webhookResult(record, event, settings);
    case 'redeliver':
      return redeliver(record, event);
    case 'cancel':
      return cancel(record, event);
    case 'child-created':
      return childCreated(record, event, settings);
    case 'sweep-hold':
      return sweepHold(record, event, settings);
    case 'refused-at-intake':
      return refusedAtIntake(record, event, settings);
    case 'chat-notified':
      return chatNotified(record, event);
  }
}

/** The export child a capture still has to create, or null when it has none to create (now). */
export function pendingChildExport(record: StoredRequest): Extract<Effect, { type: 'create-child-export' }> | null {
  if (record.kind !== 'capture' || record.status !== 'succeeded' || record.child_id !== null) return null;
  const thenExport = record.params.then_export;
  if (!isObject(thenExport) || record.image_id === null) return null;
  return {
    type: 'create-child-export',
    parentId: record.id,
    idempotencyKey: `then_export:${record.id}`,
    params: { ...thenExport, image_id: record.image_id },
  };
}

/**
 * What a poller sweep that claimed this due record must do for it after a terminal outcome: create
 * a missing export child, or deliver the pending webhook. Running records need a status query instead.
 */
export function pendingAnnouncements(record: StoredRequest): Effect[] {
  if (STAGE[record.status] < 3) return [];
  const child = pendingChildExport(record);
  if (child) return [child];
  const eventId = record.internal.webhook_event_id;
  return record.webhook.status === 'pending' && eventId !== null ? [{ type: 'send-webhook', eventId }] : [];
}

// ---- submission ----

function claimSubmission(record: StoredRequest, event: Event<'claim-submission'>, settings: LifecycleSettings): Decision {
  if (record.status === 'submitting') {
    if (claimHeld(record, event.at)) {
      return reject(record, 'duplicate', `another worker holds the submission until ${record.internal.lease_until}`);
    }
    // The previous holder may have sent its POST before it vanished: an export is never sent again
    // (IMS takes no idempotency key; its object in OBS is the evidence), an import or capture looks first.
    // A holder that vanished before it said it was sending never POSTed: submitting again is safe.
    if (record.kind === 'export' && record.internal.post_sending === false) return claim(record, event.at, settings, record.internal.submit_uncertain);
    if (record.kind === 'export') return awaitEvidence(record, event.at, settings, record.attempts);
    return claim(record, event.at, settings, true);
  }
  if (record.status !== 'queued') return outOfStage(record, 'submitting', 'claim-submission');
  // Written before the change that made a lost export answer await evidence: such a record may still be queued.
  if (record.kind === 'export' && record.internal.submit_uncertain) return awaitEvidence(record, event.at, settings, record.attempts);
  return claim(record, event.at, settings, record.internal.submit_uncertain);
}

/** Whether a worker's submission claim on the record is still live at `at`. */
function claimHeld(record: StoredRequest, at: Date): boolean {
  const lease = record.internal.lease_until;
  return lease !== null && Date.parse(lease) > at.getTime();
}

function claim(record: StoredRequest, at: Date, settings: LifecycleSettings, uncertain: boolean): Accepted {
  const leaseUntil = dueAt(at, settings.submitLeaseMs);
  return accept(
    {
      ...record,
      status: 'submitting',
      updated_at: at.toISOString(),
      // A lapsed lease makes the record due, so a lost queue message is noticed by the poller.
      next_check_at: leaseUntil,
      internal: { ...record.internal, lease_until: leaseUntil, submit_uncertain: uncertain, post_sending: false },
    },
    [{ type: 'submit-to-ims', lookFirst: uncertain }],
  );
}

function submissionSending(record: StoredRequest, event: Event<'submission-sending'>): Decision {
  if (record.status !== 'submitting') return outOfStage(record, 'submitting', 'submission-sending');
  if (!claimHeld(record, event.at)) return reject(record, 'not-allowed', 'the submission claim has lapsed');
  if (record.internal.post_sending === true) return reject(record, 'duplicate', 'the submission is already being sent');
  return accept({ ...record, updated_at: event.at.toISOString(), internal: { ...record.internal, post_sending: true } });
}

function imsAccepted(record: StoredRequest, event: Event<'ims-accepted'>, settings: LifecycleSettings): Decision {
  if (record.status === 'running' && record.ims_job_id === event.jobId) {
    return reject(record, 'duplicate', `job ${event.jobId} is already recorded`);
  }
  if (record.status !== 'submitting') return outOfStage(record, 'submitting', 'ims-accepted');
  return accept({
    ...record,
    status: 'running',
    ims_job_id: event.jobId,
    ...(event.note ? { evidence: event.note } : {}),
    submitted_at: event.at.toISOString(),
    attempts: record.attempts + 1,
    error: null,
    last_error: null,
    updated_at: event.at.toISOString(),
    next_check_at: dueAt(event.at, settings.firstCheckDelayMs),
    internal: { ...record.internal, lease_until: null, submit_uncertain: false },
  });
}

function imsRefused(record: StoredRequest, event: Event<'ims-refused'>, settings: LifecycleSettings): Decision {
  if (record.status !== 'submitting') return outOfStage(record, 'submitting', 'ims-refused');
  const source = event.source ?? 'ims';
  // Nothing was submitted when our own rules refused the call (validation, pre-flight).
  const counted = source === 'validation' || source === 'precheck' ? record : { ...record, attempts: record.attempts + 1 };
  return complete(counted, event.at, settings, {
    status: 'failed',
    error: { code: event.code ?? (source === 'validation' ? 'VALIDATION' : 'IMS_REFUSED'), message: event.message, source },
  });
}

function submitFailed(
  record: StoredRequest,
  event: Event<'ims-unavailable'> | Event<'ims-outcome-unknown'>,
  settings: LifecycleSettings,
): Decision {
  if (record.status !== 'submitting') return outOfStage(record, 'submitting', event.type);
  const attempts = record.attempts + 1;
  const unknown = event.type === 'ims-outcome-unknown';
  const counted = { ...record, attempts };
  const error: RequestError = unknown
    ? { code: 'IMS_OUTCOME_UNKNOWN', message: event.message, source: 'internal' }
    : event.code
      ? { code: event.code, message: event.message, source: 'ims' }
      : { code: 'IMS_UNAVAILABLE', message: event.message, source: 'internal' };
  // A second export POST could start a second job: the target object in OBS will tell instead.
  if (unknown && record.kind === 'export') return awaitEvidence(record, event.at, settings, attempts);
  if (attempts >= settings.maxSubmitAttempts) return complete(counted, event.at, settings, { status: 'failed', error });
  const delays = settings.imsRetryDelaysSeconds;
  const scheduled = delays[Math.min(attempts, delays.length) - 1] ?? 900;
  const retryAfter = event.type === 'ims-unavailable' ? (event.retryAfterSeconds ?? 0) : 0;
  const delaySeconds = Math.min(900, Math.max(scheduled, Math.ceil(retryAfter)));
  return accept(
    {
      ...counted,
      status: 'queued',
      // What went wrong this time, so a caller watching a retried request sees why it waits.
      last_error: withHint(error),
      updated_at: event.at.toISOString(),
      next_check_at: dueAt(event.at, delaySeconds * 1000 + settings.queuedSafetyMs),
      internal: { ...record.internal, lease_until: null, submit_uncertain: record.internal.submit_uncertain || unknown },
    },
    [{ type: 'requeue', delaySeconds }],
  );
}

function imageFound(record: StoredRequest, event: Event<'image-found'>, settings: LifecycleSettings): Decision {
  if (record.kind === 'export') return reject(record, 'not-allowed', 'an export creates no image to find');
  if ((record.status === 'running' || record.status === 'succeeded') && record.image_id === event.imageId) {
    return reject(record, 'duplicate', `image ${event.imageId} is already recorded`);
  }
  if (record.status !== 'submitting') return outOfStage(record, 'submitting', 'image-found');
  const running: StoredRequest = {
    ...record,
    status: 'running',
    ims_job_id: event.jobId ?? record.ims_job_id,
    image_id: event.imageId,
    // The image proves a submission reached IMS, even one a crash kept from being counted.
    attempts: Math.max(record.attempts, 1),
    submitted_at: record.submitted_at ?? event.at.toISOString(),
    error: null,
    last_error: null,
    updated_at: event.at.toISOString(),
    next_check_at: dueAt(event.at, settings.firstCheckDelayMs),
    internal: { ...record.internal, lease_until: null, submit_uncertain: false },
  };
  if (event.active) return complete(running, event.at, settings, { status: 'succeeded', progress: 100 });
  return accept(running);
}

function imageKilled(record: StoredRequest, event: Event<'image-killed'>, settings: LifecycleSettings): Decision {
  if (record.kind === 'export') return reject(record, 'not-allowed', 'an export creates no image to find');
  if (record.status !== 'submitting') return outOfStage(record, 'submitting', 'image-killed');
  // The image proves a submission reached IMS; submitting again would make a second image.
  const counted = { ...record, attempts: Math.max(record.attempts, 1), image_id: event.imageId };
  return complete(counted, event.at, settings, {
    status: 'failed',
    error: ownError('IMAGE_KILLED', `the image ${event.imageId} an earlier submission of this request made is ${event.status}; it is not submitted again`, 'ims'),
  });
}

// ---- evidence after a lost answer ----

/**
 * An export whose submission may have reached IMS without its answer: never POSTed again (a second
 * job could start), it runs without a job id and `progress: null` until a check finds its object.
 */
function awaitEvidence(record: StoredRequest, at: Date, settings: LifecycleSettings, attempts: number): Accepted {
  return accept({
    ...record,
    status: 'running',
    ims_job_id: null,
    progress: null,
    attempts,
    error: null,
    last_error: null,
    evidence: `awaiting the object ${targetOf(record)} in OBS: the answer to the export's submission was lost`,
    submitted_at: record.submitted_at ?? at.toISOString(),
    updated_at: at.toISOString(),
    next_check_at: dueAt(at, settings.firstCheckDelayMs),
    internal: { ...record.internal, lease_until: null, submit_uncertain: false },
  });
}

/** Whether a running request has no job to ask about and waits for evidence of its result instead. */
export function awaitingEvidence(record: StoredRequest): boolean {
  return record.status === 'running' && record.kind === 'export' && record.ims_job_id === null;
}

function evidenceChecked(record: StoredRequest, event: Event<'evidence-checked'>, settings: LifecycleSettings): Decision {
  if (record.status === 'succeeded' && event.evidence.found === 'object') return reject(record, 'duplicate', 'success already recorded');
  if (record.status !== 'running') return outOfStage(record, 'running', 'evidence-checked');
  if (!awaitingEvidence(record)) return reject(record, 'not-allowed', 'the request follows its IMS job, not evidence');
  const { evidence } = event;
  if (evidence.found === 'object') {
    return complete({ ...record, evidence: `found the object ${targetOf(record)} in OBS` }, event.at, settings, {
      status: 'succeeded',
      image_id: sourceImageId(record),
      progress: 100,
    });
  }
  const note =
    evidence.found === 'unknown'
      ? `cannot confirm the object ${targetOf(record)}: ${evidence.reason}; the request fails at its deadline unless it can`
      : `awaiting the object ${targetOf(record)} in OBS: ${evidence.found === 'nothing' ? evidence.detail : 'the answer to the submission was lost'}`;
  return keepChecking({ ...record, evidence: note }, event.at, settings);
}

/** The next check of a running request by its progress or the job's age (backoff.ts), never past the deadline, where it fails. */
function keepChecking(record: StoredRequest, at: Date, settings: LifecycleSettings, progress?: number | null): Decision {
  const deadline = deadlineOf(record, settings);
  if (at.getTime() >= deadline) return timedOut(record, at, settings);
  const startedAt = Date.parse(record.submitted_at ?? record.created_at);
  const merged = mergedProgress(record.progress, progress);
  // Aimed at the end the progress percentage points to, where IMS reports one; else by the job's age.
  // The percentage before this check tells whether the job lingers past the end it pointed to.
  const delay = nextCheckDelayWithProgressMs(at.getTime() - startedAt, merged, settings.checkBackoff, record.progress);
  return accept({
    ...record,
    progress: merged,
    updated_at: at.toISOString(),
    // Never sleep past the deadline: the check at the deadline fails the request.
    next_check_at: new Date(Math.min(at.getTime() + delay, deadline)).toISOString(),
    internal: { ...record.internal, lease_until: null },
  });
}

/** Whether the next 404 on this record's job query reaches the limit, so the caller looks for evidence first. */
export function jobNotFoundSettles(record: StoredRequest, settings: Pick<LifecycleTimings, 'jobNotFoundLimit'>): boolean {
  return (record.internal.job_missing ?? 0) + 1 >= settings.jobNotFoundLimit;
}

/**
 * IMS answered 404 for a job it gave us: a few in a row (a lagging replica) are waited out; at the
 * limit the evidence decides, and without any the request fails: never a silent wait to the deadline.
 */
function jobNotFound(record: StoredRequest, event: Event<'job-not-found'>, settings: LifecycleSettings): Decision {
  if (record.ims_job_id !== null && event.jobId !== record.ims_job_id) {
    return reject(record, 'stale', `404 for job ${event.jobId}, but the request follows job ${record.ims_job_id}`);
  }
  if (record.status !== 'running') return outOfStage(record, 'running', 'job-not-found');
  if (record.ims_job_id === null) return reject(record, 'stale', 'the request no longer follows a job');
  const missing = (record.internal.job_missing ?? 0) + 1;
  const counted: StoredRequest = { ...record, internal: { ...record.internal, job_missing: missing } };
  if (missing < settings.jobNotFoundLimit) return keepChecking(counted, event.at, settings);
  const gone = `IMS no longer knows job ${event.jobId} (${missing} queries answered 404)`;
  const evidence = event.evidence;
  if (evidence?.found === 'object') {
    return complete({ ...counted, evidence: `found the object ${targetOf(record)} in OBS` }, event.at, settings, {
      status: 'succeeded',
      image_id: sourceImageId(record),
      progress: 100,
    });
  }
  if (evidence?.found === 'image' && record.kind !== 'export') {
    const withImage: StoredRequest = { ...counted, image_id: evidence.imageId };
    if (evidence.status === 'active') return complete(withImage, event.at, settings, { status: 'succeeded', progress: 100 });
    if (evidence.status === 'killed') {
      return complete(withImage, event.at, settings, {
        status: 'failed',
        error: ownError('IMAGE_KILLED', `${gone}; its image ${evidence.imageId} is killed`, 'ims'),
      });
    }
    // Still being made: follow the image instead of the job.
    return keepChecking({ ...withImage, ims_job_id: null, internal: { ...withImage.internal, job_missing: 0 } }, event.at, settings);
  }
  const why = evidence === undefined ? '' : evidence.found === 'unknown' ? `; its result could not be looked for: ${evidence.reason}` : `; ${evidence.found === 'nothing' ? evidence.detail : 'no result found'}`;
  return complete(counted, event.at, settings, { status: 'failed', error: ownError('JOB_NOT_FOUND', `${gone}${why}`, 'ims') });
}

// ---- the running job ----

function jobStatus(record: StoredRequest, event: Event<'job-status'>, settings: LifecycleSettings): Decision {
  if (event.jobId !== undefined && record.ims_job_id !== null && event.jobId !== record.ims_job_id) {
    return reject(record, 'stale', `status of job ${event.jobId}, but the request follows job ${record.ims_job_id}`);
  }
  if (record.status === 'succeeded' && event.status === 'SUCCESS') return reject(record, 'duplicate', 'success already recorded');
  if (record.status === 'failed' && event.status === 'FAIL' && record.error?.source === 'ims') {
    return reject(record, 'duplicate', 'failure already recorded');
  }
  if (record.status !== 'running') return outOfStage(record, 'running', `job-status ${event.status}`);

  if (event.status === 'FAIL') {
    return complete(record, event.at, settings, {
      status: 'failed',
      error: {
        code: event.errorCode ?? 'IMS_JOB_FAILED',
        message: event.failReason ?? 'IMS reported the job as failed without a reason',
        source: 'ims',
      },
    });
  }
  if (event.status === 'SUCCESS') {
    const imageId = record.kind === 'export' ? sourceImageId(record) : (event.imageId ?? record.image_id);
    if (imageId === null) {
      return complete(record, event.at, settings, {
        status: 'failed',
        error: { code: 'IMAGE_ID_MISSING', message: `IMS job ${record.ims_job_id ?? ''} succeeded without naming its image`, source: 'internal' },
      });
    }
    return complete(record, event.at, settings, { status: 'succeeded', image_id: imageId, progress: 100 });
  }

  const answered = record.internal.job_missing ? { ...record, internal: { ...record.internal, job_missing: 0 } } : record;
  return keepChecking(answered, event.at, settings, event.progress);
}

/**
 * A running job past its deadline fails; so does a request that never got to IMS within it (still
 * `queued`, or `submitting` with a lapsed claim: a worker that keeps failing on it), so that
 * nothing waits forever. A live claim is left to its worker.
 */
function deadlinePassed(record: StoredRequest, event: Event<'deadline-passed'>, settings: LifecycleSettings): Decision {
  const lapsedClaim = record.status === 'submitting' && !claimHeld(record, event.at);
  if (record.status !== 'running' && record.status !== 'queued' && !lapsedClaim) return outOfStage(record, 'running', 'deadline-passed');
  const deadline = deadlineOf(record, settings);
  if (event.at.getTime() < deadline) {
    return reject(record, 'not-allowed', `the request's deadline is ${new Date(deadline).toISOString()}`);
  }
  return timedOut(record, event.at, settings);
}

/** Whether a request still waiting to reach IMS has waited past its deadline (the sweep asks before re-enqueuing it). */
export function waitedPastDeadline(record: StoredRequest, now: Date, settings: Pick<LifecycleTimings, 'jobDeadlineMs'>): boolean {
  return (record.status === 'queued' || record.status === 'submitting') && now.getTime() >= deadlineOf(record, settings);
}

function timedOut(record: StoredRequest, at: Date, settings: LifecycleSettings): Decision {
  const hours = Math.round((settings.jobDeadlineMs / HOUR_MS) * 10) / 10;
  if (awaitingEvidence(record)) {
    const message = `the object ${targetOf(record)} did not appear complete in OBS within ${hours} h of the export's submission, whose answer was lost`;
    return complete(record, at, settings, { status: 'failed', error: ownError('EXPORT_UNVERIFIED', message, 'timeout') });
  }
  const message =
    record.status === 'running'
      ? `IMS job ${record.ims_job_id ?? '(unknown)'} did not finish within ${hours} h`
      : `the request did not reach IMS within ${hours} h`;
  return complete(record, at, settings, { status: 'failed', error: { code: 'JOB_DEADLINE', message, source: 'timeout' } });
}

// ---- outcomes and their announcements ----

type Outcome = { status: 'succeeded' | 'failed' } & Partial<Pick<StoredRequest, 'image_id' | 'progress' | 'error'>>;

/** A terminal outcome: its record, then the child export or the announcements. */
function complete(record: StoredRequest, at: Date, settings: LifecycleSettings, outcome: Outcome): Accepted {
  const done: StoredRequest = {
    ...record,
    ...outcome,
    error: outcome.status === 'failed' && outcome.error ? withHint(outcome.error) : null,
    last_error: null,
    completed_at: at.toISOString(),
    updated_at: at.toISOString(),
    internal: { ...record.internal, lease_until: null, submit_uncertain: false },
  };
  const child = pendingChildExport(done);
  if (!child) return announce(done, at, settings);
  const holdUntil = dueAt(at, settings.sweepLeaseMs);
  return accept(
    {
      ...done,
      webhook: { status: settings.hasWebhookTarget ? 'pending' : 'none', attempts: 0 },
      next_check_at: holdUntil,
      internal: { ...done.internal, lease_until: holdUntil, webhook_event_id: null, webhook_next_at: null },
    },
    [child],
  );
}

/** Starts the webhook (and chat message) of a finished record. */
function announce(record: StoredRequest, at: Date, settings: LifecycleSettings): Accepted {
  const chat: Effect[] = record.internal.chat ? [{ type: 'notify-chat' }] : [];
  if (!settings.hasWebhookTarget || (record.status !== 'succeeded' && record.status !== 'failed')) {
    return accept(
      {
        ...record,
        webhook: { status: 'none', attempts: 0 },
        next_check_at: null,
        internal: { ...record.internal, lease_until: null, webhook_event_id: null, webhook_next_at: null },
      },
      chat,
    );
  }
  const eventId = webhookEventId(record.id, record.status);
  const holdUntil = dueAt(at, settings.sweepLeaseMs);
  return accept(
    {
      ...record,
      webhook: { status: 'pending', attempts: 0 },
      next_check_at: holdUntil,
      internal: { ...record.internal, lease_until: holdUntil, webhook_event_id: eventId, webhook_next_at: at.toISOString() },
    },
    [{ type: 'send-webhook', eventId }, ...chat],
  );
}

function childCreated(record: StoredRequest, event: Event<'child-created'>, settings: LifecycleSettings): Decision {
  if (record.kind !== 'capture' || !isObject(record.params.then_export)) {
    return reject(record, 'not-allowed', 'only a capture with then_export has an export child');
  }
  if (record.child_id === event.childId) return reject(record, 'duplicate', `child ${event.childId} is already recorded`);
  if (record.child_id !== null) return reject(record, 'stale', `the request already has child ${record.child_id}`);
  if (record.status !== 'succeeded') return reject(record, 'not-allowed', `a ${record.status} capture has no image to export`);
  return announce({ ...record, child_id: event.childId, updated_at: event.at.toISOString() }, event.at, settings);
}

function webhookResult(record: StoredRequest, event: Event<'webhook-result'>, settings: LifecycleSettings): Decision {
  if (STAGE[record.status] < 3) return reject(record, 'not-allowed', `a ${record.status} request has no webhook yet`);
  if (record.webhook.status === 'delivered' || record.webhook.status === 'failed') {
    return reject(record, 'duplicate', `the webhook is already ${record.webhook.status}`);
  }
  if (record.webhook.status === 'none' || record.internal.webhook_event_id === null) {
    return reject(record, 'not-allowed', 'no webhook was sent for this request');
  }
  const attempts = record.webhook.attempts + 1;
  const retryIn = event.ok || event.final ? undefined : settings.webhookRetryDelaysMs[attempts - 1];
  const nextAt = retryIn === undefined ? null : dueAt(event.at, retryIn);
  return accept({
    ...record,
    webhook: { status: event.ok ? 'delivered' : nextAt === null ? 'failed' : 'pending', attempts },
    updated_at: event.at.toISOString(),
    next_check_at: nextAt,
    internal: { ...record.internal, lease_until: null, webhook_next_at: nextAt },
  });
}

/**
 * A redelivery makes the webhook `pending` and due at once; the sweep that sends it records its
 * `webhook-result` as for any attempt (delivered, or failed again once no retry is left).
 */
function redeliver(record: StoredRequest, event: Event<'redeliver'>): Decision {
  if (STAGE[record.status] < 3) return reject(record, 'not-allowed', `a ${record.status} request has no outcome to deliver yet`);
  if (record.webhook.status === 'none' || record.internal.webhook_event_id === null) {
    return reject(record, 'not-allowed', 'the request has no webhook to deliver');
  }
  const at = event.at.toISOString();
  return accept({
    ...record,
    webhook: { ...record.webhook, status: 'pending' },
    updated_at: at,
    next_check_at: at,
    internal: { ...record.internal, webhook_next_at: at },
  });
}

function cancel(record: StoredRequest, event: Event<'cancel'>): Decision {
  if (record.status === 'cancelled') return reject(record, 'duplicate', 'the request is already cancelled');
  if (record.status !== 'queued') {
    return reject(record, 'not-allowed', `a ${record.status} request cannot be cancelled: only queued ones can (IMS has no cancel)`);
  }
  // Queued again after a submission whose answer was lost: IMS may be running it, and nothing would watch it.
  if (record.internal.submit_uncertain) return reject(record, 'not-allowed', 'an earlier submission may have reached IMS (IMS has no cancel)');
  return accept({
    ...record,
    status: 'cancelled',
    updated_at: event.at.toISOString(),
    completed_at: event.at.toISOString(),
    next_check_at: null,
    webhook: { status: 'none', attempts: 0 },
    internal: { ...record.internal, lease_until: null, webhook_event_id: null, webhook_next_at: null },
  });
}

// ---- bookkeeping ----

/**
 * How long a sweep holds a record it took. A `queued` record is re-enqueued at intervals that grow
 * with the time it has waited (1, 2, 4, ... minutes up to 15): a lost message is replaced within a
 * minute, while a worker far behind a backlog is not sent a new copy of every waiting request each minute.
 */
function sweepHoldMs(record: StoredRequest, now: Date, timings: Pick<LifecycleTimings, 'sweepLeaseMs' | 'maxRequeueIntervalMs'>): number {
  if (record.status !== 'queued') return timings.sweepLeaseMs;
  const waited = now.getTime() - Date.parse(record.updated_at);
  return Math.max(timings.sweepLeaseMs, Math.min(timings.maxRequeueIntervalMs, Number.isFinite(waited) ? waited : 0));
}

/**
 * Unlike a submission claim it leaves `lease_until` alone, so a lapsed submission lease stays
 * lapsed for the worker that re-claims it. A record not due (any more) was taken by another sweep.
 */
function sweepHold(record: StoredRequest, event: Event<'sweep-hold'>, settings: LifecycleSettings): Decision {
  const due = record.next_check_at === null ? Number.NaN : Date.parse(record.next_check_at);
  if (!(due <= event.at.getTime())) return reject(record, 'duplicate', `the record is not due (next check ${record.next_check_at ?? 'never'})`);
  return accept({ ...record, next_check_at: dueAt(event.at, sweepHoldMs(record, event.at, settings)) });
}

function refusedAtIntake(record: StoredRequest, event: Event<'refused-at-intake'>, settings: LifecycleSettings): Decision {
  if (record.status !== 'queued') return outOfStage(record, 'queued', 'refused-at-intake');
  if (record.attempts > 0 || record.internal.submit_uncertain) return reject(record, 'not-allowed', 'the request was already submitted to IMS');
  return complete(record, event.at, settings, { status: 'failed', error: { code: event.code, message: event.message, source: event.source } });
}

function chatNotified(record: StoredRequest, event: Event<'chat-notified'>): Decision {
  const chat = record.internal.chat;
  if (!chat || !event.usedResponseUrl) return reject(record, 'not-allowed', 'no response_url use to count');
  // Slack allows five uses of a response_url: a lost count only means a fallback to the chat webhook later.
  return accept({ ...record, internal: { ...record.internal, chat: { ...chat, response_uses: chat.response_uses + 1 } } });
}

// ---- small pieces ----

/** Every failure says what to do about it: its code's hint, unless the event brought a more specific one. */
function withHint(error: RequestError): RequestError {
  return { ...error, hint: error.hint ?? hintFor(error.code, error.source) };
}

function accept(record: StoredRequest, effects: Effect[] = []): Accepted {
  return { ok: true, record, effects };
}

function reject(record: StoredRequest, reason: RejectReason, detail: string): Decision {
  return { ok: false, reason, status: record.status, detail };
}

function outOfStage(record: StoredRequest, expected: RequestStatus, what: string): Decision {
  return STAGE[record.status] > STAGE[expected]
    ? reject(record, 'stale', `${what} arrived after the request became ${record.status}`)
    : reject(record, 'not-allowed', `${what} needs a ${expected} request, this one is ${record.status}`);
}

function deadlineOf(record: StoredRequest, settings: Pick<LifecycleTimings, 'jobDeadlineMs'>): number {
  return Date.parse(record.submitted_at ?? record.created_at) + settings.jobDeadlineMs;
}

/** Progress only moves forward and stays within 0–100; a missing report keeps the last one. */
function mergedProgress(previous: number | null, reported: number | null | undefined): number | null {
  if (reported === null || reported === undefined || !Number.isFinite(reported)) return previous;
  const clamped = Math.min(100, Math.max(0, reported));
  return previous === null ? clamped : Math.max(previous, clamped);
}

/** One of our own errors (`complete` adds its hint). */
function ownError(code: OwnErrorCode, message: string, source: RequestError['source']): RequestError {
  return { code, message, source };
}

/** An export's target, `bucket:object`. */
function targetOf(record: StoredRequest): string {
  const url = record.params.bucket_url;
  return typeof url === 'string' ? url : '(no bucket_url)';
}

/** An export's image is its source image. */
function sourceImageId(record: StoredRequest): string | null {
  const id = record.params.image_id;
  return typeof id === 'string' ? id : record.image_id;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
