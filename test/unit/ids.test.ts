import { describe, expect, it } from 'vitest';
import { canonicalHash, idempotentRequestId, newRequestId, REQUEST_ID } from '../../lib/requests/ids.js';

describe('request ids', () => {
  it('are req_ and 26 Crockford base32 characters, fresh or derived', () => {
    for (let i = 0; i < 50; i++) expect(newRequestId(new Date(1_700_000_000_000 + i))).toMatch(REQUEST_ID);
    expect(idempotentRequestId('acme', 'key-1')).toMatch(REQUEST_ID);
  });

  it('sort by creation time', () => {
    const ids = [0, 1, 1000, 86_400_000].map((d) => newRequestId(new Date(1_700_000_000_000 + d)));
    expect([...ids].sort()).toEqual(ids);
  });

  it('derive the same id from the same tenant and key, and another for another tenant', () => {
    expect(idempotentRequestId('acme', 'k')).toBe(idempotentRequestId('acme', 'k'));
    expect(idempotentRequestId('acme', 'k')).not.toBe(idempotentRequestId('other', 'k'));
    expect(idempotentRequestId('acme', 'k')).not.toBe(idempotentRequestId('acme', 'k2'));
  });

  it('hash bodies regardless of key order', () => {
    expect(canonicalHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(canonicalHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(canonicalHash({ a: 1 })).not.toBe(canonicalHash({ a: 2 }));
  });
});
