// Properties that hold for any input, checked with fast-check on random inputs: the lifecycle core
// over random event sequences, the body hash, the list cursor and the slash-command parser.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../lib/chatops/commands.js';
import { canonicalHash } from '../../lib/requests/ids.js';
import { decide, lifecycleTimings, type Evidence, type LifecycleEvent, type LifecycleSettings } from '../../lib/requests/lifecycle.js';
import { requestRecord, type RequestStatus, type StoredRequest } from '../../lib/requests/record.js';
import { listCursor, listStartKey, requestPk, tenantPk } from '../../lib/store/table.js';
import { storedRequestFixture } from '../helpers/records.js';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const STAGE: Record<RequestStatus, number> = { queued: 0, submitting: 1, running: 2, succeeded: 3, failed: 3, cancelled: 3 };
const TERMINAL = new Set<RequestStatus>(['succeeded', 'failed', 'cancelled']);
const IMAGE = '1b9c7e5a-44f2-4a41-9d0e-0b6a2b1f6c11';

/** An event without its time; the sequence gives each one a later time than the last. */
type Untimed = LifecycleEvent extends infer E ? (E extends LifecycleEvent ? Omit<E, 'at'> : never) : never;

const jobIds = fc.constantFrom('job-1', 'job-2');
const evidence: fc.Arbitrary<Evidence> = fc.oneof(
  fc.constant({ found: 'object' as const }),
  fc.record({ imageId: fc.constantFrom('img-1', 'img-2'), status: fc.constantFrom('active' as const, 'making' as const, 'killed' as const) }).map((e) => ({ found: 'image' as const, ...e })),
  fc.constant({ found: 'nothing' as const, detail: 'not there' }),
  fc.constant({ found: 'unknown' as const, reason: 'no OBS credentials' }),
);
const event: fc.Arbitrary<Untimed> = fc.oneof(
  fc.constant({ type: 'claim-submission' as const }),
  fc.constant({ type: 'submission-sending' as const }),
  jobIds.map((jobId) => ({ type: 'ims-accepted' as const, jobId })),
  fc.record({ code: fc.constantFrom(null, 'IMG.0070', 'IMG.0027'), source: fc.constantFrom('ims' as const, 'validation' as const) }).map((e) => ({ type: 'ims-refused' as const, message: 'refused', ...e })),
  fc.record({ retryAfterSeconds: fc.option(fc.integer({ min: 0, max: 2000 })) }).map((e) => ({ type: 'ims-unavailable' as const, message: '503', ...e })),
  fc.constant({ type: 'ims-outcome-unknown' as const, message: 'timed out' }),
  fc.record({ imageId: fc.constantFrom('img-1', 'img-2'), active: fc.boolean() }).map((e) => ({ type: 'image-found' as const, ...e })),
  fc
    .record({
      status: fc.constantFrom('INIT' as const, 'RUNNING' as const, 'SUCCESS' as const, 'FAIL' as const),
      jobId: fc.option(jobIds, { nil: undefined }),
      progress: fc.option(fc.double({ min: -10, max: 200, noNaN: true })),
      imageId: fc.option(fc.constantFrom('img-1', 'img-2')),
    })
    .map((e) => ({ type: 'job-status' as const, ...e })),
  fc.record({ imageId: fc.constantFrom('img-1', 'img-2'), status: fc.constantFrom('killed', 'deleted') }).map((e) => ({ type: 'image-killed' as const, ...e })),
  evidence.map((e) => ({ type: 'evidence-checked' as const, evidence: e })),
  fc.record({ jobId: jobIds, evidence: fc.option(evidence, { nil: undefined }) }).map(({ jobId, evidence: e }) => ({ type: 'job-not-found' as const, jobId, ...(e ? { evidence: e } : {}) })),
  fc.constant({ type: 'deadline-passed' as const }),
  fc.boolean().map((ok) => ({ type: 'webhook-result' as const, ok })),
  fc.constant({ type: 'cancel' as const }),
  fc.constantFrom('req_child1', 'req_child2').map((childId) => ({ type: 'child-created' as const, childId })),
  fc.constant({ type: 'sweep-hold' as const }),
  fc.constant({ type: 'refused-at-intake' as const, code: 'VALIDATION', message: 'bad', source: 'validation' as const }),
  fc.boolean().map((usedResponseUrl) => ({ type: 'chat-notified' as const, usedResponseUrl })),
);

