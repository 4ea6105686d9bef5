import { describe, expect, it } from 'vitest';
import { decide, lifecycleTimings, type LifecycleSettings } from '../../lib/requests/lifecycle.js';
import type { StoredRequest } from '../../lib/requests/record.js';
import { storedRequestFixture } from '../helpers/records.js';

const MINUTE = 60_000;
const settings: LifecycleSettings = { ...lifecycleTimings.parse({}), sweepLeaseMs: MINUTE, hasWebhookTarget: true };
const created = '2026-05-01T12:00:00.000Z';
const after = (ms: number) => new Date(Date.parse(created) + ms);

/** How long a sweep that takes `record` at `at` holds it: its next check minus now. */
function holdMs(record: StoredRequest, at: Date): number {
  const decision = decide({ ...record, next_check_at: at.toISOString() }, { type: 'sweep-hold', at }, settings);
  if (!decision.ok) throw new Error(`not taken: ${decision.detail}`);
  return Date.parse(decision.record.next_check_at ?? '') - at.getTime();
}

describe('how long a sweep holds a record it took', () => {
  const queued = storedRequestFixture({ id: 'req_q', status: 'queued', updated_at: created });

  it('re-enqueues a waiting request at intervals that grow with its wait, up to 15 minutes', () => {
    expect(holdMs(queued, after(MINUTE))).toBe(MINUTE);
    expect(holdMs(queued, after(2 * MINUTE))).toBe(2 * MINUTE);
    expect(holdMs(queued, after(8 * MINUTE))).toBe(8 * MINUTE);
    expect(holdMs(queued, after(3 * 60 * MINUTE))).toBe(settings.maxRequeueIntervalMs);
    expect(settings.maxRequeueIntervalMs).toBe(15 * MINUTE);
  });

  it('so a request stuck behind a two-hour backlog gets about a dozen copies, not 120', () => {
    let now = Date.parse(created) + MINUTE;
    let copies = 0;
    while (now < Date.parse(created) + 120 * MINUTE) {
      copies++;
      now += holdMs(queued, new Date(now));
    }
    expect(copies).toBeLessThanOrEqual(12);
    expect(copies).toBeGreaterThan(5);
  });

  it('holds anything else, and a request whose times are unreadable, for the sweep lease', () => {
    for (const status of ['submitting', 'running', 'succeeded'] as const) {
      expect(holdMs({ ...queued, status }, after(60 * MINUTE))).toBe(MINUTE);
    }
    expect(holdMs({ ...queued, updated_at: 'garbled' }, after(60 * MINUTE))).toBe(MINUTE);
  });

  it('takes a record from its due time on, never one not yet due, never due or unreadable', () => {
    const at = after(10 * MINUTE);
    const take = (next_check_at: string | null) => decide({ ...queued, next_check_at }, { type: 'sweep-hold', at }, settings);
    expect(take(at.toISOString()).ok).toBe(true);
    expect(take(new Date(at.getTime() - 1).toISOString()).ok).toBe(true);
    expect(take(new Date(at.getTime() + 1).toISOString())).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(take(null)).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(take('not a time')).toMatchObject({ ok: false, reason: 'duplicate' });
  });

  it('changes only the next check: the status, updated_at and a lapsed submission lease stay as they were', () => {
    const submitting = { ...queued, status: 'submitting' as const, internal: { ...queued.internal, lease_until: after(MINUTE).toISOString() } };
    const at = after(5 * MINUTE);
    const decision = decide({ ...submitting, next_check_at: at.toISOString() }, { type: 'sweep-hold', at }, settings);
    if (!decision.ok) throw new Error(decision.detail);
    expect(decision.record).toEqual({ ...submitting, next_check_at: after(6 * MINUTE).toISOString() });
    expect(decision.effects).toEqual([]);
  });
});
