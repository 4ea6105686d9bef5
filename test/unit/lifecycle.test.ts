import { hintFor } from '../../lib/ims/hints.js';
import { describe, expect, it } from 'vitest';
import {
  decide,
  lifecycleTimings,
  pendingAnnouncements,
  pendingChildExport,
  waitedPastDeadline,
  type Decision,
  type Effect,
  type Evidence,
  type LifecycleEvent,
  type LifecycleSettings,
  type RejectReason,
} from '../../lib/requests/lifecycle.js';
import { requestRecord, type RequestKind, type RequestStatus, type StoredRequest } from '../../lib/requests/record.js';
import { webhookEventId } from '../../lib/requests/ids.js';
import { storedRequestFixture } from '../helpers/records.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const T0 = new Date('2026-11-23T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const iso = (ms: number) => at(ms).toISOString();

const settings: LifecycleSettings = { ...lifecycleTimings.parse({}), hasWebhookTarget: true };
const noTarget: LifecycleSettings = { ...settings, hasWebhookTarget: false };

const SOURCE_IMAGE = '1b9c7e5a-44f2-4a41-9d0e-0b6a2b1f6c11';
const PARAMS: Record<RequestKind, Record<string, unknown>> = {
  export: { image_id: SOURCE_IMAGE, bucket_url: 'ims-image:centos7.qcow2', file_format: 'qcow2' },
  import: { name: 'centos7', image_url: 'ims-image:centos7.qcow2', min_disk: 40 },
  capture: { name: 'web-1', instance_id: '5c3a3c1e-8d0f-4b5e-9b0a-2f1d0c9e8a77' },
};
const THEN_EXPORT = { bucket_url: 'ims-image:web-1.vmdk', file_format: 'vmdk' };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function queued(kind: RequestKind = 'import', extra: Partial<StoredRequest> = {}): StoredRequest {
  const base = storedRequestFixture({
    id: 'req_01JAAAAAAAAAAAAAAAAAAAAAAA',
    kind,
    client_ref: 'ticket-42',
    params: PARAMS[kind],
    project_id: 'p-1',
    created_at: iso(0),
    updated_at: iso(0),
    next_check_at: iso(MINUTE),
    webhook: { status: 'pending', attempts: 0 },
  });
  return deepFreeze({ ...base, internal: { ...base.internal, version: 7, body_hash: 'h', callback_url: 'https://hooks.example.com/ims' }, ...extra });
}

function accepted(decision: Decision): { record: StoredRequest; effects: Effect[] } {
  if (!decision.ok) throw new Error(`expected acceptance, got ${decision.reason}: ${decision.detail}`);
  return { record: deepFreeze(decision.record), effects: decision.effects };
}

function rejection(decision: Decision): RejectReason {
  if (decision.ok) throw new Error(`expected a rejection, got ${decision.record.status}`);
  return decision.reason;
}

const step = (record: StoredRequest, event: LifecycleEvent, s: LifecycleSettings = settings) => accepted(decide(record, event, s));

// Each status reached the way the service reaches it, so fixtures are consistent records.
function inStatus(status: RequestStatus, kind: RequestKind = 'import', extra: Partial<StoredRequest> = {}): StoredRequest {
  const q = queued(kind, extra);
  if (status === 'queued') return q;
  if (status === 'cancelled') return step(q, { type: 'cancel', at: at(SECOND) }).record;
  const submitting = step(q, { type: 'claim-submission', at: at(SECOND) }).record;
  if (status === 'submitting') return submitting;
  const running = step(submitting, { type: 'ims-accepted', jobId: 'job-1', at: at(2 * SECOND) }).record;
  if (status === 'running') return running;
  if (status === 'succeeded') return step(running, { type: 'job-status', status: 'SUCCESS', imageId: 'img-1', at: at(10 * MINUTE) }).record;
  return step(running, { type: 'job-status', status: 'FAIL', errorCode: 'IMG.0014', failReason: 'boom', at: at(10 * MINUTE) }).record;
}

const STATUSES: RequestStatus[] = ['queued', 'submitting', 'running', 'succeeded', 'failed', 'cancelled'];
const LATER = at(MINUTE);

/** The moves a record may make; submitting → queued is the retry of a submission that never took. */
const FORWARD: Record<RequestStatus, RequestStatus[]> = {
  queued: ['submitting', 'cancelled', 'failed'],
  submitting: ['submitting', 'queued', 'running', 'succeeded', 'failed'],
  running: ['running', 'succeeded', 'failed'],
  succeeded: ['succeeded'],
  failed: ['failed'],
  cancelled: [],
};

type Expectation = 'ok' | RejectReason;
type Row = { name: string; event: LifecycleEvent; kind?: RequestKind; extra?: Partial<StoredRequest>; expect: Record<RequestStatus, Expectation> };

const NOT_BEFORE_SUBMITTING = { queued: 'not-allowed', submitting: 'ok', running: 'stale', succeeded: 'stale', failed: 'stale', cancelled: 'stale' } as const;
const ONLY_RUNNING = { queued: 'not-allowed', submitting: 'not-allowed', running: 'ok', succeeded: 'stale', failed: 'stale', cancelled: 'stale' } as const;

