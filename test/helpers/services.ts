// Integration-test wiring: local services on random ports plus the store and queue adapters over them.
import { createServer } from 'node:net';
import { dynamoDocumentClient, sqsClient } from '../../lib/aws.js';
import { createIntakeQueue } from '../../lib/queue/intake.js';
import type { StoredRequest } from '../../lib/requests/record.js';
import { createRequestStore } from '../../lib/store/requests.js';
import { startLocalServices, type LocalServicesOptions } from '../../local/services.js';

export async function startTestServices(options: LocalServicesOptions = {}) {
  const services = await startLocalServices(options);
  const dynamo = dynamoDocumentClient({ endpoint: services.dynamoEndpoint, region: services.region });
  const sqs = sqsClient({ endpoint: services.sqsEndpoint, region: services.region });
  return {
    services,
    dynamo,
    sqs,
    store: createRequestStore({ client: dynamo, tableName: services.tableName }),
    queue: createIntakeQueue({ client: sqs, queueUrl: services.queueUrl }),
  };
}

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

/** Holds a random free port on `host` so a test can ask another server to start on it. */
export async function occupyPort(host: string): Promise<{ port: number; release(): Promise<void> }> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, host, resolve));
  const address = blocker.address();
  if (address === null || typeof address === 'string') throw new Error('port blocker reported no port');
  return { port: address.port, release: () => new Promise<void>((resolve) => blocker.close(() => resolve())) };
}
