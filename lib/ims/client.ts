// The IMS client: what ims-transfer needs from IMS (submit once, look at jobs and images), with
// validation before sending, token or AK/SK auth, GET retries, and POSTs that are never retried
// unless the request provably never left.
import * as z from '../zod.js';
import { logger } from '../log.js';
import { createTokenCache, requestProjectToken, type TokenScope } from './auth.js';
import { ImsError, kindOfAnswer, parseErrorBody, retryAfterMs } from './errors.js';
import { createHttpTransport, TransportFailure, type HttpAnswer, type HttpTransport } from './http.js';
import {
  captureBody,
  dataImportBody,
  exportBody,
  quickImportBody,
  systemImportBody,
  type CaptureBody,
  type DataImportBody,
  type ExportBody,
  type QuickImportBody,
  type SystemImportBody,
} from './schemas.js';
import { imageFilter, imageList, imsJob, jobIdResponse, type ImageFilter, type ImsImage, type ImsJob } from './answers.js';
import { regionName, uuid } from './fields.js';
import { endpointsFor, imsAuth, type ImsAuth, type ImsSettings } from './settings.js';
import { signRequest } from './signer.js';
import { measuredTransport } from '../metrics.js';

/** Where a call goes, and with whose credentials: `auth` (a tenant's own) replaces the service's. */
export const imsTarget = z.object({
  region: regionName,
  projectId: z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a project id')),
  auth: z.optional(imsAuth),
});
export type ImsTarget = z.infer<typeof imsTarget>;

export type ImportDisk = 'system' | 'data' | 'quick';
export interface ImportBodies {
  system: SystemImportBody;
  data: DataImportBody;
  quick: QuickImportBody;
}

export interface SubmittedJob {
  jobId: string;
}

export interface ImsClient {
  exportImage(target: ImsTarget, imageId: string, body: ExportBody): Promise<SubmittedJob>;
  importImage<D extends ImportDisk>(target: ImsTarget, disk: D, body: ImportBodies[D]): Promise<SubmittedJob>;
  captureImage(target: ImsTarget, body: CaptureBody): Promise<SubmittedJob>;
  getJob(target: ImsTarget, jobId: string): Promise<ImsJob>;
  /** The image, or null when IMS does not know it. */
  getImage(target: ImsTarget, imageId: string): Promise<ImsImage | null>;
  findImages(target: ImsTarget, filter: ImageFilter): Promise<ImsImage[]>;
  close(): Promise<void>;
}

export interface ImsClientDeps {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the backoff jitter. */
  random?: () => number;
  transport?: HttpTransport;
}

/** Retry-After beyond this is not waited for inside one call: the caller reschedules instead. */
const MAX_RETRY_AFTER_MS = 60_000;

const IMPORT_CALLS = {
  system: { schema: systemImportBody, path: '/v2/cloudimages/action', operation: 'ims.importSystem' },
  data: { schema: dataImportBody, path: '/v1/cloudimages/dataimages/action', operation: 'ims.importData' },
  quick: { schema: quickImportBody, path: '/v2/cloudimages/quickimport/action', operation: 'ims.importQuick' },
} as const;

const jobIdParam = z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an IMS job id'));

interface CallSpec {
  operation: string;
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** 404 is an answer the caller handles (not an error). */
  allow404?: boolean;
}

/** Our own refusal, before any HTTP call: the field that breaks a rule, IMS-style. */
function refuse(operation: string, error: z.core.$ZodError, prefix?: string): ImsError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== undefined && p !== '').join('.');
  return new ImsError({
    kind: 'refused',
    operation,
    status: null,
    code: 'validation',
    field: path || null,
    message: `${path || 'body'}: ${issue?.message ?? 'is invalid'}`,
  });
}

function validate<T>(operation: string, schema: z.ZodMiniType<T>, value: unknown, prefix?: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw refuse(operation, parsed.error, prefix);
  return parsed.data;
}