const TABLE: Row[] = [
  {
    name: 'claim-submission',
    event: { type: 'claim-submission', at: LATER },
    expect: { queued: 'ok', submitting: 'duplicate', running: 'stale', succeeded: 'stale', failed: 'stale', cancelled: 'stale' },
  },
  { name: 'submission-sending', kind: 'export', event: { type: 'submission-sending', at: at(2 * SECOND) }, expect: NOT_BEFORE_SUBMITTING },
  { name: 'ims-accepted (a new job)', event: { type: 'ims-accepted', jobId: 'job-2', at: LATER }, expect: NOT_BEFORE_SUBMITTING },
  { name: 'ims-refused', event: { type: 'ims-refused', code: 'IMG.0027', message: 'no such image', at: LATER }, expect: NOT_BEFORE_SUBMITTING },
  { name: 'ims-unavailable', event: { type: 'ims-unavailable', message: '503', at: LATER }, expect: NOT_BEFORE_SUBMITTING },
  { name: 'ims-outcome-unknown', event: { type: 'ims-outcome-unknown', message: 'timed out', at: LATER }, expect: NOT_BEFORE_SUBMITTING },
  { name: 'image-found', event: { type: 'image-found', imageId: 'img-9', active: false, at: LATER }, expect: NOT_BEFORE_SUBMITTING },
  {
    name: 'image-found on an export',
    kind: 'export',
    event: { type: 'image-found', imageId: 'img-9', active: false, at: LATER },
    expect: { queued: 'not-allowed', submitting: 'not-allowed', running: 'not-allowed', succeeded: 'not-allowed', failed: 'not-allowed', cancelled: 'not-allowed' },
  },
  { name: 'image-killed', event: { type: 'image-killed', imageId: 'img-9', status: 'killed', at: LATER }, expect: NOT_BEFORE_SUBMITTING },
  {
    name: 'image-killed on an export',
    kind: 'export',
    event: { type: 'image-killed', imageId: 'img-9', status: 'killed', at: LATER },
    expect: { queued: 'not-allowed', submitting: 'not-allowed', running: 'not-allowed', succeeded: 'not-allowed', failed: 'not-allowed', cancelled: 'not-allowed' },
  },
  {
    // A running export follows its job here, so only an export awaiting evidence takes it (tested below).
    name: 'evidence-checked (object found)',
    kind: 'export',
    event: { type: 'evidence-checked', evidence: { found: 'object' }, at: at(20 * MINUTE) },
    expect: { ...ONLY_RUNNING, running: 'not-allowed', succeeded: 'duplicate' },
  },
  {
    name: 'job-not-found',
    event: { type: 'job-not-found', jobId: 'job-1', at: at(20 * MINUTE) },
    expect: ONLY_RUNNING,
  },
  {
    name: 'job-not-found of another job',
    event: { type: 'job-not-found', jobId: 'job-7', at: at(20 * MINUTE) },
    expect: { queued: 'not-allowed', submitting: 'not-allowed', running: 'stale', succeeded: 'stale', failed: 'stale', cancelled: 'stale' },
  },
  { name: 'job-status RUNNING', event: { type: 'job-status', status: 'RUNNING', progress: 30, at: at(20 * MINUTE) }, expect: ONLY_RUNNING },
  { name: 'job-status INIT', event: { type: 'job-status', status: 'INIT', at: at(20 * MINUTE) }, expect: ONLY_RUNNING },
  {
    name: 'job-status SUCCESS',
    event: { type: 'job-status', status: 'SUCCESS', imageId: 'img-1', at: at(20 * MINUTE) },
    expect: { ...ONLY_RUNNING, succeeded: 'duplicate' },
  },
  {
    name: 'job-status FAIL',
    event: { type: 'job-status', status: 'FAIL', errorCode: 'IMG.0014', failReason: 'boom', at: at(20 * MINUTE) },
    expect: { ...ONLY_RUNNING, failed: 'duplicate' },
  },
  {
    // A request that never reached IMS within the deadline fails too (the submitting one's claim has lapsed by then).
    name: 'deadline-passed',
    event: { type: 'deadline-passed', at: at(25 * HOUR) },
    expect: { ...ONLY_RUNNING, queued: 'ok', submitting: 'ok' },
  },
  {
    name: 'webhook-result',
    event: { type: 'webhook-result', ok: true, at: at(11 * MINUTE) },
    expect: { queued: 'not-allowed', submitting: 'not-allowed', running: 'not-allowed', succeeded: 'ok', failed: 'ok', cancelled: 'not-allowed' },
  },
  {
    name: 'redeliver',
    event: { type: 'redeliver', at: at(11 * MINUTE) },
    expect: { queued: 'not-allowed', submitting: 'not-allowed', running: 'not-allowed', succeeded: 'ok', failed: 'ok', cancelled: 'not-allowed' },
  },
  {
    name: 'cancel',
    event: { type: 'cancel', at: LATER },
    expect: { queued: 'ok', submitting: 'not-allowed', running: 'not-allowed', succeeded: 'not-allowed', failed: 'not-allowed', cancelled: 'duplicate' },
  },
  {
    name: 'child-created on a capture with then_export',
    kind: 'capture',
    extra: { params: { ...PARAMS.capture, then_export: THEN_EXPORT } },
    event: { type: 'child-created', childId: 'req_child', at: at(11 * MINUTE) },
    expect: { queued: 'not-allowed', submitting: 'not-allowed', running: 'not-allowed', succeeded: 'ok', failed: 'not-allowed', cancelled: 'not-allowed' },
  },
  {
    name: 'child-created on an import',
    event: { type: 'child-created', childId: 'req_child', at: at(11 * MINUTE) },
    expect: { queued: 'not-allowed', submitting: 'not-allowed', running: 'not-allowed', succeeded: 'not-allowed', failed: 'not-allowed', cancelled: 'not-allowed' },
  },
];

describe('every event from every status', () => {
  const cases = TABLE.flatMap((row) => STATUSES.map((status) => ({ ...row, status, want: row.expect[status] })));

  it.each(cases)('$name on a $status request: $want', ({ event, status, kind, extra, want }) => {
    const record = inStatus(status, kind, extra);
    const before = structuredClone(record);
    const decision = decide(record, event, settings);
    expect(record).toEqual(before);
    if (want === 'ok') {
      const { record: next } = accepted(decision);
      expect(next.internal.version).toBe(record.internal.version);
      expect(next.updated_at).toBe(event.at.toISOString());
      expect(FORWARD[status]).toContain(next.status);
      expect(() => requestRecord.parse(next)).not.toThrow();
    } else {
      expect(rejection(decision)).toBe(want);
      if (!decision.ok) expect(decision.status).toBe(status);
    }
  });
});

