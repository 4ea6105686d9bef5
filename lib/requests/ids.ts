// Request ids: `req_` + 26 Crockford base32 characters. With an Idempotency-Key the id is derived
// from tenant and key, so a replay is one conditional put on the same item; without one it
// sorts by creation time (ULID layout: 48-bit milliseconds, 80 random bits).
import { createHash, randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(bytes: Uint8Array, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  // The last partial group, padded with zero bits (16 bytes make 26 characters, as in a ULID).
  if (bits > 0 && out.length < chars) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out;
}

export const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The id of the request a tenant made with this Idempotency-Key: the same every time. */
export function idempotentRequestId(tenant: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${tenant}\n${idempotencyKey}`, 'utf8').digest();
  return `req_${base32(digest, 26)}`;
}

// Random bytes are drawn from the CSPRNG a batch at a time (as node's randomUUID does): one call
// per 409 ids instead of one per id, a tenth of intake's own time per request.
const RANDOM_BATCH = Buffer.alloc(4096);
let randomOffset = RANDOM_BATCH.length;

/** A fresh, time-ordered request id. */
export function newRequestId(now: Date): string {
  if (randomOffset + 10 > RANDOM_BATCH.length) {
    randomFillSync(RANDOM_BATCH);
    randomOffset = 0;
  }
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(now.getTime(), 0, 6);
  RANDOM_BATCH.copy(bytes, 6, randomOffset, randomOffset + 10);
  randomOffset += 10;
  return `req_${base32(bytes, 26)}`;
}

/** SHA-256 of a JSON value with object keys sorted, so that key order does not change it. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

/** A completion event's `webhook-id`: deterministic, so a recomputed id (after a crash or by a second poller) is the same. */
export function webhookEventId(requestId: string, outcome: 'succeeded' | 'failed'): string {
  const digest = createHash('sha256').update(`${requestId}\u0000${outcome}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