const start: fc.Arbitrary<StoredRequest> = fc
  .record({ kind: fc.constantFrom('export' as const, 'import' as const, 'capture' as const), callback: fc.boolean(), chat: fc.boolean(), thenExport: fc.boolean() })
  .map(({ kind, callback, chat, thenExport }) => {
    const params: Record<string, unknown> =
      kind === 'export'
        ? { image_id: IMAGE, bucket_url: 'b-1:x.qcow2', file_format: 'qcow2' }
        : kind === 'import'
          ? { name: 'n', image_url: 'b-1:x.qcow2', min_disk: 40 }
          : { name: 'n', instance_id: IMAGE, ...(thenExport ? { then_export: { bucket_url: 'b-1:y.vmdk', file_format: 'vmdk' } } : {}) };
    const base = storedRequestFixture({ id: 'req_prop', kind, params, created_at: new Date(T0).toISOString(), updated_at: new Date(T0).toISOString(), next_check_at: new Date(T0 + 60_000).toISOString() });
    return {
      ...base,
      internal: {
        ...base.internal,
        version: 3,
        callback_url: callback ? 'https://hooks.example.com/ims' : null,
        chat: chat ? { response_url: 'https://hooks.slack.com/commands/T/1/2', response_uses: 0, expires_at: new Date(T0 + 1_800_000).toISOString() } : null,
      },
    };
  });

/** Steps between events: mostly seconds to minutes, sometimes past the 24 h deadline. */
const gap = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 600_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 * 3_600_000 }) });

const timings = lifecycleTimings.parse({});

/** Runs the events through decide from `initial`, each `wait` ms after the last; `visit` sees every decision. */
function walk(initial: StoredRequest, steps: [Untimed, number][], visit: (record: StoredRequest, event: LifecycleEvent, decision: ReturnType<typeof decide>, settings: LifecycleSettings) => void): void {
  let record = initial;
  let now = T0;
  for (const [untimed, wait] of steps) {
    now += wait;
    const e = { ...untimed, at: new Date(now) } as LifecycleEvent;
    const settings: LifecycleSettings = { ...timings, hasWebhookTarget: record.internal.callback_url !== null };
    const before = structuredClone(record);
    const decision = decide(record, e, settings);
    // decide is pure: the record it was given is left as it was.
    expect(record).toEqual(before);
    visit(record, e, decision, settings);
    if (decision.ok) record = decision.record;
  }
}

describe('decide, on any sequence of events', () => {
  it('never moves a record backwards, keeps a finished one finished, and leaves versions to the store', () => {
    fc.assert(
      fc.property(start, fc.array(fc.tuple(event, gap), { maxLength: 30 }), (initial, steps) => {
        walk(initial, steps, (record, _event, decision) => {
          if (!decision.ok) {
            expect(decision.status).toBe(record.status);
            return;
          }
          const next = decision.record;
          // Only a submission that never took goes back a step: submitting → queued, to be submitted again.
          const retried = record.status === 'submitting' && next.status === 'queued';
          if (!retried) expect(STAGE[next.status]).toBeGreaterThanOrEqual(STAGE[record.status]);
          if (TERMINAL.has(record.status)) expect(next.status).toBe(record.status);
          expect(next.internal.version).toBe(record.internal.version);
          expect(next.attempts).toBeGreaterThanOrEqual(record.attempts);
          expect(next.webhook.attempts).toBeGreaterThanOrEqual(TERMINAL.has(record.status) ? record.webhook.attempts : 0);
          if (record.progress !== null && next.progress !== null) expect(next.progress).toBeGreaterThanOrEqual(record.progress);
          if (next.progress !== null) expect(next.progress).toBeLessThanOrEqual(100);
          if (TERMINAL.has(next.status)) expect(next.completed_at).not.toBeNull();
          if (next.status === 'failed') expect(next.error).not.toBeNull();
          // Whatever made it fail, the failure says what to do about it.
          if (next.status === 'failed' && next !== record && record.status !== 'failed') expect(next.error?.hint).toMatch(/\S/);
          if (next.webhook.status === 'none' || next.webhook.status === 'delivered' || next.webhook.status === 'failed') {
            expect(decision.effects.some((x) => x.type === 'send-webhook')).toBe(false);
          }
          expect(() => requestRecord.parse(next)).not.toThrow();
        });
      }),
      { numRuns: 400 },
    );
  });

  it('succeeds only on evidence of the result, and never posts an export again once its answer may have been lost', () => {
    fc.assert(
      fc.property(start, fc.array(fc.tuple(event, gap), { maxLength: 30 }), (initial, steps) => {
        let mayHaveReachedIms = false;
        walk(initial, steps, (record, event, decision) => {
          if (!decision.ok) return;
          const next = decision.record;
          if (record.status !== 'succeeded' && next.status === 'succeeded') {
            const found =
              (event.type === 'job-status' && event.status === 'SUCCESS') ||
              (event.type === 'image-found' && event.active) ||
              ((event.type === 'evidence-checked' || event.type === 'job-not-found') &&
                (event.evidence?.found === 'object' || (event.evidence?.found === 'image' && event.evidence.status === 'active')));
            expect(found).toBe(true);
            if (next.kind === 'export' && event.type !== 'job-status') expect(event.type === 'evidence-checked' || event.type === 'job-not-found').toBe(true);
          }
          if (record.kind === 'export' && mayHaveReachedIms) expect(decision.effects.some((x) => x.type === 'submit-to-ims')).toBe(false);
          // An export's POST whose answer was lost, or a claim that lapsed after its POST may have gone out.
          if (record.kind === 'export' && (event.type === 'ims-outcome-unknown' || event.type === 'submission-sending')) {
            mayHaveReachedIms = true;
          }
          if (event.type === 'image-killed') expect(next.status).toBe('failed');
        });
      }),
      { numRuns: 400 },
    );
  });

  it('never announces an outcome twice when the event that reached it comes again', () => {
    fc.assert(
      fc.property(start, fc.array(fc.tuple(event, gap), { maxLength: 20 }), (initial, steps) => {
        walk(initial, steps, (record, event, first, settings) => {
          if (!first.ok) return;
          const again = decide(first.record, event, settings);
          // A repeat of the event that reached a terminal outcome never announces it a second time.
          if (again.ok && TERMINAL.has(first.record.status) && first.record.status !== record.status) {
            expect(again.effects.filter((x) => x.type === 'send-webhook' || x.type === 'notify-chat')).toEqual([]);
          }
        });
      }),
      { numRuns: 200 },
    );
  });
});