describe('submission', () => {
  it('claims a queued request for the lease length and asks for one submission', () => {
    const { record, effects } = step(queued(), { type: 'claim-submission', at: LATER });
    expect(record.status).toBe('submitting');
    expect(record.internal.lease_until).toBe(iso(MINUTE + settings.submitLeaseMs));
    expect(record.next_check_at).toBe(record.internal.lease_until);
    expect(record.internal.version).toBe(7);
    expect(effects).toEqual([{ type: 'submit-to-ims', lookFirst: false }]);
  });

  it('lets a second worker re-claim only after the lease lapsed, and then looks before submitting', () => {
    const submitting = inStatus('submitting');
    const lease = Date.parse(submitting.internal.lease_until ?? '');
    expect(rejection(decide(submitting, { type: 'claim-submission', at: new Date(lease - 1) }, settings))).toBe('duplicate');
    const { record, effects } = step(submitting, { type: 'claim-submission', at: new Date(lease) });
    expect(record.internal.submit_uncertain).toBe(true);
    expect(record.internal.lease_until).toBe(new Date(lease + settings.submitLeaseMs).toISOString());
    expect(effects).toEqual([{ type: 'submit-to-ims', lookFirst: true }]);
  });

  it('records the accepted job, counts the submission and schedules the first check', () => {
    const { record, effects } = step(inStatus('submitting'), { type: 'ims-accepted', jobId: 'job-7', at: LATER });
    expect(record).toMatchObject({ status: 'running', ims_job_id: 'job-7', submitted_at: iso(MINUTE), attempts: 1, error: null });
    expect(record.next_check_at).toBe(iso(MINUTE + settings.firstCheckDelayMs));
    expect(record.internal.lease_until).toBeNull();
    expect(effects).toEqual([]);
  });

  it('keeps the note of checks that could not be made before the submission on the accepted record', () => {
    const { record } = step(inStatus('submitting', 'export'), { type: 'ims-accepted', jobId: 'job-3', note: 'OBS checks before submission skipped: no OBS credentials', at: LATER });
    expect(record).toMatchObject({ status: 'running', ims_job_id: 'job-3', evidence: 'OBS checks before submission skipped: no OBS credentials' });
  });

  it('ignores the same acceptance arriving twice', () => {
    const running = inStatus('running');
    expect(rejection(decide(running, { type: 'ims-accepted', jobId: 'job-1', at: at(HOUR) }, settings))).toBe('duplicate');
  });

  it('fails a refused submission with IMS code and message verbatim and announces it', () => {
    const { record, effects } = step(inStatus('submitting', 'export'), { type: 'ims-refused', code: 'IMG.0071', message: 'cannot export', at: LATER });
    expect(record).toMatchObject({ status: 'failed', attempts: 1, completed_at: iso(MINUTE) });
    expect(record.error).toEqual({ code: 'IMG.0071', message: 'cannot export', source: 'ims', hint: hintFor('IMG.0071', 'ims') });
    // The hint says what to do about this very code (the hint table's own tests cover every code).
    expect(record.error?.hint).toMatch(/export another image/i);
    expect(record.webhook).toEqual({ status: 'pending', attempts: 0 });
    const eventId = webhookEventId(record.id, 'failed');
    expect(record.internal.webhook_event_id).toBe(eventId);
    expect(record.internal.webhook_next_at).toBe(iso(MINUTE));
    expect(record.next_check_at).toBe(iso(MINUTE + settings.sweepLeaseMs));
    expect(effects).toEqual([{ type: 'send-webhook', eventId }]);
  });

  it('names a refusal without an IMS code as ours', () => {
    const { record } = step(inStatus('submitting'), { type: 'ims-refused', code: null, message: 'forbidden', at: LATER });
    expect(record.error).toEqual({ code: 'IMS_REFUSED', message: 'forbidden', source: 'ims', hint: hintFor('IMS_REFUSED', 'ims') });
  });

  it('retries an unavailable IMS with growing delays up to 900 s and fails at the attempt cap with the last message', () => {
    let record = queued();
    const delays: number[] = [];
    let t = 0;
    for (;;) {
      record = step(record, { type: 'claim-submission', at: at(t) }).record;
      t += SECOND;
      const decision = accepted(decide(record, { type: 'ims-unavailable', message: `503 #${delays.length + 1}`, at: at(t) }, settings));
      record = decision.record;
      if (record.status === 'failed') {
        expect(decision.effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'failed') }]);
        break;
      }
      expect(record.status).toBe('queued');
      expect(record.internal.lease_until).toBeNull();
      const requeue = decision.effects[0];
      expect(decision.effects).toHaveLength(1);
      if (requeue?.type !== 'requeue') throw new Error('expected a requeue');
      delays.push(requeue.delaySeconds);
      expect(record.next_check_at).toBe(iso(t + requeue.delaySeconds * SECOND + settings.queuedSafetyMs));
      t += requeue.delaySeconds * SECOND;
    }
    expect(delays).toEqual([10, 30, 60, 120, 300, 600, 900]);
    expect(record.attempts).toBe(settings.maxSubmitAttempts);
    expect(record.error).toEqual({ code: 'IMS_UNAVAILABLE', message: '503 #8', source: 'internal', hint: hintFor('IMS_UNAVAILABLE', 'internal') });
  });

  it('keeps an IMS code of the last unavailable answer, and honours Retry-After within the 900 s SQS limit', () => {
    const capped: LifecycleSettings = { ...settings, maxSubmitAttempts: 2 };
    const first = step(inStatus('submitting'), { type: 'ims-unavailable', message: 'throttled', retryAfterSeconds: 45, at: LATER }, capped);
    expect(first.effects).toEqual([{ type: 'requeue', delaySeconds: 45 }]);
    const long = step(inStatus('submitting'), { type: 'ims-unavailable', message: 'throttled', retryAfterSeconds: 3600, at: LATER });
    expect(long.effects).toEqual([{ type: 'requeue', delaySeconds: 900 }]);
    const again = step(first.record, { type: 'claim-submission', at: at(2 * MINUTE) }, capped).record;
    const { record } = step(again, { type: 'ims-unavailable', message: 'Service unavailable', code: 'APIGW.0308', at: at(3 * MINUTE) }, capped);
    expect(record.error).toEqual({ code: 'APIGW.0308', message: 'Service unavailable', source: 'ims', hint: hintFor('APIGW.0308', 'ims') });
  });

  it('shows the latest transient error as last_error while the request waits, and clears it once IMS takes it', () => {
    const waiting = step(inStatus('submitting'), { type: 'ims-unavailable', message: 'APIGW.0308: throttled', code: 'APIGW.0308', at: LATER }).record;
    expect(waiting.status).toBe('queued');
    expect(waiting.error).toBeNull();
    expect(waiting.last_error).toMatchObject({ code: 'APIGW.0308', message: 'APIGW.0308: throttled', source: 'ims', hint: expect.stringMatching(/\S/) });
    const again = step(waiting, { type: 'claim-submission', at: at(2 * MINUTE) }).record;
    expect(again.last_error).toEqual(waiting.last_error);
    const accepted = step(again, { type: 'ims-accepted', jobId: 'job-2', at: at(3 * MINUTE) }).record;
    expect(accepted).toMatchObject({ status: 'running', last_error: null, error: null });
  });

  it('re-queues an unknown outcome so that the next submission looks for the first one', () => {
    const { record, effects } = step(inStatus('submitting'), { type: 'ims-outcome-unknown', message: 'no answer in 30 s', at: LATER });
    expect(record).toMatchObject({ status: 'queued', attempts: 1 });
    expect(record.internal.submit_uncertain).toBe(true);
    expect(effects).toEqual([{ type: 'requeue', delaySeconds: 10 }]);
    const unavailable = step(step(record, { type: 'claim-submission', at: at(2 * MINUTE) }).record, {
      type: 'ims-unavailable',
      message: '503',
      at: at(3 * MINUTE),
    }).record;
    expect(unavailable.internal.submit_uncertain).toBe(true);
    const claimed = step(unavailable, { type: 'claim-submission', at: at(4 * MINUTE) });
    expect(claimed.effects).toEqual([{ type: 'submit-to-ims', lookFirst: true }]);
  });

  it('fails after the attempt cap when the outcome stays unknown', () => {
    const capped: LifecycleSettings = { ...settings, maxSubmitAttempts: 1 };
    const { record } = step(inStatus('submitting'), { type: 'ims-outcome-unknown', message: 'no answer', at: LATER }, capped);
    expect(record.status).toBe('failed');
    expect(record.error).toEqual({ code: 'IMS_OUTCOME_UNKNOWN', message: 'no answer', source: 'internal', hint: hintFor('IMS_OUTCOME_UNKNOWN', 'internal') });
  });

  it('never re-submits an export whose answer was lost: it runs without a job, awaiting its object as evidence', () => {
    const { record, effects } = step(inStatus('submitting', 'export'), { type: 'ims-outcome-unknown', message: 'lost', at: LATER });
    expect(record).toMatchObject({ status: 'running', ims_job_id: null, progress: null, attempts: 1, error: null, submitted_at: iso(MINUTE) });
    expect(record.evidence).toContain('awaiting the object ims-image:centos7.qcow2');
    expect(record.next_check_at).toBe(iso(MINUTE + settings.firstCheckDelayMs));
    expect(effects).toEqual([]);
    expect(() => requestRecord.parse(record)).not.toThrow();
  });

  it('succeeds an export awaiting evidence only once its object is found, and keeps checking by backoff until then', () => {
    const awaiting = step(inStatus('submitting', 'export'), { type: 'ims-outcome-unknown', message: 'lost', at: LATER }).record;
    const notYet = step(awaiting, { type: 'evidence-checked', evidence: { found: 'nothing', detail: 'the object is not there (yet)' }, at: at(2 * MINUTE) });
    expect(notYet.record).toMatchObject({ status: 'running', progress: null, ims_job_id: null });
    expect(notYet.record.next_check_at).not.toBeNull();
    expect(Date.parse(notYet.record.next_check_at ?? '')).toBeGreaterThan(at(2 * MINUTE).getTime());
    const { record, effects } = step(notYet.record, { type: 'evidence-checked', evidence: { found: 'object' }, at: at(3 * MINUTE) });
    expect(record).toMatchObject({ status: 'succeeded', image_id: SOURCE_IMAGE, progress: 100, error: null, ims_job_id: null });
    expect(effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'succeeded') }]);
  });

  it('says on the record when the object cannot be looked for, and fails the export at its deadline, never succeeded', () => {
    const awaiting = step(inStatus('submitting', 'export'), { type: 'ims-outcome-unknown', message: 'lost', at: LATER }).record;
    const blind = step(awaiting, { type: 'evidence-checked', evidence: { found: 'unknown', reason: 'no OBS credentials' }, at: at(2 * MINUTE) }).record;
    expect(blind).toMatchObject({ status: 'running', progress: null });
    expect(blind.evidence).toContain('no OBS credentials');
    const { record } = step(blind, { type: 'evidence-checked', evidence: { found: 'unknown', reason: 'no OBS credentials' }, at: at(25 * HOUR) });
    expect(record).toMatchObject({ status: 'failed', error: { code: 'EXPORT_UNVERIFIED', source: 'timeout' } });
    expect(record.error?.hint).toMatch(/bucket_url/);
    const viaDeadline = step(blind, { type: 'deadline-passed', at: at(25 * HOUR) }).record;
    expect(viaDeadline.error).toMatchObject({ code: 'EXPORT_UNVERIFIED', source: 'timeout' });
  });

  it('submits an export again whose worker vanished before it said it was sending the POST', () => {
    const submitting = inStatus('submitting', 'export');
    const lapsed = Date.parse(submitting.internal.lease_until ?? '');
    const { record, effects } = step(submitting, { type: 'claim-submission', at: new Date(lapsed) });
    expect(record).toMatchObject({ status: 'submitting' });
    expect(effects).toEqual([{ type: 'submit-to-ims', lookFirst: false }]);
  });

  it('awaits evidence for an export whose worker vanished holding the claim after it said it was sending, instead of posting again', () => {
    const claimed = inStatus('submitting', 'export');
    const submitting = step(claimed, { type: 'submission-sending', at: at(2 * SECOND) }).record;
    expect(rejection(decide(submitting, { type: 'submission-sending', at: at(3 * SECOND) }, settings))).toBe('duplicate');
    const lapsed = Date.parse(submitting.internal.lease_until ?? '');
    const { record, effects } = step(submitting, { type: 'claim-submission', at: new Date(lapsed) });
    expect(record).toMatchObject({ status: 'running', ims_job_id: null, progress: null });
    expect(effects).toEqual([]);
  });

  it('fails an import whose earlier submission made an image that is now killed, never submitting again', () => {
    const uncertain = step(inStatus('submitting'), { type: 'ims-outcome-unknown', message: 'lost', at: LATER }).record;
    const claimed = step(uncertain, { type: 'claim-submission', at: at(2 * MINUTE) }).record;
    const { record, effects } = step(claimed, { type: 'image-killed', imageId: 'img-5', status: 'killed', at: at(3 * MINUTE) });
    expect(record).toMatchObject({ status: 'failed', image_id: 'img-5', attempts: 1, error: { code: 'IMAGE_KILLED', source: 'ims' } });
    expect(record.error?.hint).toBeTruthy();
    expect(effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'failed') }]);
  });

  it('takes IMG.0070 on a first export as the refusal it is', () => {
    const { record } = step(inStatus('submitting', 'export'), { type: 'ims-refused', code: 'IMG.0070', message: 'file exists', at: LATER });
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('IMG.0070');
  });

  it('follows an image found by a re-submission without submitting again', () => {
    const uncertain = step(inStatus('submitting'), { type: 'ims-outcome-unknown', message: 'lost', at: LATER }).record;
    const claimed = step(uncertain, { type: 'claim-submission', at: at(2 * MINUTE) }).record;
    const { record, effects } = step(claimed, { type: 'image-found', imageId: 'img-5', jobId: 'job-5', active: false, at: at(3 * MINUTE) });
    expect(record).toMatchObject({ status: 'running', image_id: 'img-5', ims_job_id: 'job-5', attempts: 1, submitted_at: iso(3 * MINUTE) });
    expect(record.internal.submit_uncertain).toBe(false);
    expect(record.next_check_at).toBe(iso(3 * MINUTE + settings.firstCheckDelayMs));
    expect(effects).toEqual([]);
    expect(rejection(decide(record, { type: 'image-found', imageId: 'img-5', active: false, at: at(4 * MINUTE) }, settings))).toBe('duplicate');
  });

  it('completes at once when the found image is already active', () => {
    const { record, effects } = step(inStatus('submitting'), { type: 'image-found', imageId: 'img-5', active: true, at: LATER });
    expect(record).toMatchObject({ status: 'succeeded', image_id: 'img-5', ims_job_id: null, progress: 100, completed_at: iso(MINUTE) });
    expect(effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'succeeded') }]);
  });
});

