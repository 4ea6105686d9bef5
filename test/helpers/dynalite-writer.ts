// Run as a child process by test/integration/local-index-repair.test.ts: the local DynamoDB kept in
// the directory given as argument, and eight requests whose next check the request store moves on
// and on, as the worker and poller do, until the test kills the process with SIGKILL mid-write.
import { dynamoDocumentClient } from '../../lib/aws.js';
import { createRequestStore } from '../../lib/store/requests.js';
import { startLocalServices } from '../../local/services.js';
import { storedRequestFixture } from './records.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: dynalite-writer.ts <data dir>');
const services = await startLocalServices({ dataDir });
const store = createRequestStore({ client: dynamoDocumentClient({ endpoint: services.dynamoEndpoint, region: services.region }), tableName: services.tableName });

async function keepMoving(n: number): Promise<never> {
  const id = `req_WRITER${String(n).padStart(2, '0')}`;
  const found = await store.get(id);
  if (found instanceof Error) throw found;
  let record = found ?? storedRequestFixture({ id, next_check_at: new Date().toISOString() });
  if (!found) {
    const created = await store.create(record);
    if (created instanceof Error) throw created;
  }
  for (let step = 1; ; step++) {
    const saved = await store.save({ ...record, next_check_at: new Date(Date.now() + step).toISOString() }, record.internal.version);
    if (saved instanceof Error || !saved.saved) throw new Error(`save of ${id} failed`);
    record = saved.record;
  }
}

process.stdout.write('writing\n');
await Promise.all(Array.from({ length: 8 }, (_, n) => keepMoving(n)));