/** The same JSON value with every object's keys in another order. */
function reordered(value: unknown, order: number[]): unknown {
  if (Array.isArray(value)) return value.map((v) => reordered(v, order));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const keyed = entries.map((entry, i) => ({ entry, rank: order[i % Math.max(1, order.length)] ?? i }));
    keyed.sort((a, b) => a.rank - b.rank);
    return Object.fromEntries(keyed.map(({ entry: [k, v] }) => [k, reordered(v, order)]));
  }
  return value;
}

describe('canonicalHash', () => {
  it('ignores the order of keys at every depth', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.integer(), { minLength: 1 }), (value, order) => {
        expect(canonicalHash(reordered(value, order))).toBe(canonicalHash(value));
      }),
    );
  });

  it('tells apart bodies that differ in a value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.jsonValue(), fc.jsonValue(), (body, key, a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b) && !(Object.is(a, -0) || Object.is(b, -0)));
        expect(canonicalHash({ ...body, [key]: a })).not.toBe(canonicalHash({ ...body, [key]: b }));
      }),
    );
  });
});

describe('the list cursor', () => {
  const tenant = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
  const id = fc.stringMatching(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
  const created = fc.date({ min: new Date('2020-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());

  it('leads back to the index item it was made from, for its own tenant only', () => {
    fc.assert(
      fc.property(tenant, tenant, id, created, (owner, other, requestId, at) => {
        const key = { pk: requestPk(requestId), sk: 'REQ', tenant_pk: tenantPk(owner), tenant_sk: `${at}#${requestId}` };
        const cursor = listCursor(owner, key);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(listStartKey(cursor, owner)).toEqual(key);
        if (other !== owner) expect(listStartKey(cursor, other)).toBeNull();
      }),
    );
  });

  it('refuses anything it did not make, without throwing', () => {
    fc.assert(
      fc.property(fc.string(), tenant, (garbage, owner) => {
        const key = listStartKey(garbage, owner);
        if (key !== null) expect(listCursor(owner, key)).toBe(garbage.replace(/=+$/, ''));
      }),
    );
  });
});

describe('parseCommand', () => {
  const words = fc.array(fc.oneof(fc.constantFrom('export', 'import', 'capture', 'status', 'list', 'help', 'quick', 'qcow2', '<a|b>', '&amp;', IMAGE, 'b-1:x.qcow2', '40'), fc.string()), { maxLength: 8 });

  it('answers every text with a command or an error, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), words.map((w) => w.join(' '))), (text) => {
        const parsed = parseCommand(text);
        expect(typeof parsed.ok).toBe('boolean');
        if (!parsed.ok) expect(['usage', 'invalid']).toContain(parsed.error.kind);
      }),
      { numRuns: 1000 },
    );
  });
});
