// OBS, read-only: the evidence ims-transfer needs about buckets and objects (does the export's
// target object exist and is it whole, where is a bucket and of which storage class, does an
// import's source object exist). Path-style URLs on OBS's S3-compatible API, signed with SigV4.
import { Pool } from 'undici';
import type { ObsSettings } from './settings.js';
import { signV4, type SigningKey } from './sigv4.js';


/** Where to ask and as whom: OBS takes AK/SK only (an IAM password cannot sign). */
export interface ObsTarget {
  region: string;
  key: SigningKey;
}

export type ObjectHead = { exists: false } | { exists: true; size: number | null; storageClass: string | null };

export type ObsErrorKind = 'auth' | 'no-bucket' | 'retryable' | 'refused';

/** A failed OBS call, typed by what the caller should do; never carries a key or signature. */
export class ObsError extends Error {
  constructor(
    readonly kind: ObsErrorKind,
    readonly status: number | null,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ObsError';
  }
}

export interface ObsClient {
  /** Whether the object exists; OBS shows an object only once its upload completed. */
  headObject(target: ObsTarget, bucket: string, objectKey: string): Promise<ObjectHead>;
  /** The region the bucket lives in. */
  bucketRegion(target: ObsTarget, bucket: string): Promise<string>;
  /** The bucket's default storage class: STANDARD, WARM or COLD. */
  bucketStorageClass(target: ObsTarget, bucket: string): Promise<string>;
  close(): Promise<void>;
}

/** `bucket:object` as IMS takes it. */
export function splitBucketUrl(bucketUrl: string): { bucket: string; object: string } | null {
  const colon = bucketUrl.indexOf(':');
  if (colon < 1 || colon === bucketUrl.length - 1) return null;
  return { bucket: bucketUrl.slice(0, colon), object: bucketUrl.slice(colon + 1) };
}

function encodeKey(objectKey: string): string {
  return objectKey.split('/').map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}

/** The text of the first `<name>` element of an S3/OBS XML answer. */
function xmlText(body: string, ...names: string[]): string | null {
  for (const name of names) {
    const m = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(body);
    if (m) return (m[1] ?? '').trim();
  }
  return null;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function createObsClient(settings: ObsSettings, now: () => Date = () => new Date()): ObsClient {
  const pools = new Map<string, Pool>();
  const originFor = (region: string) => (settings.regions[region] ?? settings.endpoint).replaceAll('{region}', region).replace(/\/+$/, '');
  const poolFor = (origin: string) => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 8, connect: { timeout: settings.timeoutMs }, headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs });
      pools.set(origin, pool);
    }
    return pool;
  };

  async function once(method: 'GET' | 'HEAD', target: ObsTarget, pathAndQuery: string): Promise<Answer> {
    const origin = originFor(target.region);
    const headers = signV4({ method, url: `${origin}${pathAndQuery}`, headers: {} }, target.key, target.region, 's3', now());
    const res = await poolFor(origin).request({ method, path: pathAndQuery, headers });
    // Error and XML answers are small; anything larger is not one we read.
    const body = method === 'HEAD' ? '' : (await res.body.text()).slice(0, 64 * 1024);
    if (method === 'HEAD') await res.body.dump();
    return { status: res.statusCode, headers: res.headers, body };
  }

  async function call(method: 'GET' | 'HEAD', target: ObsTarget, pathAndQuery: string, what: string): Promise<Answer> {
    let last: ObsError | null = null;
    for (let attempt = 1; attempt <= settings.attempts; attempt++) {
      let answer: Answer;
      try {
        answer = await once(method, target, pathAndQuery);
      } catch (err) {
        last = new ObsError('retryable', null, String((err as { code?: unknown }).code ?? 'NETWORK'), `OBS did not answer ${what}`);
        continue;
      }
      if (answer.status === 429 || answer.status >= 500) {
        last = new ObsError('retryable', answer.status, xmlText(answer.body, 'Code'), `OBS answered ${answer.status} to ${what}`);
        continue;
      }
      return answer;
    }
    throw last ?? new ObsError('retryable', null, null, `OBS did not answer ${what}`);
  }

  function failure(answer: Answer, what: string, notFound: 'no-bucket' | null): ObsError {
    const code = xmlText(answer.body, 'Code');
    if (answer.status === 401 || answer.status === 403) {
      return new ObsError('auth', answer.status, code, `OBS refused our credentials for ${what} (${code ?? answer.status})`);
    }
    if (answer.status === 404 && notFound) return new ObsError(notFound, 404, code ?? 'NoSuchBucket', `${what}: the bucket does not exist`);
    return new ObsError('refused', answer.status, code, `OBS answered ${answer.status}${code ? ` ${code}` : ''} to ${what}`);
  }

  const header = (answer: Answer, name: string): string | null => {
    const v = answer.headers[name];
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  };

  return {
    async headObject(target, bucket, objectKey) {
      const what = `HEAD ${bucket}:${objectKey}`;
      const answer = await call('HEAD', target, `/${bucket}/${encodeKey(objectKey)}`, what);
      if (answer.status === 404) return { exists: false };
      if (answer.status >= 300) throw failure(answer, what, null);
      const length = Number(header(answer, 'content-length'));
      return {
        exists: true,
        size: Number.isFinite(length) ? length : null,
        storageClass: header(answer, 'x-obs-storage-class') ?? header(answer, 'x-amz-storage-class'),
      };
    },
    async bucketRegion(target, bucket) {
      const what = `the location of bucket ${bucket}`;
      const answer = await call('GET', target, `/${bucket}?location`, what);
      if (answer.status >= 300) throw failure(answer, what, 'no-bucket');
      const region = xmlText(answer.body, 'Location', 'LocationConstraint');
      if (!region) throw new ObsError('refused', answer.status, null, `OBS named no region for bucket ${bucket}`);
      return region;
    },
    async bucketStorageClass(target, bucket) {
      const what = `the storage class of bucket ${bucket}`;
      const answer = await call('GET', target, `/${bucket}?storageClass`, what);
      if (answer.status >= 300) throw failure(answer, what, 'no-bucket');
      // OBS answers STANDARD, WARM or COLD; an S3-style answer may say STANDARD_IA or GLACIER.
      return (xmlText(answer.body, 'StorageClass', 'DefaultStorageClass') || 'STANDARD').toUpperCase();
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  };
}
