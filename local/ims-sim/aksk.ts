// Verifies SDK-HMAC-SHA256 signatures independently of the client's signer, canonicalising as
// AKSKSigner.sign in @huaweicloud/huaweicloud-sdk-core does (ims-api.md, "AK/SK signing").
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';

const ALGORITHM = 'SDK-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SignedRequest {
  method: string;
  /** The request target as received: path (percent-encoded as on the wire) and query. */
  rawUrl: string;
  /** Header names lower-case, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type SignatureCheck =
  | { ok: true; ak: string }
  | { ok: false; kind: 'malformed' | 'unknown-ak' | 'date' | 'signature'; detail: string };

const AUTH_HEADER = /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)\s*$/;

/** The SDK's urlEncode: everything but A–Z a–z 0–9 - . _ ~ becomes %XX of its UTF-8 bytes. */
export function sdkUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Canonical URI as the SDK builds it: each segment of the path as sent (already percent-encoded) is
 * encoded again, and the result always ends with a slash.
 */
function canonicalUri(path: string): string {
  const encoded = path.split('/').map(sdkUrlEncode).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

function canonicalQuery(query: string): string {
  const params = parseQuery(query);
  return Object.keys(params)
    .sort()
    .flatMap((key) => {
      const value = params[key];
      const values = Array.isArray(value) ? [...value].sort() : [value ?? ''];
      return values.map((v) => `${sdkUrlEncode(key)}=${sdkUrlEncode(v)}`);
    })
    .join('&');
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `X-Sdk-Date` (YYYYMMDDTHHMMSSZ) as ms since epoch, or undefined when malformed. */
export function parseSdkDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

const hmacHex = (key: string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest('hex');
const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks the `Authorization: SDK-HMAC-SHA256 ...` header of a request against the known AK/SK pairs.
 * `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` (signed) leaves the body out, as the SDK does for non-JSON bodies.
 */
export function verifySignature(req: SignedRequest, secretFor: (ak: string) => string | undefined, nowMs: number): SignatureCheck {
  const auth = headerValue(req.headers, 'authorization') ?? '';
  const m = AUTH_HEADER.exec(auth);
  if (!m) return { ok: false, kind: 'malformed', detail: 'the Authorization header is not a valid SDK-HMAC-SHA256 signature' };
  const [, ak = '', signedHeaderList = '', signature = ''] = m;
  const sk = secretFor(ak);
  if (sk === undefined) return { ok: false, kind: 'unknown-ak', detail: 'the access key does not exist' };

  const signed = signedHeaderList.split(';');
  if (!signed.includes('x-sdk-date')) return { ok: false, kind: 'malformed', detail: 'x-sdk-date must be signed' };
  const date = headerValue(req.headers, 'x-sdk-date') ?? '';
  const dateMs = parseSdkDate(date);
  if (dateMs === undefined) return { ok: false, kind: 'date', detail: 'x-sdk-date is malformed' };
  if (Math.abs(nowMs - dateMs) > MAX_SKEW_MS) return { ok: false, kind: 'date', detail: 'x-sdk-date is more than 15 minutes off' };

  const canonicalHeaderNames = [...signed].sort((a, b) => a.localeCompare(b));
  let canonicalHeaders = '';
  for (const name of canonicalHeaderNames) {
    const value = headerValue(req.headers, name);
    if (value === undefined) return { ok: false, kind: 'signature', detail: `signed header ${name} is missing` };
    canonicalHeaders += `${name}:${value}\n`;
  }

  const bodyHash = req.body.length > 0 ? sha256Hex(req.body) : EMPTY_SHA256;
  const declaredHash = signed.includes('x-sdk-content-sha256') ? headerValue(req.headers, 'x-sdk-content-sha256') : undefined;
  if (declaredHash !== undefined && declaredHash !== 'UNSIGNED-PAYLOAD' && !sameHex(declaredHash, bodyHash))
    return { ok: false, kind: 'signature', detail: 'x-sdk-content-sha256 does not match the body' };
  const payloadHash = declaredHash ?? bodyHash;

  const q = req.rawUrl.indexOf('?');
  const path = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const query = q < 0 ? '' : req.rawUrl.slice(q + 1);

  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(path),
    canonicalQuery(query),
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, date, sha256Hex(canonicalRequest)].join('\n');
  if (sameHex(hmacHex(sk, stringToSign), signature)) return { ok: true, ak };
  return { ok: false, kind: 'signature', detail: 'verify aksk signature fail' };
}
