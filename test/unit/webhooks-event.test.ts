import { describe, expect, it } from 'vitest';
import { publicRecord, type RequestRecord } from '../../lib/requests/record.js';
import { webhookEventId } from '../../lib/requests/ids.js';
import { webhookEvent } from '../../lib/webhooks/event.js';
import { webhookEventPayload } from '../../lib/webhooks/event-schema.js';
import { storedRequestFixture } from '../helpers/records.js';

/** A succeeded export, as callers see it. */
function finishedRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    ...publicRecord(
      storedRequestFixture({
        id: 'req_01JTEST',
        status: 'succeeded',
        client_ref: 'ticket-42',
        params: { image_id: '3f9d0c55-5a3b-4a0e-9c1b-2f3c4d5e6f70', bucket_url: 'ims-image:centos7.qcow2', file_format: 'qcow2' },
        project_id: 'p1',
        ims_job_id: 'edc89b490d7d4392898e19b2deb34797',
        progress: 100,
        attempts: 1,
        created_at: '2026-11-23T09:50:00Z',
        submitted_at: '2026-11-23T09:50:01Z',
        updated_at: '2026-11-23T10:00:00Z',
        completed_at: '2026-11-23T10:00:00Z',
        webhook: { status: 'pending', attempts: 0 },
      }),
    ),
    ...overrides,
  };
}

const at = new Date('2026-11-23T10:00:00.000Z');

describe('webhookEvent', () => {
  it.each([
    ['export', 'succeeded', 'image.export.succeeded'],
    ['export', 'failed', 'image.export.failed'],
    ['import', 'succeeded', 'image.import.succeeded'],
    ['import', 'failed', 'image.import.failed'],
    ['capture', 'succeeded', 'image.capture.succeeded'],
    ['capture', 'failed', 'image.capture.failed'],
  ] as const)('names a finished %s that %s %s', (kind, status, type) => {
    expect(webhookEvent(finishedRecord({ kind, status }), at).type).toBe(type);
  });

  it('carries the record and the outcome time in the documented shape', () => {
    const record = finishedRecord({
      status: 'failed',
      error: { code: 'IMG.0070', message: 'The OBS object already exists.', source: 'ims' },
    });
    const event = webhookEvent(record, at);
    expect(event.timestamp).toBe('2026-11-23T10:00:00Z');
    const { webhook: _, ...rest } = record;
    expect(event.data).toEqual({ ...rest, next_check_at: null });
    expect(webhookEventPayload.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('sends data that is true at delivery: no pending webhook state and no next check', () => {
    const event = webhookEvent(finishedRecord({ next_check_at: '2026-11-23T10:00:05Z' }), at);
    expect(event.data).not.toHaveProperty('webhook');
    expect(event.data.next_check_at).toBeNull();
  });

  it('sends the same body on every retry, whatever the webhook state and update time are by then', () => {
    const first = finishedRecord({ next_check_at: '2026-11-23T10:00:05Z' });
    const third = finishedRecord({
      updated_at: '2026-11-23T10:35:00Z',
      next_check_at: '2026-11-23T12:35:00Z',
      webhook: { status: 'pending', attempts: 2 },
    });
    expect(JSON.stringify(webhookEvent(third, at))).toBe(JSON.stringify(webhookEvent(first, at)));
    expect(webhookEvent(third, at).data.updated_at).toBe('2026-11-23T10:00:00Z');
  });

  it.each(['queued', 'running', 'cancelled'] as const)('refuses to build an event for a %s record', (status) => {
    expect(() => webhookEvent(finishedRecord({ status }), at)).toThrow(/no completion event/);
  });
});

describe('webhookEventId', () => {
  it('is the same every time for one outcome of one request', () => {
    expect(webhookEventId('req_1', 'succeeded')).toBe(webhookEventId('req_1', 'succeeded'));
    expect(webhookEventId('req_1', 'succeeded')).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  it('differs between requests and between outcomes', () => {
    const ids = new Set([
      webhookEventId('req_1', 'succeeded'),
      webhookEventId('req_1', 'failed'),
      webhookEventId('req_2', 'succeeded'),
    ]);
    expect(ids.size).toBe(3);
  });
});
