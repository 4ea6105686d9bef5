// Request records for tests: a valid stored request with the fields a test cares about replaced.
import type { StoredRequest } from '../../lib/requests/record.js';

/** A valid stored request (a queued export) with the given fields replaced. */
export function storedRequestFixture(overrides: Partial<StoredRequest> & { id: string }): StoredRequest {
  const now = '2026-01-01T00:00:00.000Z';
  return {
    kind: 'export',
    status: 'queued',
    tenant: 'acme',
    client_ref: null,
    params: { image_id: '6b5d3ef5-1c4e-4d2b-9a0e-3c1f2a4b5c6d', bucket_url: 'ims-image:centos7.qcow2', file_format: 'qcow2' },
    region: 'eu-de',
    project_id: 'project-1',
    ims_job_id: null,
    image_id: null,
    progress: null,
    error: null,
    last_error: null,
    attempts: 0,
    parent_id: null,
    child_id: null,
    created_at: now,
    submitted_at: null,
    updated_at: now,
    completed_at: null,
    next_check_at: null,
    webhook: { status: 'none', attempts: 0 },
    internal: {
      version: 0,
      body_hash: 'hash',
      callback_url: null,
      lease_until: null,
      submit_uncertain: false,
      webhook_event_id: null,
      webhook_next_at: null,
      chat: null,
    },
    ...overrides,
  };
}

type Chat = NonNullable<StoredRequest['internal']['chat']>;

/**
 * An export that succeeded in 9.5 minutes and came from a slash command (its response_url unused,
 * valid until 10:30), with the given fields and chat state replaced.
 */
export function finishedExportFixture(overrides: Partial<StoredRequest> = {}, chat: Partial<Chat> = {}): StoredRequest {
  const base = storedRequestFixture({
    id: 'req_01J9ZC5K7Q3T8V6W2X4Y0A1B2C',
    status: 'succeeded',
    project_id: '0123456789abcdef0123456789abcdef',
    ims_job_id: 'edc89b490d7d4392898e19b2deb34797',
    image_id: '6b5d3ef5-1c4e-4d2b-9a0e-3c1f2a4b5c6d',
    progress: 100,
    attempts: 1,
    created_at: '2026-03-01T10:00:00.000Z',
    submitted_at: '2026-03-01T10:00:02.000Z',
    updated_at: '2026-03-01T10:09:30.000Z',
    completed_at: '2026-03-01T10:09:30.000Z',
  });
  return {
    ...base,
    internal: {
      ...base.internal,
      version: 3,
      chat: { response_url: 'https://hooks.slack.com/commands/T1/2/3', response_uses: 0, expires_at: '2026-03-01T10:30:00.000Z', ...chat },
    },
    ...overrides,
  };
}