describe('the running job', () => {
  const running = inStatus('running'); // submitted at T0 + 2 s

  it('records progress and schedules the next check at the end it points to (by the job age without it)', () => {
    const { record, effects } = step(running, { type: 'job-status', status: 'RUNNING', progress: 40, at: at(2 * SECOND + 40 * SECOND) });
    expect(record.progress).toBe(40);
    expect(record.status).toBe('running');
    // 40 % after 40 s: the end is at the latest 40 s × 100 / 40 = 100 s after submission.
    expect(record.next_check_at).toBe(iso(2 * SECOND + 100 * SECOND));
    expect(step(running, { type: 'job-status', status: 'RUNNING', at: at(2 * SECOND + 40 * SECOND) }).record.next_check_at).toBe(iso(2 * SECOND + 80 * SECOND));
    expect(effects).toEqual([]);
    const later = step(record, { type: 'job-status', status: 'RUNNING', progress: 30, at: at(2 * SECOND + HOUR) }).record;
    expect(later.progress).toBe(40);
    // Still 40 % after an hour: the job is slower than its percentage told; the check goes where 40 % now points (2.5 h).
    expect(later.next_check_at).toBe(iso(2 * SECOND + HOUR + 1.5 * HOUR));
    // 0 % (the progress call answers, the job initialises): five times its age; no progress call: as long as its age.
    expect(step(running, { type: 'job-status', status: 'INIT', progress: 0, at: at(2 * SECOND + 40 * SECOND) }).record.next_check_at).toBe(iso(2 * SECOND + 240 * SECOND));
    expect(step(later, { type: 'job-status', status: 'INIT', at: at(2 * HOUR) }).record.progress).toBe(40);
  });

  it('never schedules a check past the deadline', () => {
    const { record } = step(running, { type: 'job-status', status: 'RUNNING', at: at(2 * SECOND + 24 * HOUR - MINUTE) });
    expect(record.next_check_at).toBe(iso(2 * SECOND + 24 * HOUR));
  });

  it('fails a job still running at its deadline with source timeout', () => {
    const { record, effects } = step(running, { type: 'job-status', status: 'RUNNING', at: at(2 * SECOND + 24 * HOUR) });
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'JOB_DEADLINE', source: 'timeout' });
    expect(record.error?.message).toContain('job-1');
    expect(effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'failed') }]);
  });

  it('accepts deadline-passed only once the deadline has come', () => {
    expect(rejection(decide(running, { type: 'deadline-passed', at: at(24 * HOUR) }, settings))).toBe('not-allowed');
    const { record } = step(running, { type: 'deadline-passed', at: at(2 * SECOND + 24 * HOUR) });
    expect(record).toMatchObject({ status: 'failed', completed_at: iso(2 * SECOND + 24 * HOUR), error: { source: 'timeout' } });
  });

  it('fails a request that never reached IMS within the deadline, but leaves a live claim to its worker', () => {
    const waiting = queued();
    expect(rejection(decide(waiting, { type: 'deadline-passed', at: at(24 * HOUR - SECOND) }, settings))).toBe('not-allowed');
    const { record, effects } = step(waiting, { type: 'deadline-passed', at: at(24 * HOUR) });
    expect(record).toMatchObject({ status: 'failed', ims_job_id: null, error: { code: 'JOB_DEADLINE', source: 'timeout', message: 'the request did not reach IMS within 24 h' } });
    expect(effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'failed') }]);

    const claimed = step(queued(), { type: 'claim-submission', at: at(24 * HOUR - SECOND) }).record;
    expect(rejection(decide(claimed, { type: 'deadline-passed', at: at(24 * HOUR) }, settings))).toBe('not-allowed');
    expect(waitedPastDeadline(claimed, at(24 * HOUR), settings)).toBe(true);
    expect(waitedPastDeadline(running, at(25 * HOUR), settings)).toBe(false);
  });

  it('records success with the new image, full progress and the completion time', () => {
    const { record, effects } = step(running, { type: 'job-status', status: 'SUCCESS', imageId: 'img-77', at: at(30 * MINUTE) });
    expect(record).toMatchObject({ status: 'succeeded', image_id: 'img-77', progress: 100, completed_at: iso(30 * MINUTE), error: null });
    expect(record.webhook).toEqual({ status: 'pending', attempts: 0 });
    expect(effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'succeeded') }]);
  });

  it('keeps the source image id of an export that succeeded', () => {
    const { record } = step(inStatus('running', 'export'), { type: 'job-status', status: 'SUCCESS', at: at(30 * MINUTE) });
    expect(record.image_id).toBe(SOURCE_IMAGE);
  });

  it('fails an import whose success names no image, since the caller could not find it', () => {
    const { record } = step(running, { type: 'job-status', status: 'SUCCESS', at: at(30 * MINUTE) });
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'IMAGE_ID_MISSING', source: 'internal' });
  });

  it('keeps a failed job\'s error code and reason verbatim', () => {
    const reason = 'Failed to export image: the image file is larger than 1 TB.';
    const { record } = step(running, { type: 'job-status', status: 'FAIL', errorCode: 'IMS.0193', failReason: reason, at: at(30 * MINUTE) });
    expect(record.error).toEqual({ code: 'IMS.0193', message: reason, source: 'ims', hint: hintFor('IMS.0193', 'ims') });
    expect(record.completed_at).toBe(iso(30 * MINUTE));
  });

  it('ignores a RUNNING status, a second SUCCESS or a FAIL that arrive after the success', () => {
    const succeeded = inStatus('succeeded');
    expect(rejection(decide(succeeded, { type: 'job-status', status: 'RUNNING', progress: 50, at: at(HOUR) }, settings))).toBe('stale');
    expect(rejection(decide(succeeded, { type: 'job-status', status: 'SUCCESS', imageId: 'img-1', at: at(HOUR) }, settings))).toBe('duplicate');
    expect(rejection(decide(succeeded, { type: 'job-status', status: 'FAIL', at: at(HOUR) }, settings))).toBe('stale');
  });

  it('ignores the status of a job other than the one the request follows', () => {
    expect(rejection(decide(running, { type: 'job-status', status: 'SUCCESS', jobId: 'job-0', imageId: 'x', at: at(HOUR) }, settings))).toBe('stale');
    expect(step(running, { type: 'job-status', status: 'RUNNING', jobId: 'job-1', at: at(HOUR) }).record.status).toBe('running');
  });
});

