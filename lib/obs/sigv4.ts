// AWS Signature Version 4 for OBS's S3-compatible API (OBS accepts it beside its own signature).
// Written on node:crypto: the signer is ~60 lines, while an S3 SDK client would add hundreds of KiB
// to the worker and poller for three read-only calls.
import { createHash, createHmac } from 'node:crypto';

export interface SigningKey {
  ak: string;
  sk: string;
}

export interface RequestToSign {
  method: string;
  /** Absolute URL; its path must already be URI-encoded as it goes on the wire. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding, as SigV4 wants it for query keys and values. */
function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(search: URLSearchParams): string {
  return [...search.entries()]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `20150830T123600Z`: ISO 8601 basic format, as `x-amz-date` carries it. */
export function amzDate(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * The headers to add to a request so that `service` in `region` accepts it: `x-amz-date`,
 * `x-amz-content-sha256` and `authorization`. Every header given (and `host`) is signed.
 */
export function signV4(request: RequestToSign, key: SigningKey, region: string, service: string, at: Date): Record<string, string> {
  const url = new URL(request.url);
  const date = amzDate(at);
  const day = date.slice(0, 8);
  const payloadHash = sha256Hex(request.body ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value.trim().replace(/\s+/g, ' ');
  headers.host = url.host;
  headers['x-amz-date'] = date;
  if (service === 's3') headers['x-amz-content-sha256'] = payloadHash;
  const names = Object.keys(headers).sort();
  const canonical = [
    request.method.toUpperCase(),
    url.pathname || '/',
    canonicalQuery(url.searchParams),
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.sk}`, day), region), service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  const { host: _host, ...added } = headers;
  return {
    ...added,
    authorization: `AWS4-HMAC-SHA256 Credential=${key.ak}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
