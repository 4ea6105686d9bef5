// Verifies AWS Signature Version 4 (header form), which OBS accepts on its S3-compatible API: what
// @aws-sdk/client-s3 sends with forcePathStyle, or any hand-signed request. Written from AWS's published
// algorithm, apart from any signer the client uses.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const MAX_SKEW_MS = 15 * 60 * 1000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const AUTH = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;

export interface V4Request {
  method: string;
  /** Path and query as received on the wire (percent-encoded). */
  rawUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type V4Check =
  | { ok: true; ak: string; region: string }
  | { ok: false; code: 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch' | 'RequestTimeTooSkewed' | 'AuthorizationHeaderMalformed' | 'XAmzContentSHA256Mismatch'; message: string };

/** RFC 3986 encoding as SigV4 wants it: everything but A–Z a–z 0–9 - . _ ~ as %XX. */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

/** S3's canonical URI: each path segment decoded once and encoded once (no double encoding, no normalising). */
const canonicalUri = (path: string) => path.split('/').map((seg) => uriEncode(decode(seg))).join('/') || '/';

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const key = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? '' : p.slice(eq + 1);
      return [uriEncode(decode(key)), uriEncode(decode(value))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(headers: V4Request['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** `20130524T000000Z` as ms, or undefined. */
function parseAmzDate(v: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks `Authorization: AWS4-HMAC-SHA256 ...` against the known AK/SK pairs. */
export function verifyAwsV4(req: V4Request, secretFor: (ak: string) => string | undefined, nowMs: number): V4Check {
  const auth = headerValue(req.headers, 'authorization');
  if (auth === undefined || auth === '') return { ok: false, code: 'AccessDenied', message: 'Anonymous access is forbidden for this operation' };
  const m = AUTH.exec(auth);
  if (!m) return { ok: false, code: 'AccessDenied', message: 'The authorization header is not an AWS4-HMAC-SHA256 signature' };
  const [, credential = '', signedList = '', signature = ''] = m;
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || scope[3] !== 's3')
    return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'The credential scope must be AK/date/region/s3/aws4_request' };
  const [ak = '', scopeDate = '', region = ''] = scope;
  const sk = secretFor(ak);
  if (sk === undefined) return { ok: false, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };

  const amzDate = headerValue(req.headers, 'x-amz-date') ?? '';
  const dateMs = parseAmzDate(amzDate);
  if (dateMs === undefined || !amzDate.startsWith(scopeDate))
    return { ok: false, code: 'AccessDenied', message: 'x-amz-date is missing, malformed or not the date of the credential scope' };
  if (Math.abs(nowMs - dateMs) > MAX_SKEW_MS)
    return { ok: false, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.' };

  const signed = signedList.split(';');
  if (!signed.includes('host')) return { ok: false, code: 'AccessDenied', message: 'host must be signed' };
  let canonicalHeaders = '';
  for (const name of signed) {
    const value = headerValue(req.headers, name);
    if (value === undefined) return { ok: false, code: 'SignatureDoesNotMatch', message: `signed header ${name} is missing` };
    canonicalHeaders += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  }

  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  const bodyHash = req.body.length > 0 ? sha256Hex(req.body) : EMPTY_SHA256;
  if (declared !== undefined && /^[0-9a-f]{64}$/.test(declared) && declared !== bodyHash)
    return { ok: false, code: 'XAmzContentSHA256Mismatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  const payloadHash = declared ?? bodyHash;

  const q = req.rawUrl.indexOf('?');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(q < 0 ? req.rawUrl : req.rawUrl.slice(0, q)),
    canonicalQuery(q < 0 ? '' : req.rawUrl.slice(q + 1)),
    canonicalHeaders,
    signedList,
    payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope.slice(1).join('/'), sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${sk}`, scopeDate), region), 's3'), 'aws4_request');
  if (sameHex(createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex'), signature)) return { ok: true, ak, region };
  return { ok: false, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
}