describe('a job IMS no longer knows', () => {
  const miss = (record: StoredRequest, ms: number, evidence?: Evidence) =>
    step(record, { type: 'job-not-found', jobId: 'job-1', at: at(ms), ...(evidence ? { evidence } : {}) }).record;

  it('waits out fewer 404s than the limit by backoff, and an answer in between starts the count again', () => {
    const first = miss(inStatus('running'), 20 * MINUTE);
    expect(first).toMatchObject({ status: 'running', ims_job_id: 'job-1' });
    expect(first.internal.job_missing).toBe(1);
    const answered = step(first, { type: 'job-status', status: 'RUNNING', jobId: 'job-1', at: at(21 * MINUTE) }).record;
    expect(answered.internal.job_missing).toBe(0);
    const second = miss(miss(answered, 22 * MINUTE), 23 * MINUTE);
    expect(second).toMatchObject({ status: 'running' });
    expect(second.internal.job_missing).toBe(settings.jobNotFoundLimit - 1);
  });

  it('fails with JOB_NOT_FOUND at the limit when nothing the job made is found', () => {
    let record = inStatus('running');
    for (let i = 1; i < settings.jobNotFoundLimit; i++) record = miss(record, (20 + i) * MINUTE);
    const done = miss(record, 30 * MINUTE, { found: 'nothing', detail: 'no image of the request\'s name and origin exists' });
    expect(done).toMatchObject({ status: 'failed', error: { code: 'JOB_NOT_FOUND', source: 'ims' } });
    expect(done.error?.message).toContain('job-1');
    expect(done.error?.hint).toBeTruthy();
  });

  it.each([
    ['an active image: succeeded', { found: 'image', imageId: 'img-7', status: 'active' } as const, 'succeeded', null],
    ['a killed image: failed', { found: 'image', imageId: 'img-7', status: 'killed' } as const, 'failed', 'IMAGE_KILLED'],
    ['an image still being made: follows the image', { found: 'image', imageId: 'img-7', status: 'making' } as const, 'running', null],
  ])('settles at the limit on %s', (_name, evidence, status, code) => {
    let record = inStatus('running');
    for (let i = 1; i < settings.jobNotFoundLimit; i++) record = miss(record, (20 + i) * MINUTE);
    const done = miss(record, 30 * MINUTE, evidence);
    expect(done).toMatchObject({ status, image_id: 'img-7' });
    if (code) expect(done.error?.code).toBe(code);
    if (status === 'running') expect(done).toMatchObject({ ims_job_id: null, progress: null });
  });

  it('succeeds an export at the limit only on its object in OBS; without it, or without OBS credentials, it fails', () => {
    let record = inStatus('running', 'export');
    for (let i = 1; i < settings.jobNotFoundLimit; i++) record = miss(record, (20 + i) * MINUTE);
    expect(miss(record, 30 * MINUTE, { found: 'object' })).toMatchObject({ status: 'succeeded', image_id: SOURCE_IMAGE });
    expect(miss(record, 30 * MINUTE, { found: 'unknown', reason: 'no OBS credentials' })).toMatchObject({ status: 'failed', error: { code: 'JOB_NOT_FOUND' } });
  });
});