/** RFC 3986 query encoding (spaces as %20, never `+`). */
function queryString(query: Record<string, string> | undefined): string {
  if (!query) return '';
  const parts = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export function createImsClient(settings: ImsSettings, deps: ImsClientDeps = {}): ImsClient {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const transport = measuredTransport(deps.transport ?? createHttpTransport(settings.timeouts));
  // One cache for every credential set: its key includes the credentials, so tenants never share a token.
  const tokens = createTokenCache({
    fetchToken: (scope) => requestProjectToken(transport, scope.iamOrigin, scope.auth, scope.projectId),
    now,
    refreshAheadMs: settings.tokenRefreshAheadMs,
  });
  const authOf = (target: ImsTarget): ImsAuth => target.auth ?? settings.auth;
  /** IMS origins whose Huawei progress call answered 404 (OTC): ask the status call directly. */
  const noProgressCall = new Set<string>();

  function backoffMs(retry: number): number {
    const { baseMs, capMs } = settings.getRetry;
    return Math.round(random() * Math.min(capMs, baseMs * 2 ** retry));
  }

  async function authHeaders(
    target: ImsTarget,
    spec: CallSpec,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    iam: string,
  ): Promise<{ headers: Record<string, string>; token: string | null; scope: TokenScope | null }> {
    const auth = authOf(target);
    if (auth.kind === 'aksk') {
      const signed = signRequest(
        { method: spec.method, url, headers: { ...headers, 'X-Project-Id': target.projectId }, ...(body === undefined ? {} : { body }) },
        { ak: auth.ak, sk: auth.sk },
        new Date(now()),
      );
      return { headers: signed, token: null, scope: null };
    }
    const scope: TokenScope = { iamOrigin: iam, projectId: target.projectId, auth };
    const token = await tokens.get(scope);
    return { headers: { ...headers, 'X-Auth-Token': token }, token, scope };
  }

  /** One IMS call with auth, retries by kind and one log line per attempt. */
  async function call(target: ImsTarget, spec: CallSpec): Promise<HttpAnswer> {
    const { ims, iam } = endpointsFor(settings, target.region);
    const path = `${spec.path}${queryString(spec.query)}`;
    const url = `${ims}${path}`;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const baseHeaders: Record<string, string> = {
      host: new URL(ims).host,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json;charset=utf8' }),
    };
    const attempts = settings.getRetry.attempts;
    let refreshedToken = false;

    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const { headers, token, scope } = await authHeaders(target, spec, url, baseHeaders, body, iam);
      const credentials = target.auth ? 'tenant' : 'service';
      const log = { operation: spec.operation, method: spec.method, path: spec.path, region: target.region, credentials, attempt };
      let answer: HttpAnswer;
      try {
        answer = await transport.send(ims, { method: spec.method, path, headers, ...(body === undefined ? {} : { body }) });
      } catch (err) {
        const failure = err instanceof TransportFailure ? err : new TransportFailure('UND_ERR', true, false);
        logger.warn('ims call failed', { ...log, error: failure.code, sent: failure.sent, durationMs: Math.round(performance.now() - started) });
        if (spec.method === 'POST' && failure.sent)
          throw new ImsError({
            kind: 'unknown-outcome',
            operation: spec.operation,
            status: null,
            code: failure.code,
            message: failure.timedOut
              ? 'IMS did not answer in time after receiving the request; it may or may not have acted'
              : 'the connection broke after the request was sent; IMS may or may not have acted',
          });
        const error = new ImsError({
          kind: 'retryable',
          operation: spec.operation,
          status: null,
          code: failure.code,
          message: failure.sent ? 'IMS did not answer in time' : 'IMS could not be reached',
        });
        if (attempt >= attempts) throw error;
        await sleep(backoffMs(attempt - 1));
        continue;
      }

      const durationMs = Math.round(performance.now() - started);
      const level = answer.status >= 400 ? 'warn' : spec.method === 'POST' ? 'info' : 'debug';
      logger[level]('ims call', { ...log, status: answer.status, durationMs });

      if (answer.status >= 200 && answer.status < 300) return answer;
      if (answer.status === 404 && spec.allow404) return answer;

      const { code, message } = parseErrorBody(answer.body);
      const kind = kindOfAnswer(spec.method, answer.status, code);

      if (kind === 'auth' && token !== null && scope !== null && !refreshedToken) {
        // IMS did nothing with a refused token: a fresh token and one more try is safe even for a POST.
        tokens.invalidate(scope, token);
        refreshedToken = true;
        attempt--;
        continue;
      }

      const wait = retryAfterMs(answer.headers['retry-after'], now());
      const error = new ImsError({
        kind,
        operation: spec.operation,
        status: answer.status,
        code,
        message: message ?? (kind === 'auth' ? 'IMS refused the credentials' : `IMS answered ${answer.status}`),
        retryAfterMs: wait,
      });
      // A POST that got an answer was not lost, but IMS may have acted on it: the caller decides.
      if (kind !== 'retryable' || spec.method === 'POST' || attempt >= attempts) throw error;
      if (wait !== null && wait > MAX_RETRY_AFTER_MS) throw error;
      await sleep(Math.max(wait ?? 0, backoffMs(attempt - 1)));
    }
  }

  function parseAnswer<T>(spec: CallSpec, schema: z.ZodMiniType<T>, answer: HttpAnswer): T {
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch {
      json = undefined;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    throw new ImsError({
      kind: spec.method === 'POST' ? 'unknown-outcome' : 'retryable',
      operation: spec.operation,
      status: answer.status,
      code: 'bad-answer',
      message: 'IMS answered with a body this client cannot read',
    });
  }

  async function submit(target: ImsTarget, spec: CallSpec): Promise<SubmittedJob> {
    const answer = await call(target, spec);
    return { jobId: parseAnswer(spec, jobIdResponse, answer).job_id };
  }

  async function exportImage(target: ImsTarget, imageId: string, body: ExportBody): Promise<SubmittedJob> {
    const operation = 'ims.export';
    const t = validate(operation, imsTarget, target);
    const id = validate(operation, uuid, imageId, 'image_id');
    const valid = validate(operation, exportBody, body);
    return submit(t, { operation, method: 'POST', path: `/v1/cloudimages/${id}/file`, body: valid });
  }

  async function importImage<D extends ImportDisk>(target: ImsTarget, disk: D, body: ImportBodies[D]): Promise<SubmittedJob> {
    const spec = IMPORT_CALLS[disk as ImportDisk] as (typeof IMPORT_CALLS)[ImportDisk] | undefined;
    if (!spec)
      throw new ImsError({ kind: 'refused', operation: 'ims.import', status: null, code: 'validation', field: 'disk', message: 'disk: must be system, data or quick' });
    const t = validate(spec.operation, imsTarget, target);
    const valid = validate<unknown>(spec.operation, spec.schema, body);
    return submit(t, { operation: spec.operation, method: 'POST', path: spec.path, body: valid });
  }

  async function captureImage(target: ImsTarget, body: CaptureBody): Promise<SubmittedJob> {
    const operation = 'ims.capture';
    const t = validate(operation, imsTarget, target);
    const valid = validate(operation, captureBody, body);
    return submit(t, { operation, method: 'POST', path: '/v2/cloudimages/action', body: valid });
  }

  async function getJob(target: ImsTarget, jobId: string): Promise<ImsJob> {
    const t = validate('ims.getJob', imsTarget, target);
    const id = validate('ims.getJob', jobIdParam, jobId, 'job_id');
    const { ims } = endpointsFor(settings, t.region);
    if (!noProgressCall.has(ims)) {
      const spec: CallSpec = { operation: 'ims.jobProgress', method: 'GET', path: `/v1/cloudimages/job/${id}`, allow404: true };
      const answer = await call(t, spec);
      if (answer.status !== 404) return parseAnswer(spec, imsJob, answer);
    }
    const spec: CallSpec = { operation: 'ims.getJob', method: 'GET', path: `/v1/${t.projectId}/jobs/${id}` };
    const job = parseAnswer(spec, imsJob, await call(t, spec));
    // Only now is the 404 known to mean "no progress call here" rather than "no such job".
    noProgressCall.add(ims);
    return job;
  }

  async function findImages(target: ImsTarget, filter: ImageFilter): Promise<ImsImage[]> {
    const operation = 'ims.findImages';
    const t = validate(operation, imsTarget, target);
    const f = validate(operation, imageFilter, filter);
    const query = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const spec: CallSpec = { operation, method: 'GET', path: '/v2/cloudimages', query };
    return parseAnswer(spec, imageList, await call(t, spec)).images;
  }

  async function getImage(target: ImsTarget, imageId: string): Promise<ImsImage | null> {
    const id = validate('ims.getImage', uuid, imageId, 'image_id');
    const images = await findImages(target, { id });
    return images.find((image) => image.id === id) ?? null;
  }

  return {
    exportImage,
    importImage,
    captureImage,
    getJob,
    getImage,
    findImages,
    close: () => transport.close(),
  };
}
