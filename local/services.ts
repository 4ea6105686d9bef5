// Embedded stand-ins for DynamoDB (dynalite) and SQS (fauxqs), in-process, for `npm start` and
// integration tests: the same table definition and queue wiring (DLQ redrive) as the cloud.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { dynamoDocumentClient, sqsClient } from '../lib/aws.js';
import { tableDefinition } from '../lib/store/table.js';
import { repairIndexes, type IndexRepair } from './index-repair.js';

export interface LocalServicesOptions {
  dynamoPort?: number;
  sqsPort?: number;
  /** Keeps the DynamoDB data on disk here (created if missing); in memory when unset. */
  dataDir?: string;
  tableName?: string;
  queueName?: string;
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  /** AWS region the local clients claim; fauxqs builds queue ARNs from it. */
  region?: string;
}

export interface LocalServices {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  region: string;
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
  /** The settings of lib/config.ts that point the handlers at these stand-ins. */
  settings: Record<'AWS_REGION' | 'TABLE_NAME' | 'INTAKE_QUEUE_URL' | 'DYNAMODB_ENDPOINT' | 'SQS_ENDPOINT', string>;
  /** What the check of a kept table's indexes mended (index-repair.ts); null in memory, or when the last process stopped cleanly. */
  indexRepair: IndexRepair | null;
  stop(): Promise<void>;
}

type DynaliteOptions = { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; path?: string };
// dynalite is CommonJS without type declarations.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: DynaliteOptions) => Server;

const LOOPBACK = '127.0.0.1';

export async function startLocalServices({
  dynamoPort = 0,
  sqsPort = 0,
  dataDir,
  tableName = 'ims-transfer-requests',
  queueName = 'ims-transfer-intake',
  visibilityTimeoutSeconds = 30,
  maxReceiveCount = 5,
  region = 'eu-central-1',
}: LocalServicesOptions = {}): Promise<LocalServices> {
  const dynamo = await startDynalite(dynamoPort, dataDir);
  let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  try {
    fauxqs = await startFauxqs({ port: sqsPort, logger: false }).catch((err: unknown) => {
      throw portError(err, 'SQS (fauxqs)', sqsPort);
    });
  } catch (err) {
    await closeDynalite(dynamo.server);
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= Promise.all([fauxqs.stop(), closeDynalite(dynamo.server).then(() => (dataDir ? writeFile(join(dataDir, CLEAN_STOP_FILE), new Date().toISOString()) : undefined))]).then(() => undefined));

  try {
    const dynamoEndpoint = `http://${LOOPBACK}:${dynamo.port}`;
    const sqsEndpoint = `http://${LOOPBACK}:${fauxqs.port}`;
    await ensureTable(dynamoEndpoint, region, tableName);
    // A table kept on disk by a process that did not stop cleanly (killed mid-write?): its indexes are mended before anyone reads them.
    const indexRepair = dataDir && !(await stoppedCleanly(dataDir)) ? await repairIndexes(dynamoDocumentClient({ endpoint: dynamoEndpoint, region }), tableName) : null;
    const { queueUrl, dlqUrl } = await createQueues(sqsEndpoint, region, queueName, visibilityTimeoutSeconds, maxReceiveCount);
    const settings = { AWS_REGION: region, TABLE_NAME: tableName, INTAKE_QUEUE_URL: queueUrl, DYNAMODB_ENDPOINT: dynamoEndpoint, SQS_ENDPOINT: sqsEndpoint };
    return { dynamoEndpoint, sqsEndpoint, region, tableName, queueUrl, dlqUrl, settings, indexRepair, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Written beside dynalite's files once it closed them: the next start need not check the indexes. */
const CLEAN_STOP_FILE = 'ims-transfer-clean-stop';

/** Whether the last process on `dataDir` stopped cleanly; the mark is taken away, so that a crash of this one is noticed next time. */
async function stoppedCleanly(dataDir: string): Promise<boolean> {
  try {
    await rm(join(dataDir, CLEAN_STOP_FILE));
    return true;
  } catch {
    return false;
  }
}

async function startDynalite(port: number, dataDir: string | undefined): Promise<{ server: Server; port: number }> {
  // Probe first: once dynalite has opened an on-disk store, a failed listen would leave its lock held.
  if (port !== 0) await assertPortFree(port, 'DynamoDB (dynalite)');
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dataDir ? { path: dataDir } : {}) });
  try {
    await listen(server, port);
  } catch (err) {
    await closeDynalite(server);
    throw portError(err, 'DynamoDB (dynalite)', port);
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite did not report its port');
  return { server, port: address.port };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function assertPortFree(port: number, label: string): Promise<void> {
  const probe = createServer();
  try {
    await listen(probe, port);
  } catch (err) {
    throw portError(err, label, port);
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

function closeDynalite(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // dynalite's close also closes its LevelDB; ignore "not running" when listen never succeeded.
    server.close(() => resolve());
    // SDK clients keep connections alive; without this, close waits for them to idle out.
    server.closeAllConnections();
  });
}

function portError(err: unknown, label: string, port: number): Error {
  if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return new Error(`${label} cannot start: port ${port} is already in use`, { cause: err });
  }
  return err instanceof Error ? err : new Error(`${label} failed to start on port ${port}`);
}

async function ensureTable(endpoint: string, region: string, tableName: string): Promise<void> {
  const client = dynamoDocumentClient({ endpoint, region });
  const exists = await client.send(new DescribeTableCommand({ TableName: tableName })).then(
    () => true,
    (err: unknown) => {
      if (err instanceof Error && err.name === 'ResourceNotFoundException') return false;
      throw err;
    },
  );
  if (exists) return;
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  // createTableMs: 0 makes the table ACTIVE on the next tick; wait for it rather than assume.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`local table ${tableName} did not become ACTIVE`);
}

async function createQueues(
  endpoint: string,
  region: string,
  queueName: string,
  visibilityTimeoutSeconds: number,
  maxReceiveCount: number,
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const client = sqsClient({ endpoint, region });
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${queueName}-dlq` }));
  if (!dlq.QueueUrl) throw new Error('fauxqs created the DLQ without a URL');
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const dlqArn = Attributes?.QueueArn;
  if (!dlqArn) throw new Error('fauxqs reported no ARN for the DLQ');
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: queueName,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(maxReceiveCount) }),
      },
    }),
  );
  if (!queue.QueueUrl) throw new Error('fauxqs created the intake queue without a URL');
  return { queueUrl: queue.QueueUrl, dlqUrl: dlq.QueueUrl };
}