describe('webhooks', () => {
  it('retries a failing delivery after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then marks it failed', () => {
    let record = inStatus('succeeded');
    let t = 10 * MINUTE;
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      record = step(record, { type: 'webhook-result', ok: false, message: 'HTTP 500', at: at(t) }).record;
      expect(record.webhook.attempts).toBe(attempt);
      expect(record.status).toBe('succeeded');
      if (record.next_check_at === null) break;
      expect(record.webhook.status).toBe('pending');
      expect(record.internal.webhook_next_at).toBe(record.next_check_at);
      expect(pendingAnnouncements(record)).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'succeeded') }]);
      const next = Date.parse(record.next_check_at);
      gaps.push(next - at(t).getTime());
      t = next - T0.getTime();
    }
    expect(gaps).toEqual([5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);
    expect(record.webhook).toEqual({ status: 'failed', attempts: 8 });
    expect(record.next_check_at).toBeNull();
    expect(pendingAnnouncements(record)).toEqual([]);
    expect(rejection(decide(record, { type: 'webhook-result', ok: true, at: at(t + HOUR) }, settings))).toBe('duplicate');
  });

  it('gives up at once on a failure no retry can mend (an address the guard refuses), keeping the outcome', () => {
    const { record, effects } = step(inStatus('succeeded'), { type: 'webhook-result', ok: false, final: true, message: 'refused-address: 10.0.0.1', at: at(11 * MINUTE) });
    expect(record.webhook).toEqual({ status: 'failed', attempts: 1 });
    expect(record.next_check_at).toBeNull();
    expect(record.status).toBe('succeeded');
    expect(effects).toEqual([]);
    expect(pendingAnnouncements(record)).toEqual([]);
  });

  it('marks a delivered webhook and leaves nothing more to do', () => {
    const failed = step(inStatus('failed'), { type: 'webhook-result', ok: false, at: at(11 * MINUTE) }).record;
    const { record, effects } = step(failed, { type: 'webhook-result', ok: true, at: at(12 * MINUTE) });
    expect(record.webhook).toEqual({ status: 'delivered', attempts: 2 });
    expect(record.next_check_at).toBeNull();
    expect(record.internal.webhook_next_at).toBeNull();
    expect(record.status).toBe('failed');
    expect(effects).toEqual([]);
    expect(rejection(decide(record, { type: 'webhook-result', ok: true, at: at(13 * MINUTE) }, settings))).toBe('duplicate');
  });

  it('has no webhook and nothing due when neither the request nor its tenant names a target', () => {
    const running = inStatus('running');
    const { record, effects } = step(running, { type: 'job-status', status: 'SUCCESS', imageId: 'img-1', at: at(HOUR) }, noTarget);
    expect(record.webhook).toEqual({ status: 'none', attempts: 0 });
    expect(record.next_check_at).toBeNull();
    expect(record.internal.webhook_event_id).toBeNull();
    expect(effects).toEqual([]);
    expect(rejection(decide(record, { type: 'webhook-result', ok: true, at: at(HOUR) }, noTarget))).toBe('not-allowed');
  });

  it('uses the same event id for every delivery of one outcome, and another for the other outcome', () => {
    const succeeded = inStatus('succeeded');
    const retried = step(succeeded, { type: 'webhook-result', ok: false, at: at(11 * MINUTE) }).record;
    expect(retried.internal.webhook_event_id).toBe(succeeded.internal.webhook_event_id);
    expect(inStatus('failed').internal.webhook_event_id).not.toBe(succeeded.internal.webhook_event_id);
  });

  it('tells the chat where a request came from a slash command, once, on completion', () => {
    const chat = { response_url: 'https://hooks.slack.com/commands/T/1/x', response_uses: 0, expires_at: null };
    const running = inStatus('running', 'import', { internal: { ...queued().internal, chat } });
    const done = step(running, { type: 'job-status', status: 'FAIL', errorCode: 'IMG.0014', at: at(HOUR) });
    expect(done.effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(done.record.id, 'failed') }, { type: 'notify-chat' }]);
    const noHook = step(running, { type: 'job-status', status: 'FAIL', errorCode: 'IMG.0014', at: at(HOUR) }, noTarget);
    expect(noHook.effects).toEqual([{ type: 'notify-chat' }]);
    expect(step(done.record, { type: 'webhook-result', ok: false, at: at(HOUR + 1) }).effects).toEqual([]);
  });
});

