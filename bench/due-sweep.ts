// Bench 1: the poller's due sweep (store.due, a Query per shard of the sparse due index) against a
// full-table Scan with a filter, on tables that grow while the number of due records stays at 20.
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../lib/aws.js';
import { newRequestId } from '../lib/requests/ids.js';
import { createDueIndex } from '../lib/store/due-index.js';
import { createRequestStore, type RequestStore } from '../lib/store/requests.js';
import { startLocalServices } from '../local/services.js';
import { storedRequestFixture } from '../test/helpers/records.js';
import { SIZES, log, runMain } from './common.js';
import { fixed, median, pool, repeat } from './measure.js';

export interface DueSweepRow {
  finished: number;
  due: number;
  sweepMs: number;
  scanMs: number;
  sweepItemsRead: number;
  scanItemsRead: number;
  runs: { sweep: number; scan: number };
}

const DUE_RECORDS = 20;
const NOW = new Date('2026-11-23T12:00:00.000Z');

/** DynamoDB items read (ScannedCount) by every Query and Scan the client sends while `counting` is on. */
function countItemsRead(client: DynamoDBDocumentClient) {
  const counter = { counting: false, itemsRead: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const scanned = (out.output as { ScannedCount?: number }).ScannedCount;
      if (counter.counting && typeof scanned === 'number') counter.itemsRead += scanned;
      return out;
    },
    { step: 'initialize', name: 'benchItemsRead' },
  );
  return counter;
}

async function fill(store: RequestStore, from: number, to: number, make: (i: number) => Parameters<RequestStore['create']>[0]): Promise<void> {
  await pool(to - from, 16, async (offset) => {
    const outcome = await store.create(make(from + offset));
    if (!('created' in outcome) || !outcome.created) throw new Error('bench fill: a record was not created');
  });
}

function finishedRecord(i: number) {
  const created = new Date(NOW.getTime() - 86_400_000 - i * 1000).toISOString();
  return storedRequestFixture({
    id: newRequestId(new Date(created)),
    status: 'succeeded',
    created_at: created,
    updated_at: created,
    submitted_at: created,
    completed_at: created,
    attempts: 1,
    ims_job_id: `job${String(i).padStart(29, '0')}`,
    progress: 100,
    next_check_at: null,
  });
}

function dueRecord(i: number) {
  const created = new Date(NOW.getTime() - 3_600_000 + i * 1000).toISOString();
  return storedRequestFixture({
    id: newRequestId(new Date(created)),
    status: 'running',
    created_at: created,
    updated_at: created,
    submitted_at: created,
    attempts: 1,
    ims_job_id: `due${String(i).padStart(29, '0')}`,
    next_check_at: new Date(NOW.getTime() - 60_000 + i).toISOString(),
  });
}

export async function benchDueSweep(sizes: readonly number[], log: (line: string) => void): Promise<DueSweepRow[]> {
  const services = await startLocalServices({ tableName: 'bench-due-sweep' });
  try {
    const client = dynamoDocumentClient({ endpoint: services.dynamoEndpoint, region: services.region });
    const counter = countItemsRead(client);
    const store = { ...createRequestStore({ client, tableName: services.tableName }), ...createDueIndex({ client, tableName: services.tableName }) };
    await fill(store, 0, DUE_RECORDS, dueRecord);

    const sweep = async () => {
      const { records, corrupt } = await store.due(NOW, 100);
      if (records.length !== DUE_RECORDS || corrupt.length > 0) throw new Error(`due sweep found ${records.length} records, expected ${DUE_RECORDS}`);
    };
    const scan = async () => {
      let found = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: services.tableName,
            FilterExpression: 'next_check_at <= :now',
            ExpressionAttributeValues: { ':now': NOW.toISOString() },
            ExclusiveStartKey: startKey,
          }),
        );
        found += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      if (found !== DUE_RECORDS) throw new Error(`scan found ${found} records, expected ${DUE_RECORDS}`);
    };
    const itemsReadBy = async (run: () => Promise<void>) => {
      counter.itemsRead = 0;
      counter.counting = true;
      await run();
      counter.counting = false;
      return counter.itemsRead;
    };

    const rows: DueSweepRow[] = [];
    let filled = 0;
    for (const size of sizes) {
      const fillStart = Date.now();
      await fill(store, filled, size, finishedRecord);
      filled = size;
      log(`  due sweep: table at ${size} finished + ${DUE_RECORDS} due records (filled in ${Date.now() - fillStart} ms)`);
      const sweepItemsRead = await itemsReadBy(sweep);
      const scanItemsRead = await itemsReadBy(scan);
      // Side by side: alternate the two so both see the same machine state.
      const sweepMs: number[] = [];
      const scanMs: number[] = [];
      const deadline = Date.now() + 8_000;
      for (let round = 0; round < 15 && (round < 3 || Date.now() < deadline); round++) {
        sweepMs.push(...(await repeat(sweep, { minRuns: 3, maxRuns: 3, budgetMs: 0 })).map((r) => r.ms));
        scanMs.push(...(await repeat(scan, { minRuns: 1, maxRuns: 1, budgetMs: 0 })).map((r) => r.ms));
      }
      const row = {
        finished: size,
        due: DUE_RECORDS,
        sweepMs: median(sweepMs),
        scanMs: median(scanMs),
        sweepItemsRead,
        scanItemsRead,
        runs: { sweep: sweepMs.length, scan: scanMs.length },
      };
      log(`  due sweep: N=${size}: sweep ${fixed(row.sweepMs)} ms / ${sweepItemsRead} items, scan ${fixed(row.scanMs)} ms / ${scanItemsRead} items`);
      rows.push(row);
    }
    return rows;
  } finally {
    await services.stop();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) runMain(() => benchDueSweep(SIZES.dueSizes, log));
