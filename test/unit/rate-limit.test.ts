import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../lib/store/rate-limit.js';

/** A counter table whose writes answer only when the test lets them: it shows which takes wait for a write. */
function heldCounter() {
  let hits = 0;
  const pending: (() => void)[] = [];
  const client = {
    send: (command: { input: { ExpressionAttributeValues: Record<string, number> } }) =>
      new Promise((resolve) => {
        pending.push(() => {
          hits += command.input.ExpressionAttributeValues[':n'] ?? 0;
          resolve({ Attributes: { hits } });
        });
      }),
  };
  return { client: client as unknown as Parameters<typeof createRateLimiter>[0]['client'], writes: () => pending.length, answer: (i: number) => pending[i]?.() };
}

const AT = new Date(Date.UTC(2026, 11, 1, 3, 0, 10));

describe('the rate limiter takes its next block ahead', () => {
  it('asks for the next block while a quarter of this one is left, and serves requests from what is left meanwhile', async () => {
    const counter = heldCounter();
    const limiter = createRateLimiter({ client: counter.client, tableName: 't' });
    // 1,000 a minute: blocks of 50, the next one asked for when 12 are left.
    const first = limiter.take('acme', 1_000, AT);
    await Promise.resolve();
    expect(counter.writes()).toBe(1);
    counter.answer(0);
    expect((await first).allowed).toBe(true);
    for (let i = 0; i < 36; i++) expect((await limiter.take('acme', 1_000, AT)).allowed).toBe(true);
    expect(counter.writes()).toBe(1);
    // The 38th request leaves 12: the next block is asked for, and nobody waits for it.
    await limiter.take('acme', 1_000, AT);
    expect(counter.writes()).toBe(2);
    const served = [];
    for (let i = 0; i < 12; i++) served.push(await limiter.take('acme', 1_000, AT));
    expect(served.every((d) => d.allowed)).toBe(true);
    expect(counter.writes()).toBe(2);
    // Only a request that finds no token left waits, for the block already asked for.
    let waited = false;
    const next = limiter.take('acme', 1_000, AT).then((d) => ((waited = true), d));
    await new Promise((r) => setTimeout(r, 10));
    expect(waited).toBe(false);
    counter.answer(1);
    expect((await next).allowed).toBe(true);
    expect(counter.writes()).toBe(2);
  });

  it('takes nothing ahead for a limit under 80 a minute, so a small limit stays exact', async () => {
    const counter = heldCounter();
    const limiter = createRateLimiter({ client: counter.client, tableName: 't' });
    // 60 a minute: blocks of 3.
    const first = limiter.take('small', 60, AT);
    await Promise.resolve();
    counter.answer(0);
    await first;
    await limiter.take('small', 60, AT);
    await limiter.take('small', 60, AT);
    expect(counter.writes()).toBe(1);
  });
});