describe('capture then export', () => {
  const capture = inStatus('running', 'capture', { params: { ...PARAMS.capture, then_export: THEN_EXPORT } });

  it('creates the export child of a successful capture and holds the capture\'s webhook until the child is recorded', () => {
    const { record, effects } = step(capture, { type: 'job-status', status: 'SUCCESS', imageId: 'img-cap', at: at(HOUR) });
    const child = {
      type: 'create-child-export',
      parentId: record.id,
      idempotencyKey: `then_export:${record.id}`,
      params: { ...THEN_EXPORT, image_id: 'img-cap' },
    };
    expect(record).toMatchObject({ status: 'succeeded', image_id: 'img-cap', child_id: null });
    expect(effects).toEqual([child]);
    expect(record.internal.webhook_event_id).toBeNull();
    expect(record.next_check_at).toBe(iso(HOUR + settings.sweepLeaseMs));
    expect(pendingAnnouncements(record)).toEqual([child]);
    expect(rejection(decide(record, { type: 'webhook-result', ok: true, at: at(HOUR) }, settings))).toBe('not-allowed');

    const done = step(record, { type: 'child-created', childId: 'req_child', at: at(HOUR + SECOND) });
    expect(done.record.child_id).toBe('req_child');
    expect(done.effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'succeeded') }]);
    expect(done.record.webhook).toEqual({ status: 'pending', attempts: 0 });
    expect(pendingChildExport(done.record)).toBeNull();
    expect(pendingAnnouncements(done.record)).toEqual(done.effects);
  });

  it('records one child only: the same child again is a duplicate, another one stale', () => {
    const parent = step(capture, { type: 'job-status', status: 'SUCCESS', imageId: 'img-cap', at: at(HOUR) }).record;
    const withChild = step(parent, { type: 'child-created', childId: 'req_child', at: at(HOUR + SECOND) }).record;
    expect(rejection(decide(withChild, { type: 'child-created', childId: 'req_child', at: at(HOUR + 2 * SECOND) }, settings))).toBe('duplicate');
    expect(rejection(decide(withChild, { type: 'child-created', childId: 'req_other', at: at(HOUR + 2 * SECOND) }, settings))).toBe('stale');
  });

  it('creates no child when the capture failed, and announces the failure at once', () => {
    const { record, effects } = step(capture, { type: 'job-status', status: 'FAIL', errorCode: 'IMG.0008', failReason: 'ECS not stopped', at: at(HOUR) });
    expect(effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'failed') }]);
    expect(pendingChildExport(record)).toBeNull();
  });

  it('creates the child of a capture whose image a re-submission found already active', () => {
    const submitting = inStatus('submitting', 'capture', { params: { ...PARAMS.capture, then_export: THEN_EXPORT } });
    const { effects } = step(submitting, { type: 'image-found', imageId: 'img-found', active: true, at: LATER });
    expect(effects).toMatchObject([{ type: 'create-child-export', params: { image_id: 'img-found' } }]);
  });

  it('still creates the child, then ends with nothing due, when no webhook target exists', () => {
    const { record, effects } = step(capture, { type: 'job-status', status: 'SUCCESS', imageId: 'img-cap', at: at(HOUR) }, noTarget);
    expect(effects.map((e) => e.type)).toEqual(['create-child-export']);
    const done = step(record, { type: 'child-created', childId: 'req_child', at: at(HOUR + SECOND) }, noTarget);
    expect(done.effects).toEqual([]);
    expect(done.record.next_check_at).toBeNull();
    expect(done.record.webhook.status).toBe('none');
  });
});

