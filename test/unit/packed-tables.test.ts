// The codec of the tables the deployed bundles carry packed (lib/packed-tables.ts; the bundle-contents
// test checks the packed hint and OS-version modules themselves).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../../lib/packed-tables.js';

describe('packed tables', () => {
  it('unpack gives back exactly the value packed, whatever number of bytes brotli made', () => {
    const lengths = new Set<number>();
    for (let n = 0; n < 300; n++) {
      // Random bytes as text compress badly, so the packed lengths run through every remainder modulo 13.
      const value = { n, text: randomBytes(n).toString('latin1'), list: Array.from({ length: n % 7 }, (_, i) => `${i} é → ✓`) };
      const { text, length } = pack(value);
      lengths.add(length % 13);
      expect(unpack(text, length)).toEqual(value);
    }
    expect(lengths.size).toBe(13);
  });

  it('writes only the characters 35-126 but the backslash, two for each 13 bits, so a double-quoted string holds the text as is', () => {
    const { text, length } = pack(randomBytes(5000).toString('base64'));
    expect(text).toMatch(/^[#-[\]-~]*$/);
    expect(text.length).toBe(2 * Math.ceil((length * 8) / 13));
    expect(JSON.stringify(text)).toBe(`"${text}"`);
    // Shorter than the same bytes in base64.
    expect(text.length).toBeLessThan(Math.ceil(length / 3) * 4);
  });
});
