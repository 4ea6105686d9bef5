import { describe, expect, it } from 'vitest';
import { createTokenCache, type PasswordAuth, type ProjectToken, type TokenScope } from '../../lib/ims/auth.js';
import { ImsError } from '../../lib/ims/errors.js';

const HOUR = 3_600_000;
const IAM = 'https://iam.eu-de.example';
const PROJECT = 'p1';
const SERVICE: PasswordAuth = { kind: 'password', user: 'service', password: 'service-password', domain: 'd' };
const at = (iamOrigin: string, projectId: string, auth: PasswordAuth = SERVICE): TokenScope => ({ iamOrigin, projectId, auth });

/** A token cache whose IAM hands out tok-1, tok-2, ... living `ttl` ms, or fails when told to. */
function setup(ttl = 24 * HOUR) {
  let clock = 0;
  let issued = 0;
  let failWith: Error | null = null;
  const fetchedFor: string[] = [];
  const cache = createTokenCache({
    now: () => clock,
    refreshAheadMs: HOUR,
    fetchToken: async (scope): Promise<ProjectToken> => {
      await Promise.resolve();
      if (failWith) throw failWith;
      issued++;
      fetchedFor.push(scope.auth.user);
      return { token: `tok-${issued}`, expiresAt: clock + ttl };
    },
  });
  return {
    cache,
    advance: (ms: number) => (clock += ms),
    issued: () => issued,
    fetchedFor,
    failNext: (err: Error | null) => (failWith = err),
  };
}

describe('token cache', () => {
  it('fetches once for concurrent callers and then serves the cached token', async () => {
    const { cache, issued } = setup();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => cache.get(at(IAM, PROJECT))));
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-1');
    expect(issued()).toBe(1);
  });

  it('keeps a token per IAM endpoint and project', async () => {
    const { cache } = setup();
    expect(await cache.get(at(IAM, 'p1'))).toBe('tok-1');
    expect(await cache.get(at(IAM, 'p2'))).toBe('tok-2');
    expect(await cache.get(at('https://iam.eu-nl.example', 'p1'))).toBe('tok-3');
  });

  it('refreshes one hour before a 24-hour token expires', async () => {
    const { cache, advance } = setup();
    await cache.get(at(IAM, PROJECT));
    advance(23 * HOUR - 1);
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-1');
    advance(1);
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-2');
  });

  it('refreshes a short-lived token at 90 % of its lifetime', async () => {
    const { cache, advance } = setup(10_000);
    await cache.get(at(IAM, PROJECT));
    advance(8_999);
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-1');
    advance(1);
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-2');
  });

  it('drops only the token that was refused, so late 401s do not throw away a fresh one', async () => {
    const { cache, issued } = setup();
    await cache.get(at(IAM, PROJECT));
    cache.invalidate(at(IAM, PROJECT), 'tok-1');
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-2');
    cache.invalidate(at(IAM, PROJECT), 'tok-1');
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-2');
    expect(issued()).toBe(2);
  });

  it('keeps using a still-valid token when an early refresh fails for a passing reason', async () => {
    const { cache, advance, failNext } = setup();
    await cache.get(at(IAM, PROJECT));
    advance(23.5 * HOUR);
    failNext(new ImsError({ kind: 'retryable', operation: 'iam.token', status: 503, code: null, message: 'down' }));
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-1');
    advance(HOUR);
    await expect(cache.get(at(IAM, PROJECT))).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('does not hide refused credentials behind the old token', async () => {
    const { cache, advance, failNext } = setup();
    await cache.get(at(IAM, PROJECT));
    advance(23.5 * HOUR);
    failNext(new ImsError({ kind: 'auth', operation: 'iam.token', status: 401, code: null, message: 'no' }));
    await expect(cache.get(at(IAM, PROJECT))).rejects.toMatchObject({ kind: 'auth' });
  });

  it('keeps a token per credential set, so one tenant never gets another tenant token', async () => {
    const { cache, fetchedFor } = setup();
    const acme: PasswordAuth = { kind: 'password', user: 'acme', password: 'acme-password', domain: 'd' };
    const acmeNewPassword: PasswordAuth = { ...acme, password: 'acme-password-2' };
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-1');
    expect(await cache.get(at(IAM, PROJECT, acme))).toBe('tok-2');
    expect(await cache.get(at(IAM, PROJECT, acmeNewPassword))).toBe('tok-3');
    expect(await cache.get(at(IAM, PROJECT, acme))).toBe('tok-2');
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-1');
    expect(fetchedFor).toEqual(['service', 'acme', 'acme']);
  });

  it('shares one fetch among concurrent callers of each credential set', async () => {
    const { cache, fetchedFor } = setup();
    const acme: PasswordAuth = { kind: 'password', user: 'acme', password: 'acme-password', domain: 'd' };
    const both = await Promise.all(
      Array.from({ length: 10 }, (_, i) => cache.get(at(IAM, PROJECT, i % 2 === 0 ? SERVICE : acme))),
    );
    expect(new Set(both.filter((_, i) => i % 2 === 0)).size).toBe(1);
    expect(new Set(both.filter((_, i) => i % 2 === 1)).size).toBe(1);
    expect(both[0]).not.toBe(both[1]);
    expect(fetchedFor.sort()).toEqual(['acme', 'service']);
  });

  it('forgets a refused token only for its own credential set', async () => {
    const { cache } = setup();
    const acme: PasswordAuth = { kind: 'password', user: 'acme', password: 'acme-password', domain: 'd' };
    await cache.get(at(IAM, PROJECT));
    await cache.get(at(IAM, PROJECT, acme));
    cache.invalidate(at(IAM, PROJECT, acme), 'tok-1');
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-1');
    cache.invalidate(at(IAM, PROJECT), 'tok-1');
    expect(await cache.get(at(IAM, PROJECT, acme))).toBe('tok-2');
    expect(await cache.get(at(IAM, PROJECT))).toBe('tok-3');
  });
});
