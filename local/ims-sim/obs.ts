// The OBS stand-in: buckets with a region and storage class, objects, and the S3-compatible reads a
// client needs for evidence (HEAD/GET object, bucket location and storage class), path-style only.
import * as z from 'zod';
import { requestId, type SimAnswer } from './errors.js';
import { isBucketName } from './rules.js';

/** OBS's storage classes; the S3 names (STANDARD_IA, GLACIER) are taken as their equals. */
export const storageClass = z
  .enum(['STANDARD', 'WARM', 'COLD', 'STANDARD_IA', 'GLACIER'])
  .transform((c) => (c === 'STANDARD_IA' ? 'WARM' : c === 'GLACIER' ? 'COLD' : c));
export type StorageClass = 'STANDARD' | 'WARM' | 'COLD';

const S3_CLASS: Record<StorageClass, string> = { STANDARD: 'STANDARD', WARM: 'STANDARD_IA', COLD: 'GLACIER' };

export const simBucket = z.object({
  name: z.string().refine(isBucketName, 'must follow the OBS bucket naming rules'),
  region: z.string().min(1),
  storageClass: z.enum(['STANDARD', 'WARM', 'COLD']),
  createdMs: z.number(),
});
export type SimBucket = z.infer<typeof simBucket>;

export const simObject = z.object({
  bucket: z.string(),
  key: z.string().min(1),
  size: z.number().int().min(0),
  /** The image format, when known (`raw`, `zvhd2`, `qcow2`, ...); else IMS goes by the name's extension. */
  format: z.string().optional(),
  /** An object still being written (an upload in progress) is not readable: HEAD/GET answer 404. */
  complete: z.boolean(),
  lastModifiedMs: z.number(),
});
export type SimObject = z.infer<typeof simObject>;

/** `POST /_sim/buckets` body. */
export const newBucket = z.strictObject({
  name: z.string().refine(isBucketName, 'must follow the OBS bucket naming rules'),
  region: z.string().min(1).optional(),
  storage_class: storageClass.optional(),
});

/** `POST /_sim/objects` body. */
export const newObject = z.strictObject({
  bucket: z.string().refine(isBucketName, 'must follow the OBS bucket naming rules'),
  key: z.string().min(1).max(1024),
  size: z.number().int().min(0).optional(),
  format: z.string().min(1).optional(),
  complete: z.boolean().optional(),
});

export const objectId = (bucket: string, key: string) => `${bucket}:${key}`;

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** S3's error document; OBS answers the same shape on its S3-compatible interface. */
export function s3Error(status: number, code: string, message: string, resource: string): SimAnswer {
  const id = requestId().slice(0, 16).toUpperCase();
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource>` +
    `<RequestId>${id}</RequestId><HostId>${id}</HostId></Error>`;
  return { status, body: undefined, xml, headers: { 'x-amz-request-id': id, 'x-obs-request-id': id } };
}

/** What an OBS read sees of the simulated store. */
export interface ObsView {
  bucket(name: string): SimBucket;
  object(bucket: string, key: string): SimObject | undefined;
}

const httpDate = (ms: number) => new Date(ms).toUTCString();
const etagOf = (o: SimObject) => `"${Buffer.from(`${o.bucket}/${o.key}/${o.size}/${o.lastModifiedMs}`).toString('hex').slice(0, 32).padEnd(32, '0')}"`;

function objectHeaders(o: SimObject, b: SimBucket): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'content-length': String(o.size),
    'last-modified': httpDate(o.lastModifiedMs),
    etag: etagOf(o),
    'accept-ranges': 'bytes',
  };
  // S3 and OBS name the class only when it is not Standard.
  if (b.storageClass !== 'STANDARD') {
    headers['x-amz-storage-class'] = S3_CLASS[b.storageClass];
    headers['x-obs-storage-class'] = b.storageClass;
  }
  if (o.format !== undefined) {
    headers['x-amz-meta-format'] = o.format;
    headers['x-obs-meta-format'] = o.format;
  }
  return headers;
}

/** The path-style OBS calls: `/{bucket}` with `?location`, `?storageClass`, `?storagePolicy`, and `/{bucket}/{key}`. */
export function answerObs(method: string, path: string, query: URLSearchParams, view: ObsView, rangeHeader: string | undefined): SimAnswer {
  const slash = path.indexOf('/', 1);
  const bucketName = decodeSafe(slash < 0 ? path.slice(1) : path.slice(1, slash));
  const key = slash < 0 ? '' : decodeSafe(path.slice(slash + 1));
  if (!isBucketName(bucketName)) return s3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.', path);
  const bucket = view.bucket(bucketName);

  if (key === '') {
    if (method === 'HEAD')
      return {
        status: 200,
        body: undefined,
        headers: { 'x-amz-bucket-region': bucket.region, 'x-obs-bucket-location': bucket.region, 'x-obs-storage-class': bucket.storageClass },
      };
    if (method !== 'GET') return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', path);
    if (query.has('location'))
      return xmlAnswer(`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${xmlEscape(bucket.region)}</LocationConstraint>`);
    if (query.has('storageClass'))
      return xmlAnswer(`<StorageClass xmlns="http://obs.${xmlEscape(bucket.region)}.myhuaweicloud.com/doc/2015-06-30/">${bucket.storageClass}</StorageClass>`);
    if (query.has('storagePolicy'))
      return xmlAnswer(
        `<GetBucketStoragePolicyResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><DefaultStorageClass>${S3_CLASS[bucket.storageClass]}</DefaultStorageClass></GetBucketStoragePolicyResult>`,
      );
    return s3Error(501, 'NotImplemented', 'The simulator answers ?location, ?storageClass and ?storagePolicy on a bucket.', path);
  }

  if (method !== 'GET' && method !== 'HEAD') return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', path);
  const object = view.object(bucketName, key);
  if (!object || !object.complete) {
    // HEAD answers carry no body, so S3 shows only the status.
    return method === 'HEAD' ? { status: 404, body: undefined } : s3Error(404, 'NoSuchKey', 'The specified key does not exist.', path);
  }
  const headers = objectHeaders(object, bucket);
  const range = parseRange(rangeHeader, object.size);
  if (range === 'invalid') return s3Error(416, 'InvalidRange', 'The requested range is not satisfiable', path);
  if (range) {
    const length = range.end - range.start + 1;
    return {
      status: 206,
      body: undefined,
      zeros: method === 'GET' ? length : undefined,
      headers: { ...headers, 'content-length': String(length), 'content-range': `bytes ${range.start}-${range.end}/${object.size}` },
    };
  }
  return { status: 200, body: undefined, zeros: method === 'GET' ? object.size : undefined, headers };
}

function xmlAnswer(inner: string): SimAnswer {
  return { status: 200, body: undefined, xml: `<?xml version="1.0" encoding="UTF-8"?>\n${inner}` };
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'invalid' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Math.min(Number(m[2]), size);
    return suffix === 0 ? 'invalid' : { start: size - suffix, end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? 'invalid' : { start, end };
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
