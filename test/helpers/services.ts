// Integration-test wiring: local services on random ports plus the store and queue adapters over them.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createServer } from 'node:net';
import { dynamoDocumentClient, sqsClient } from '../../lib/aws.js';
import { createIntakeQueue } from '../../lib/queue/intake.js';
import { createDueIndex } from '../../lib/store/due-index.js';
import { createRequestListing } from '../../lib/store/request-list.js';
import { createRequestStore } from '../../lib/store/requests.js';
import { startLocalServices, type LocalServicesOptions } from '../../local/services.js';

/** The store as every function together reads it: records, a tenant's listing, the due index. */
export function wholeRequestStore(table: { client: DynamoDBDocumentClient; tableName: string }) {
  return { ...createRequestStore(table), ...createRequestListing(table), ...createDueIndex(table) };
}

export async function startTestServices(options: LocalServicesOptions = {}) {
  const services = await startLocalServices(options);
  const dynamo = dynamoDocumentClient({ endpoint: services.dynamoEndpoint, region: services.region });
  const sqs = sqsClient({ endpoint: services.sqsEndpoint, region: services.region });
  return {
    services,
    dynamo,
    sqs,
    store: wholeRequestStore({ client: dynamo, tableName: services.tableName }),
    queue: createIntakeQueue({ client: sqs, queueUrl: services.queueUrl }),
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
