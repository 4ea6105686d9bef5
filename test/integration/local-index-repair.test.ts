// dynalite writes an item's index entries apart from the item, so a local stack killed mid-write
// can leave a request outside the `due` index (the poller never sees it again: the crash suite's
// requests left open) or an index entry with no item behind it. `npm start` mends the kept table's
// indexes before anything runs; here a process that writes requests is SIGKILLed mid-write and the
// table is started again until a kill tore a write, and after every start the indexes must match.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../lib/aws.js';
import { startLocalServices } from '../../local/services.js';
import { wholeRequestStore } from '../helpers/services.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Requests written at once: the more writes in flight, the likelier a kill tears one. */
const WRITERS = 24;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts the writer on `dataDir`, lets it write for a moment and kills it with SIGKILL. */
async function killMidWrite(dataDir: string, writeMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/dynalite-writer.ts', dataDir, String(WRITERS)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  await new Promise<void>((ready, failed) => {
    child.stdout.on('data', (c: Buffer) => c.toString('utf8').includes('writing') && ready());
    void exited.then(() => failed(new Error(`the writer ended before writing: ${err.slice(-1_000)}`)));
  });
  await new Promise((r) => setTimeout(r, writeMs));
  child.kill('SIGKILL');
  await exited;
}

describe('the local table kept on disk, after a SIGKILL mid-write', () => {
  it('comes back with every request in the due index at its stored next check, and no index entry without its item', async () => {
    let tornRounds = 0;
    // A kill while requests are created and moved tears writes in most rounds; the rounds go on until one did.
    for (let round = 0; round < 20 && tornRounds === 0; round++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'ims-transfer-index-repair-'));
      dirs.push(dataDir);
      await killMidWrite(dataDir, 100 + (round % 4) * 150);
      const services = await startLocalServices({ dataDir });
      try {
        const mended = services.indexRepair;
        if (mended && mended.rewritten + mended.orphans > 0) tornRounds++;
        const store = wholeRequestStore({ client: dynamoDocumentClient({ endpoint: services.dynamoEndpoint, region: services.region }), tableName: services.tableName });
        const due = await store.due(new Date(Date.now() + 3_600_000), 100);
        const listed = await store.list('acme', { limit: 100 });
        if (listed instanceof Error) throw listed;
        // The kill may come before every request was created: the ones stored are checked.
        let present = 0;
        for (let n = 0; n < WRITERS; n++) {
          const id = `req_WRITER${String(n).padStart(2, '0')}`;
          const stored = await store.get(id);
          if (stored instanceof Error) throw stored;
          if (!stored) continue;
          present++;
          const brief = (r: { next_check_at: string | null; internal: { version: number } }) => `${r.next_check_at} v${r.internal.version}`;
          // The poller's view and the listing's view are the item's, once each.
          expect(due.records.filter((r) => r.id === id).map(brief), `due index, round ${round}`).toEqual([brief(stored)]);
          expect(listed.items.filter((r) => r.id === id).map(brief), `by_tenant index, round ${round}`).toEqual([brief(stored)]);
        }
        expect(due.records).toHaveLength(present);
        expect(listed.items).toHaveLength(present);
        expect(due.corrupt).toEqual([]);
      } finally {
        await services.stop();
      }
    }
    expect(tornRounds, 'no kill tore a write in 20 rounds: nothing was mended, so nothing was shown').toBeGreaterThan(0);
  }, 180_000);

  it('checks the indexes only after an unclean stop: a table stopped cleanly starts without the check', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ims-transfer-index-repair-'));
    dirs.push(dataDir);
    await killMidWrite(dataDir, 100);
    const afterKill = await startLocalServices({ dataDir });
    await afterKill.stop();
    const afterStop = await startLocalServices({ dataDir });
    await afterStop.stop();
    expect({ afterKill: afterKill.indexRepair === null, afterStop: afterStop.indexRepair }).toEqual({ afterKill: false, afterStop: null });
  }, 60_000);
});
