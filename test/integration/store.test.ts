import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRequest } from '../../lib/requests/record.js';
import { StoreError, type RequestStore } from '../../lib/store/requests.js';
import { DUE_INDEX, allDueShards, dueShard } from '../../lib/store/table.js';
import { startLocalServices } from '../../local/services.js';
import { storedRequestFixture } from '../helpers/records.js';
import { occupyPort, startTestServices } from '../helpers/services.js';

type TestServices = Awaited<ReturnType<typeof startTestServices>>;

function minutesAfter(base: string, minutes: number): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString();
}

function unwrap<T>(value: T | StoreError): T {
  if (value instanceof StoreError) throw new Error(`unexpected store error ${value.kind}: ${value.message}`);
  return value;
}

async function createAll(store: RequestStore, records: StoredRequest[]): Promise<void> {
  for (const record of records) expect(unwrap(await store.create(record)).created).toBe(true);
}

describe('request store', () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await startTestServices();
  });
  afterAll(async () => {
    await t?.services.stop();
  });

  it('returns a created record unchanged from get', async () => {
    const record = storedRequestFixture({ id: 'req_roundtrip', client_ref: 'ticket-42', next_check_at: '2099-01-01T00:00:00Z' });
    expect(unwrap(await t.store.create(record))).toEqual({ created: true, record });
    expect(await t.store.get('req_roundtrip')).toEqual(record);
    expect(await t.store.get('req_missing')).toBeNull();
  });

  it('reports a stored item that fails the record schema as a corrupt-item error value', async () => {
    await t.dynamo.send(
      new PutCommand({ TableName: t.services.tableName, Item: { pk: 'REQ#req_corrupt', sk: 'REQ', id: 'req_corrupt', status: 'bogus' } }),
    );
    const result = await t.store.get('req_corrupt');
    expect(result).toBeInstanceOf(StoreError);
    expect((result as StoreError).kind).toBe('corrupt-item');
  });

  it('refuses to write a record that fails the schema', async () => {
    const invalid = { ...storedRequestFixture({ id: 'req_invalid' }), status: 'bogus' } as unknown as StoredRequest;
    const result = await t.store.create(invalid);
    expect((result as StoreError).kind).toBe('bad-input');
    expect(await t.store.get('req_invalid')).toBeNull();
  });

  it('answers a second create with the same id with the existing record and writes nothing', async () => {
    const first = storedRequestFixture({ id: 'req_idem', client_ref: 'first' });
    await createAll(t.store, [first]);
    const replay = unwrap(await t.store.create({ ...first, client_ref: 'second' }));
    expect(replay).toEqual({ created: false, existing: first });
    expect(await t.store.get('req_idem')).toEqual(first);
  });

  it('lists a tenant newest first across pages, never showing another tenant', async () => {
    const base = '2026-02-01T00:00:00.000Z';
    const mine = Array.from({ length: 7 }, (_, i) =>
      storedRequestFixture({ id: `req_list_${i}`, tenant: 'lister', created_at: minutesAfter(base, i) }),
    );
    await createAll(t.store, [...mine, storedRequestFixture({ id: 'req_list_other', tenant: 'other-lister', created_at: base })]);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = unwrap(await t.store.list('lister', { limit: 3, cursor }));
      expect(page.items.length).toBe(pages < 2 ? 3 : 1);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);

    expect(pages).toBe(3);
    expect(seen).toEqual(mine.map((r) => r.id).reverse());
  });

  it('fills whole pages under a status and kind filter even when matches are sparse', async () => {
    const base = '2026-03-01T00:00:00.000Z';
    // 120 records, every 20th a running import: matches lie further apart than one query page.
    const records = Array.from({ length: 120 }, (_, i) =>
      storedRequestFixture({
        id: `req_filter_${String(i).padStart(3, '0')}`,
        tenant: 'filterer',
        created_at: minutesAfter(base, i),
        status: i % 20 === 0 ? 'running' : 'queued',
        kind: i % 20 === 0 || i % 3 === 0 ? 'import' : 'export',
      }),
    );
    await createAll(t.store, records);
    const expected = records.filter((r) => r.status === 'running' && r.kind === 'import').map((r) => r.id).reverse();
    expect(expected).toHaveLength(6);

    const first = unwrap(await t.store.list('filterer', { status: 'running', kind: 'import', limit: 4 }));
    expect(first.items.map((r) => r.id)).toEqual(expected.slice(0, 4));
    expect(first.next_cursor).not.toBeNull();
    const second = unwrap(
      await t.store.list('filterer', { status: 'running', kind: 'import', limit: 4, cursor: first.next_cursor ?? undefined }),
    );
    expect(second.items.map((r) => r.id)).toEqual(expected.slice(4));
    expect(second.next_cursor).toBeNull();
  });

  it('refuses a cursor issued to another tenant, and one it never issued', async () => {
    await createAll(
      t.store,
      [0, 1].map((i) => storedRequestFixture({ id: `req_cursor_${i}`, tenant: 'cursor-owner', created_at: minutesAfter('2026-04-01T00:00:00Z', i) })),
    );
    const page = unwrap(await t.store.list('cursor-owner', { limit: 1 }));
    expect(page.next_cursor).not.toBeNull();

    const stolen = await t.store.list('cursor-thief', { limit: 1, cursor: page.next_cursor ?? undefined });
    expect((stolen as StoreError).kind).toBe('bad-cursor');
    const forged = await t.store.list('cursor-owner', { cursor: 'not-a-cursor' });
    expect((forged as StoreError).kind).toBe('bad-cursor');
  });

  it('refuses list options outside their limits', async () => {
    const result = await t.store.list('acme', { limit: 101 });
    expect((result as StoreError).kind).toBe('bad-input');
  });

  it('refuses a save from a stale version and leaves the record unchanged', async () => {
    const record = storedRequestFixture({ id: 'req_stale' });
    await createAll(t.store, [record]);
    const saved = unwrap(await t.store.save({ ...record, status: 'submitting' }, 0));
    expect(saved.saved).toBe(true);
    const current = await t.store.get('req_stale');
    expect(current).toMatchObject({ status: 'submitting', internal: { version: 1 } });

    const stale = unwrap(await t.store.save({ ...record, status: 'cancelled' }, 0));
    expect(stale).toEqual({ saved: false, current });
    expect(await t.store.get('req_stale')).toEqual(current);
  });

  it('lets exactly one of two concurrent saves from the same version win', async () => {
    const record = storedRequestFixture({ id: 'req_race' });
    await createAll(t.store, [record]);
    const outcomes = (
      await Promise.all([
        t.store.save({ ...record, status: 'submitting', client_ref: 'a' }, 0),
        t.store.save({ ...record, status: 'cancelled', client_ref: 'b' }, 0),
      ])
    ).map(unwrap);
    const winners = outcomes.filter((o) => o.saved);
    expect(winners).toHaveLength(1);
    const stored = await t.store.get('req_race');
    expect(stored).toEqual(winners[0]?.saved ? winners[0].record : undefined);
    expect(stored).toMatchObject({ internal: { version: 1 } });
  });
});