describe('cancel', () => {
  it('fails a request the IMS client refused before sending as a validation failure, counting no submission', () => {
    const claimed = step(queued(), { type: 'claim-submission', at: at(SECOND) }).record;
    const { record } = step(claimed, { type: 'ims-refused', code: 'VALIDATION', message: 'region: must be a region name such as eu-de', source: 'validation', at: at(2 * SECOND) });
    expect(record).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'VALIDATION', source: 'validation' } });
    const fromIms = step(claimed, { type: 'ims-refused', code: 'IMG.0027', message: 'no such image', at: at(2 * SECOND) }).record;
    expect(fromIms).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'IMG.0027', source: 'ims' } });
  });

  it('refuses to cancel a request queued again after a submission whose answer was lost', () => {
    const claimed = step(queued(), { type: 'claim-submission', at: at(SECOND) }).record;
    const lost = step(claimed, { type: 'ims-outcome-unknown', message: 'timed out', at: at(2 * SECOND) }).record;
    expect(lost).toMatchObject({ status: 'queued', internal: { submit_uncertain: true } });
    expect(rejection(decide(lost, { type: 'cancel', at: at(3 * SECOND) }, settings))).toBe('not-allowed');
    // One IMS turned away (503) did nothing: that request can still be cancelled.
    const refused = step(step(queued(), { type: 'claim-submission', at: at(SECOND) }).record, { type: 'ims-unavailable', message: '503', at: at(2 * SECOND) }).record;
    expect(step(refused, { type: 'cancel', at: at(3 * SECOND) }).record.status).toBe('cancelled');
  });

  it('cancels a queued request with nothing left to do', () => {
    const { record, effects } = step(queued(), { type: 'cancel', at: LATER });
    expect(record).toMatchObject({ status: 'cancelled', completed_at: iso(MINUTE), next_check_at: null, webhook: { status: 'none', attempts: 0 } });
    expect(effects).toEqual([]);
  });

  it('refuses to cancel once the request reached IMS, which the API answers with 409', () => {
    for (const status of ['submitting', 'running', 'succeeded', 'failed'] as const) {
      const decision = decide(inStatus(status), { type: 'cancel', at: LATER }, settings);
      expect(rejection(decision)).toBe('not-allowed');
      if (!decision.ok) expect(decision.detail).toContain('cannot be cancelled');
    }
  });

  it('drops the queue message of a cancelled request instead of submitting it', () => {
    expect(rejection(decide(inStatus('cancelled'), { type: 'claim-submission', at: at(HOUR) }, settings))).toBe('stale');
  });
});

describe('bookkeeping events', () => {
  it('fails a request refused at intake and announces it like any other failure', () => {
    const { record, effects } = step(queued('export'), { type: 'refused-at-intake', code: 'VALIDATION', message: 'request.image_id: must be a UUID', source: 'validation', at: LATER });
    expect(record).toMatchObject({ status: 'failed', error: { code: 'VALIDATION', source: 'validation' }, completed_at: iso(MINUTE) });
    expect(record.webhook).toEqual({ status: 'pending', attempts: 0 });
    expect(effects).toEqual([{ type: 'send-webhook', eventId: webhookEventId(record.id, 'failed') }]);
    const silent = step(queued('export'), { type: 'refused-at-intake', code: 'VALIDATION', message: 'x', source: 'validation', at: LATER }, noTarget);
    expect(silent.record).toMatchObject({ status: 'failed', next_check_at: null, webhook: { status: 'none', attempts: 0 } });
    expect(silent.effects).toEqual([]);
  });

  it('refuses at intake only what has not reached IMS', () => {
    const event: LifecycleEvent = { type: 'refused-at-intake', code: 'VALIDATION', message: 'x', source: 'validation', at: LATER };
    expect(rejection(decide(inStatus('running'), event, settings))).toBe('stale');
    expect(rejection(decide(queued('import', { attempts: 1 }), event, settings))).toBe('not-allowed');
  });

  it('counts a chat response_url use, and nothing when none was used', () => {
    const withChat = queued('import', { status: 'succeeded', internal: { ...queued().internal, chat: { response_url: 'https://hooks.slack.com/commands/T/1/2', response_uses: 1, expires_at: iso(HOUR) } } });
    const { record } = step(withChat, { type: 'chat-notified', usedResponseUrl: true, at: LATER });
    expect(record).toEqual({ ...withChat, internal: { ...withChat.internal, chat: { ...withChat.internal.chat, response_uses: 2 } } });
    expect(rejection(decide(withChat, { type: 'chat-notified', usedResponseUrl: false, at: LATER }, settings))).toBe('not-allowed');
    expect(rejection(decide(queued(), { type: 'chat-notified', usedResponseUrl: true, at: LATER }, settings))).toBe('not-allowed');
  });
});
