import { describe, expect, it } from 'vitest';
import { createTokenCache, type ProjectToken } from '../../lib/ims/auth.js';
import { ImsError } from '../../lib/ims/errors.js';

const HOUR = 3_600_000;
const IAM = 'https://iam.eu-de.example';
const PROJECT = 'p1';

/** A token cache whose IAM hands out tok-1, tok-2, ... living `ttl` ms, or fails when told to. */
function setup(ttl = 24 * HOUR) {
  let clock = 0;
  let issued = 0;
  let failWith: Error | null = null;
  const cache = createTokenCache({
    now: () => clock,
    refreshAheadMs: HOUR,
    fetchToken: async (): Promise<ProjectToken> => {
      await Promise.resolve();
      if (failWith) throw failWith;
      issued++;
      return { token: `tok-${issued}`, expiresAt: clock + ttl };
    },
  });
  return {
    cache,
    advance: (ms: number) => (clock += ms),
    issued: () => issued,
    failNext: (err: Error | null) => (failWith = err),
  };
}

describe('token cache', () => {
  it('fetches once for concurrent callers and then serves the cached token', async () => {
    const { cache, issued } = setup();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => cache.get(IAM, PROJECT)));
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));
    expect(await cache.get(IAM, PROJECT)).toBe('tok-1');
    expect(issued()).toBe(1);
  });

  it('keeps a token per IAM endpoint and project', async () => {
    const { cache } = setup();
    expect(await cache.get(IAM, 'p1')).toBe('tok-1');
    expect(await cache.get(IAM, 'p2')).toBe('tok-2');
    expect(await cache.get('https://iam.eu-nl.example', 'p1')).toBe('tok-3');
  });

  it('refreshes one hour before a 24-hour token expires', async () => {
    const { cache, advance } = setup();
    await cache.get(IAM, PROJECT);
    advance(23 * HOUR - 1);
    expect(await cache.get(IAM, PROJECT)).toBe('tok-1');
    advance(1);
    expect(await cache.get(IAM, PROJECT)).toBe('tok-2');
  });

  it('refreshes a short-lived token at 90 % of its lifetime', async () => {
    const { cache, advance } = setup(10_000);
    await cache.get(IAM, PROJECT);
    advance(8_999);
    expect(await cache.get(IAM, PROJECT)).toBe('tok-1');
    advance(1);
    expect(await cache.get(IAM, PROJECT)).toBe('tok-2');
  });

  it('drops only the token that was refused, so late 401s do not throw away a fresh one', async () => {
    const { cache, issued } = setup();
    await cache.get(IAM, PROJECT);
    cache.invalidate(IAM, PROJECT, 'tok-1');
    expect(await cache.get(IAM, PROJECT)).toBe('tok-2');
    cache.invalidate(IAM, PROJECT, 'tok-1');
    expect(await cache.get(IAM, PROJECT)).toBe('tok-2');
    expect(issued()).toBe(2);
  });

  it('keeps using a still-valid token when an early refresh fails for a passing reason', async () => {
    const { cache, advance, failNext } = setup();
    await cache.get(IAM, PROJECT);
    advance(23.5 * HOUR);
    failNext(new ImsError({ kind: 'retryable', operation: 'iam.token', status: 503, code: null, message: 'down' }));
    expect(await cache.get(IAM, PROJECT)).toBe('tok-1');
    advance(HOUR);
    await expect(cache.get(IAM, PROJECT)).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('does not hide refused credentials behind the old token', async () => {
    const { cache, advance, failNext } = setup();
    await cache.get(IAM, PROJECT);
    advance(23.5 * HOUR);
    failNext(new ImsError({ kind: 'auth', operation: 'iam.token', status: 401, code: null, message: 'no' }));
    await expect(cache.get(IAM, PROJECT)).rejects.toMatchObject({ kind: 'auth' });
  });
});
