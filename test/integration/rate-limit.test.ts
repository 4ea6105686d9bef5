import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSize, createRateLimiter } from '../../lib/store/rate-limit.js';
import { startTestServices } from '../helpers/services.js';

describe('the per-tenant rate limit across containers', () => {
  let t: Awaited<ReturnType<typeof startTestServices>>;
  beforeAll(async () => {
    t = await startTestServices();
  });
  afterAll(async () => {
    await t?.services.stop();
  });

  /** A container's limiter over the shared table, counting the writes it makes to it. */
  function container() {
    let writes = 0;
    const client = { send: (command: Parameters<typeof t.dynamo.send>[0]) => ((writes += 1), t.dynamo.send(command)) } as typeof t.dynamo;
    return { limiter: createRateLimiter({ client, tableName: t.services.tableName }), writes: () => writes };
  }

  const hitsOf = async (tenant: string, at: Date) =>
    ((await t.dynamo.send(new GetCommand({ TableName: t.services.tableName, Key: { pk: `RATE#${tenant}`, sk: String(Math.floor(at.getTime() / 60_000)) }, ConsistentRead: true }))).Item?.hits as number | undefined) ?? 0;

  it('never admits more than the limit in a minute over three containers, and strands at most n + ⌊n/4⌋ tokens in each other one', async () => {
    const limit = 200;
    const n = blockSize(limit);
    expect(n).toBe(10);
    const at = new Date(Date.UTC(2026, 11, 1, 2, 0, 30));
    const containers = [container(), container(), container()];
    const decisions = await Promise.all(containers.flatMap((c) => Array.from({ length: 120 }, () => c.limiter.take('blocks', limit, at))));
    const allowed = decisions.filter((d) => d.allowed).length;
    expect(allowed).toBeLessThanOrEqual(limit);
    expect(allowed).toBeGreaterThanOrEqual(limit - (n + Math.floor(n / 4)) * (containers.length - 1));
    expect(await hitsOf('blocks', at)).toBeLessThanOrEqual(limit);
    for (const d of decisions) if (!d.allowed) expect(d.retryAfterSeconds).toBe(30);
    expect(decisions.every((d) => d.quota.limit === limit && d.quota.remaining >= 0 && d.quota.remaining <= limit)).toBe(true);
    // Tokens come in blocks: about limit ÷ n writes, plus the single tokens at the end and one refused write per container.
    const writes = containers.reduce((sum, c) => sum + c.writes(), 0);
    expect(writes).toBeLessThanOrEqual(limit / n + 3 * (n + 2));
    expect(writes).toBeLessThan(allowed / 2);
  });

  it('is exact for a small limit, and a new minute brings new tokens', async () => {
    const a = container();
    const b = container();
    const at = new Date(Date.UTC(2026, 11, 1, 2, 1, 59));
    const first = [await a.limiter.take('small', 2, at), await b.limiter.take('small', 2, at), await a.limiter.take('small', 2, at), await b.limiter.take('small', 2, at)];
    expect(first.map((d) => d.allowed)).toEqual([true, true, false, false]);
    expect(first[2]).toMatchObject({ allowed: false, retryAfterSeconds: 1, quota: { limit: 2, remaining: 0 } });
    const next = new Date(at.getTime() + 1_000);
    expect((await b.limiter.take('small', 2, next)).allowed).toBe(true);
    expect(await hitsOf('small', next)).toBe(1);
  });
});
