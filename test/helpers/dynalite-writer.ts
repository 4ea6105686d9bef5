// Run as a child process by test/integration/local-index-repair.test.ts: the local DynamoDB kept in
// the directory given as argument, N requests created through the request store and their next
// check moved on and on, as the worker and poller do, until the test kills the process mid-write.
import { dynamoDocumentClient } from '../../lib/aws.js';
import type { StoredRequest } from '../../lib/requests/record.js';
import { createRequestStore } from '../../lib/store/requests.js';
import { startLocalServices } from '../../local/services.js';
import { storedRequestFixture } from './records.js';

const [dataDir, count] = process.argv.slice(2);
if (!dataDir || !count) throw new Error('usage: dynalite-writer.ts <data dir> <requests>');
const services = await startLocalServices({ dataDir });
const store = createRequestStore({ client: dynamoDocumentClient({ endpoint: services.dynamoEndpoint, region: services.region }), tableName: services.tableName });

async function created(n: number): Promise<StoredRequest> {
  const record = storedRequestFixture({ id: `req_WRITER${String(n).padStart(2, '0')}`, next_check_at: new Date().toISOString() });
  const put = await store.create(record);
  if (put instanceof Error || !put.created) throw new Error(`${record.id} not created`);
  return put.record;
}

async function keepMoving(first: StoredRequest): Promise<never> {
  let record = first;
  const id = record.id;
  for (let step = 1; ; step++) {
    const saved = await store.save({ ...record, next_check_at: new Date(Date.now() + step).toISOString() }, record.internal.version);
    if (saved instanceof Error || !saved.saved) throw new Error(`save of ${id} failed`);
    record = saved.record;
  }
}

process.stdout.write('writing\n');
await Promise.all(Array.from({ length: Number(count) }, async (_, n) => keepMoving(await created(n))));