describe('due requests', () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await startTestServices();
  });
  afterAll(async () => {
    await t?.services.stop();
  });

  const now = new Date('2026-05-01T12:00:00.000Z');

  it('returns only records due by now, oldest first, across every shard', async () => {
    const due = Array.from({ length: 12 }, (_, i) =>
      storedRequestFixture({ id: `req_due_${i}`, next_check_at: minutesAfter(now.toISOString(), -(i * 7) % 60 - 1) }),
    );
    const atNow = storedRequestFixture({ id: 'req_due_now', next_check_at: now.toISOString() });
    const later = storedRequestFixture({ id: 'req_due_later', next_check_at: minutesAfter(now.toISOString(), 1) });
    const never = storedRequestFixture({ id: 'req_due_never', next_check_at: null });
    await createAll(t.store, [...due, atNow, later, never]);
    expect(new Set([...due, atNow].map((r) => dueShard(r.id))).size).toBeGreaterThan(1);

    const expected = [...due, atNow]
      .sort((a, b) => Date.parse(a.next_check_at ?? '') - Date.parse(b.next_check_at ?? '') || (a.id < b.id ? -1 : 1))
      .map((r) => r.id);
    const result = await t.store.due(now, 50);
    expect(result.corrupt).toEqual([]);
    expect(result.records.map((r) => r.id)).toEqual(expected);
    expect((await t.store.due(now, 5)).records.map((r) => r.id)).toEqual(expected.slice(0, 5));
  });

  it('drops a record from the due index once its next_check_at is cleared', async () => {
    const record = storedRequestFixture({ id: 'req_due_clear', next_check_at: '2026-04-01T00:00:00Z' });
    await createAll(t.store, [record]);
    expect((await t.store.due(now, 100)).records.map((r) => r.id)).toContain('req_due_clear');

    unwrap(await t.store.save({ ...record, status: 'succeeded', next_check_at: null }, 0));
    expect((await t.store.due(now, 100)).records.map((r) => r.id)).not.toContain('req_due_clear');
    const indexed = await Promise.all(
      allDueShards().map((shard) =>
        t.dynamo.send(
          new QueryCommand({
            TableName: t.services.tableName,
            IndexName: DUE_INDEX,
            KeyConditionExpression: 'due_pk = :shard',
            ExpressionAttributeValues: { ':shard': shard },
          }),
        ),
      ),
    );
    expect(indexed.flatMap((res) => res.Items ?? []).map((item) => item.id)).not.toContain('req_due_clear');
  });
});

describe('local services', () => {
  it('keeps DynamoDB data in dataDir across a restart', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ims-transfer-store-'));
    const dataDir = join(root, 'nested', 'db');
    try {
      const first = await startTestServices({ dataDir });
      const record = storedRequestFixture({ id: 'req_persisted' });
      await createAll(first.store, [record]);
      await first.services.stop();

      const second = await startTestServices({ dataDir });
      try {
        expect(await second.store.get('req_persisted')).toEqual(record);
      } finally {
        await second.services.stop();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('names the DynamoDB port when it is already in use', async () => {
    const blocker = await occupyPort('127.0.0.1');
    try {
      await expect(startLocalServices({ dynamoPort: blocker.port })).rejects.toThrow(`port ${blocker.port} is already in use`);
    } finally {
      await blocker.release();
    }
  });
});
