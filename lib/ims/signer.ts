// AK/SK request signing, SDK-HMAC-SHA256 (ims-api.md), canonicalised exactly as Huawei's own
// AKSKSigner.sign in @huaweicloud/huaweicloud-sdk-core does it: pure, so a test can compare the two.
import { createHash, createHmac } from 'node:crypto';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';

export interface RequestToSign {
  method: string;
  /** The absolute URL as it will be sent (path percent-encoded as on the wire). */
  url: string;
  /** Every header that will be sent and signed; `host` and `X-Sdk-Date` are added here. */
  headers: Record<string, string>;
  /** The exact body bytes that will be sent, if any. */
  body?: string;
}

export interface AkSk {
  ak: string;
  sk: string;
}

/** `X-Sdk-Date` format: YYYYMMDDTHHMMSSZ in UTC. */
export function sdkDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3986 unreserved characters stay, everything else is %XX of its UTF-8 bytes (as the SDK's urlEncode). */
export function signingEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');

function canonicalUri(pathname: string): string {
  const encoded = pathname.split('/').map(signingEncode).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

function canonicalQuery(search: URLSearchParams): string {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of search) byKey.set(key, [...(byKey.get(key) ?? []), value]);
  return [...byKey.keys()]
    .sort(byCodeUnit)
    .flatMap((key) => (byKey.get(key) ?? []).sort(byCodeUnit).map((value) => `${signingEncode(key)}=${signingEncode(value)}`))
    .join('&');
}

/**
 * The headers to send for a signed request: the given ones plus `host`, `X-Sdk-Date` and `Authorization`.
 * Set `X-Project-Id` in `headers` for project-scoped calls; it is then signed too.
 */
export function signRequest(request: RequestToSign, credentials: AkSk, date: Date): Record<string, string> {
  const url = new URL(request.url);
  const headers: Record<string, string> = { ...request.headers };
  const dateHeader = Object.keys(headers).find((k) => k.toLowerCase() === 'x-sdk-date');
  const timestamp = dateHeader ? (headers[dateHeader] ?? sdkDate(date)) : sdkDate(date);
  if (!dateHeader) headers['X-Sdk-Date'] = timestamp;
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'host')) headers.host = url.host;

  const names = Object.keys(headers).sort((a, b) => byCodeUnit(a.toLowerCase(), b.toLowerCase()));
  const signedHeaders = names.map((n) => n.toLowerCase()).join(';');
  const canonicalHeaders = names.map((n) => `${n.toLowerCase()}:${headers[n] ?? ''}\n`).join('');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.searchParams),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(request.body ?? ''),
  ].join('\n');
  const stringToSign = [SIGNING_ALGORITHM, timestamp, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', credentials.sk).update(stringToSign, 'utf8').digest('hex');
  return {
    ...headers,
    Authorization: `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
