// The tables of text the deployed bundles carry packed (deploy/esbuild-plugins.cjs): a value as JSON,
// brotli-compressed, written as base-91 text. `pack` runs in that build; `unpack` in the functions,
// called by the packed modules it writes. The source tables themselves stay plain.
//
// Base 91: each 13 bits, least significant first, are two characters, the low digit first; digits
// 0-90 are the character codes 35-126 without the backslash (92), so the text needs no escape in a
// double-quoted string, and it is 8 % shorter than base64 (16 characters per 13 bytes, not 17.3).
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

export interface Packed {
  text: string;
  /** Bytes of brotli the text holds. */
  length: number;
}

const digitChar = (digit: number) => String.fromCharCode(digit < 57 ? 35 + digit : 36 + digit);
const digitAt = (text: string, i: number) => {
  const code = text.charCodeAt(i);
  return code - (code > 92 ? 36 : 35);
};

export function pack(value: unknown): Packed {
  const json = JSON.stringify(value);
  const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: json.length };
  const bytes = brotliCompressSync(json, { params });
  let text = '';
  for (let i = 0, bits = 0, held = 0; i < bytes.length || held > 0; held = Math.max(0, held - 13), bits >>>= 13) {
    for (; held < 13 && i < bytes.length; held += 8) bits |= (bytes[i++] ?? 0) << held;
    const group = bits & 8191;
    text += digitChar(group % 91) + digitChar(Math.floor(group / 91));
  }
  return { text, length: bytes.length };
}

export function unpack(text: string, length: number): unknown {
  const bytes = Buffer.alloc(length);
  for (let i = 0, at = 0, bits = 0, held = 0; at < length; i += 2) {
    bits |= (digitAt(text, i) + 91 * digitAt(text, i + 1)) << held;
    for (held += 13; held >= 8 && at < length; held -= 8, bits >>>= 8) bytes[at++] = bits & 255;
  }
  return JSON.parse(brotliDecompressSync(bytes).toString()) as unknown;
}
