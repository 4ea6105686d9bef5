// The IMS simulator: IAM tokens, AK/SK checks, the IMS calls ims-transfer makes and the OBS reads it
// needs for evidence, on one node:http origin, with a control API under /_sim/ for tests.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { verifySignature } from './aksk.js';
import { answerObs, newBucket, newObject, objectId, s3Error, simBucket, simObject, type SimBucket, type SimObject } from './obs.js';
import { formatFromName, isUuid, QUICK_IMPORT_FORMATS } from './rules.js';
import { verifyAwsV4 } from './sigv4.js';
import { SIM_DEFAULTS } from './defaults.js';
import {
  faultBody,
  gatewayError,
  IMS_CODES,
  type ImsCode,
  iamError,
  imsError,
  requestId,
  tokenExpired,
  type SimAnswer,
} from './errors.js';
import {
  baseImageAttrs,
  exportRefusal,
  imageView,
  isoMs,
  jobBody,
  jobProgress,
  newImageId,
  newJobId,
  platformOf,
  seedImages,
  simImage,
  simJob,
  type SimImage,
  type SimJob,
} from './state.js';
import {
  validateCapture,
  validateDataImport,
  validateExport,
  validateQuickImport,
  validateSystemImport,
  type Body,
  type ImportRequest,
} from './validate.js';

export interface SimCredentials { ak: string; sk: string; domain: string; user: string; password: string; projectId: string }
/** A project an account may act in, and the region it lives in (an OBS bucket must be in the same region). */
export interface SimProject { id: string; region: string }
/** One more account: an AK/SK pair, an IAM user, or both, and the projects it (and only it) may enter. */
export interface SimAccount { ak?: string; sk?: string; domain?: string; user?: string; password?: string; projects: SimProject[] }
export interface SimOptions {
  port?: number;              // 0 = random free port (default 0)
  host?: string;              // default '127.0.0.1'
  credentials?: Partial<SimCredentials>;   // defaults: SIM_DEFAULTS
  jobMs?: number;             // how long a simulated job runs from INIT to SUCCESS/FAIL (default 5000)
  tokenTtlMs?: number;        // IAM token lifetime (default 24 h)
  progressApi?: boolean;      // serve Huawei's GET /v1/cloudimages/job/{job_id} (default true); false = 404 like OTC
  now?: () => number;         // the clock (ms since epoch), default Date.now — tests move time with it
  extraCredentials?: SimAccount[];   // more accounts besides `credentials`, each with its own projects
  stateDir?: string;          // keep jobs, images, buckets, objects and tokens here (JSON, written through); loaded at start
  uniqueImageNames?: boolean; // refuse a second live image of one name in a project with IMG.0009 (default false: IMS allows namesakes)
}
export interface SimCall {
  /** Which stand-in answered: IAM (tokens), IMS or OBS. */
  service: 'iam' | 'ims' | 'obs';
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  time: string;
  auth: 'token' | 'aksk' | 'sigv4' | 'none';
}
/**
 * A status fault answers at once and IMS does nothing, or with `acted: true` IMS performs the call
 * first and the error replaces its answer (a gateway 502/504 after the backend finished). A delay fault stalls the call: by default
 * (`lost: "answer"`) IMS acts on it and only its answer is held back, as when a response is lost
 * on the way back; with `lost: "request"` the call never reaches IMS and, after the delay, the
 * gateway answers 504 (what a caller that waited that long would see).
 */
export type SimFault =
  | { match: string; status: number; body?: unknown; times?: number; acted?: boolean }
  | { match: string; delay_ms: number; times?: number; lost?: 'answer' | 'request' };
export interface ImsSimulator {
  url: string;                // 'http://127.0.0.1:PORT' — IAM (/v3/auth/tokens) and IMS on this one origin
  /** OBS (path-style, SigV4) on the same origin: `${obsUrl}/{bucket}/{key}`. */
  obsUrl: string;
  port: number;
  calls(): SimCall[];         // same data as GET /_sim/calls (IAM, IMS and OBS calls; never /_sim/ ones)
  addFault(fault: SimFault): void;   // same as POST /_sim/faults
  addImage(image: { id: string; name: string } & Record<string, unknown>): void;  // same as POST /_sim/images
  addBucket(bucket: z.input<typeof newBucket>): SimBucket;   // same as POST /_sim/buckets
  addObject(object: z.input<typeof newObject>): SimObject;   // same as POST /_sim/objects
  forgetJob(jobId: string): boolean;   // same as POST /_sim/jobs/{id}/forget: the job query answers 404 from now on
  reset(): void;              // same as POST /_sim/reset: forget calls, faults, jobs, tokens, buckets, objects, created images; seeds come back
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const FAIL_PREFIX = 'sim-fail';
/** An import source whose bucket or object name starts with this is not found (in buckets nobody created). */
const MISSING_PREFIX = 'sim-missing';
const DEFAULT_OBJECT_BYTES = 10 * 1024 ** 3;

const faultMatch = z.string().regex(/^[A-Za-z]+ \/\S*$/, 'must look like "METHOD /path/with/*/segments"');
const faultTimes = z.number().int().min(1).optional();
export const simFaultSchema: z.ZodType<SimFault> = z.union([
  z.strictObject({ match: faultMatch, status: z.number().int().min(100).max(599), body: z.unknown().optional(), times: faultTimes, acted: z.boolean().optional() }),
  z.strictObject({
    match: faultMatch,
    delay_ms: z.number().int().min(0).max(600_000),
    times: faultTimes,
    lost: z.enum(['answer', 'request']).optional(),
  }),
]);

const addedImage = z.looseObject({ id: z.string().min(1), name: z.string().min(1) });

// IAM password-token request (ims-api.md "Token"); anything else IAM answers with 400 or 401.
const tokenRequest = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.string()),
      password: z
        .object({
          user: z.object({
            name: z.string(),
            password: z.string(),
            domain: z.object({ name: z.string().optional(), id: z.string().optional() }),
          }),
        })
        .optional(),
    }),
    scope: z
      .object({
        project: z
          .object({ id: z.string().optional(), name: z.string().optional(), domain: z.object({ name: z.string() }).partial().optional() })
          .optional(),
      })
      .optional(),
  }),
});

const tokenGrant = z.object({ expiresMs: z.number(), projectId: z.string().optional(), account: z.number().int() });
type TokenGrant = z.infer<typeof tokenGrant>;
interface ActiveFault { fault: SimFault; segments: string[]; method: string; remaining: number }
interface Caller { projectId: string; region: string }

const projectIdRule = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex characters, like an IAM project id');
/** One extra account as `extraCredentials` and IMS_SIM_EXTRA_CREDENTIALS take it. */
export const simAccountSchema = z
  .strictObject({
    ak: z.string().min(1).optional(),
    sk: z.string().min(1).optional(),
    domain: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    projects: z.array(z.strictObject({ id: projectIdRule, region: z.string().min(1).default(SIM_DEFAULTS.region) })).min(1),
  })
  .refine((a) => (a.ak === undefined) === (a.sk === undefined), 'ak and sk come together')
  .refine((a) => [a.domain, a.user, a.password].every((v) => v === undefined) || [a.domain, a.user, a.password].every((v) => v !== undefined), 'domain, user and password come together')
  .refine((a) => a.ak !== undefined || a.user !== undefined, 'give an AK/SK pair, an IAM user, or both');

interface Account extends SimAccount { domainId: string; userId: string }

/** What a state directory keeps; calls and faults are a test's business and are not kept. */
const storedState = z.object({
  version: z.literal(1),
  jobs: z.array(simJob),
  images: z.array(simImage),
  tokens: z.array(z.tuple([z.string(), tokenGrant])),
  buckets: z.array(simBucket),
  objects: z.array(simObject),
});
const STATE_FILE = 'state.json';

const hexId = (seed: string) => createHash('sha256').update(seed).digest('hex').slice(0, 32);

/** The body as the calls log may keep it: passwords, secrets and tokens replaced. */
function redacted(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redacted(v, parentKey));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const secret = /^(password|secret|sk|secret_key|security_token|access_token|token)$/i.test(key) && typeof v !== 'object';
    const tokenId = parentKey === 'token' && key === 'id';
    out[key] = secret || tokenId ? '******' : redacted(v, key);
  }
  return out;
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function startImsSimulator(options: SimOptions = {}): Promise<ImsSimulator> {
  const creds: SimCredentials = { ...pickCredentials(SIM_DEFAULTS), ...definedOnly(options.credentials ?? {}) };
  const now = options.now ?? Date.now;
  const jobMs = options.jobMs ?? 5000;
  const tokenTtlMs = options.tokenTtlMs ?? 24 * 60 * 60 * 1000;
  const progressApi = options.progressApi ?? true;
  const region = SIM_DEFAULTS.region;
  const accounts: Account[] = [
    { ...creds, projects: [{ id: creds.projectId, region }] },
    ...(options.extraCredentials ?? []).map((a) => simAccountSchema.parse(a)),
  ].map((a) => ({ ...a, domainId: hexId(`domain:${a.domain ?? ''}`), userId: hexId(`user:${a.domain ?? ''}:${a.user ?? ''}`) }));
  const regionOf = (projectId: string) =>
    accounts.flatMap((a) => a.projects).find((p) => p.id === projectId)?.region ?? region;

  let calls: SimCall[] = [];
  let faults: ActiveFault[] = [];
  const jobs = new Map<string, SimJob>();
  const images = new Map<string, SimImage>();
  const tokens = new Map<string, TokenGrant>();
  const buckets = new Map<string, SimBucket>();
  const objects = new Map<string, SimObject>();
  const pendingDelays = new Set<NodeJS.Timeout>();

  const seed = () => {
    for (const image of seedImages(creds.projectId, now())) if (!images.has(String(image.attrs.id))) images.set(String(image.attrs.id), image);
  };

  // ---- state directory: written through, each write a whole file renamed into place ----

  const statePath = options.stateDir === undefined ? undefined : join(options.stateDir, STATE_FILE);
  function persist(): void {
    if (options.stateDir === undefined || statePath === undefined) return;
    const state: z.infer<typeof storedState> = {
      version: 1,
      jobs: [...jobs.values()],
      images: [...images.values()],
      // Expired tokens are no use to a restarted simulator.
      tokens: [...tokens.entries()].filter(([, grant]) => grant.expiresMs > now()),
      buckets: [...buckets.values()],
      objects: [...objects.values()],
    };
    const temp = `${statePath}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(state));
    renameSync(temp, statePath);
  }
  function load(): void {
    if (options.stateDir === undefined || statePath === undefined) return;
    mkdirSync(options.stateDir, { recursive: true });
    if (!existsSync(statePath)) return;
    let state: z.infer<typeof storedState>;
    try {
      state = storedState.parse(JSON.parse(readFileSync(statePath, 'utf8')));
    } catch (err) {
      // Never start on half a memory: say which file to move away.
      throw new Error(`${statePath} is not a simulator state file (${err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message}); move it away to start afresh`);
    }
    for (const job of state.jobs) jobs.set(job.id, job);
    for (const image of state.images) images.set(String(image.attrs.id), image);
    for (const [token, grant] of state.tokens) tokens.set(token, grant);
    for (const bucket of state.buckets) buckets.set(bucket.name, bucket);
    for (const object of state.objects) objects.set(objectId(object.bucket, object.key), object);
  }
  let loadFailure: Error | undefined;
  try {
    load();
  } catch (err) {
    loadFailure = err as Error;
  }
  seed();

  const viewOf = (image: SimImage) => imageView(image, image.jobId ? jobs.get(image.jobId) : undefined, now(), jobMs);
  const visibleTo = (view: Record<string, unknown>, projectId: string) =>
    view.owner === projectId || view.__imagetype === 'gold' || view.visibility === 'public';

  // ---- OBS as IMS and the OBS reads see it ----

  /** A bucket nobody created is a Standard bucket in the simulator's region, so any name works by default. */
  const bucketOf = (name: string): SimBucket => buckets.get(name) ?? { name, region, storageClass: 'STANDARD', createdMs: 0 };
  const exportJobsTo = (key: string) => [...jobs.values()].filter((j) => j.type === 'imsNativeExportImageJob' && j.objectKey === key);

  /** The object an export job writes: absent while it runs and after a FAIL, complete from its SUCCESS on. */
  function exportedObject(job: SimJob): SimObject | undefined {
    const p = jobProgress(job, now(), jobMs);
    if (p.status !== 'SUCCESS' || job.objectKey === undefined) return undefined;
    const colon = job.objectKey.indexOf(':');
    const image = images.get(job.imageId);
    const bytes = Number(image?.attrs.__image_size ?? 0) || Number(image?.attrs.min_disk ?? 1) * 1024 ** 3;
    return {
      bucket: job.objectKey.slice(0, colon),
      key: job.objectKey.slice(colon + 1),
      size: bytes,
      format: job.exportFormat ?? 'zvhd2',
      complete: true,
      lastModifiedMs: p.endMs ?? now(),
    };
  }

  /** The object at `bucket:key` as OBS shows it now: one made through the control API, else a finished export. */
  function objectAt(bucket: string, key: string): SimObject | undefined {
    const stored = objects.get(objectId(bucket, key));
    if (stored) return stored;
    const written = exportJobsTo(objectId(bucket, key)).map(exportedObject).filter((o) => o !== undefined);
    return written.sort((a, b) => b.lastModifiedMs - a.lastModifiedMs)[0];
  }

  /** IMG.0070: a file is there, or an export that has not failed is writing it. */
  const exportTargetTaken = (bucket: string, key: string) =>
    objectAt(bucket, key) !== undefined ||
    exportJobsTo(objectId(bucket, key)).some((j) => jobProgress(j, now(), jobMs).status !== 'FAIL');

  /**
   * Whether IMS finds an import's source file: in a bucket made through the control API only what is
   * there; in any other bucket every file but those named `sim-missing...` (tests import from anywhere).
   */
  function importSourceFound(bucket: string, key: string): SimObject | 'implicit' | undefined {
    const found = objectAt(bucket, key);
    if (found) return found.complete ? found : undefined;
    if (buckets.has(bucket)) return undefined;
    return key.startsWith(MISSING_PREFIX) || bucket.startsWith(MISSING_PREFIX) ? undefined : 'implicit';
  }

  function addBucket(input: z.input<typeof newBucket>): SimBucket {
    const parsed = newBucket.parse(input);
    const bucket: SimBucket = { name: parsed.name, region: parsed.region ?? region, storageClass: parsed.storage_class ?? 'STANDARD', createdMs: now() };
    buckets.set(bucket.name, bucket);
    return bucket;
  }

  function addObject(input: z.input<typeof newObject>): SimObject {
    const parsed = newObject.parse(input);
    const object: SimObject = {
      bucket: parsed.bucket,
      key: parsed.key,
      size: parsed.size ?? DEFAULT_OBJECT_BYTES,
      ...(parsed.format !== undefined ? { format: parsed.format.toLowerCase() } : {}),
      complete: parsed.complete ?? true,
      lastModifiedMs: now(),
    };
    objects.set(objectId(object.bucket, object.key), object);
    return object;
  }

  /** IMS forgets a job (its query answers 404); what it made so far stays as it is now. */
  function forgetJob(jobId: string): boolean {
    const job = jobs.get(jobId);
    if (!job) return false;
    const written = exportedObject(job);
    if (written) objects.set(objectId(written.bucket, written.key), written);
    const image = images.get(job.imageId);
    if (image?.jobId === jobId) images.set(job.imageId, { attrs: viewOf(image) });
    jobs.delete(jobId);
    return true;
  }

  function addFault(fault: SimFault): void {
    const parsed = simFaultSchema.parse(fault);
    const space = parsed.match.indexOf(' ');
    faults.push({
      fault: parsed,
      method: parsed.match.slice(0, space).toUpperCase(),
      segments: parsed.match.slice(space + 1).split('/'),
      remaining: parsed.times ?? 1,
    });
  }

  function takeFault(method: string, path: string): SimFault | undefined {
    const segments = path.split('/');
    const active = faults.find(
      (f) =>
        f.method === method &&
        f.segments.length === segments.length &&
        f.segments.every((s, i) => s === '*' || s === segments[i]),
    );
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) faults = faults.filter((f) => f !== active);
    return active.fault;
  }

  function addImage(image: { id: string; name: string } & Record<string, unknown>): void {
    const parsed = addedImage.parse(image);
    const attrs = { ...baseImageAttrs({ id: parsed.id, name: parsed.name, projectId: creds.projectId, nowMs: now() }), ...parsed };
    images.set(parsed.id, { attrs });
  }

  function reset(): void {
    calls = [];
    faults = [];
    jobs.clear();
    images.clear();
    tokens.clear();
    buckets.clear();
    objects.clear();
    seed();
    persist();
  }

  // ---- IAM ----

  function issueToken(raw: Buffer): SimAnswer {
    const json = parseJson(raw);
    const parsed = json.ok ? tokenRequest.safeParse(json.value) : undefined;
    if (!parsed?.success) return iamError(400, 'The request body is invalid.');
    const { identity, scope } = parsed.data.auth;
    if (!identity.methods.includes('password') || !identity.password) return iamError(400, 'The authentication method is not supported.');
    const user = identity.password.user;
    // IAM does not say which of user, domain or password was wrong.
    const index = accounts.findIndex(
      (a) =>
        a.user !== undefined &&
        (user.domain.name === a.domain || user.domain.id === a.domainId) &&
        user.name === a.user &&
        user.password === a.password,
    );
    const account = accounts[index];
    if (!account) return iamError(401, 'The username or password is wrong.');
    const project = scope?.project;
    let scoped: SimProject | undefined;
    if (project) {
      // A project of another account, or none at all, is one this user cannot enter: 401 as Keystone answers it.
      scoped =
        project.id !== undefined ? account.projects.find((p) => p.id === project.id) : account.projects.find((p) => p.region === project.name);
      if (!scoped) return iamError(401, 'The project is not found or is not accessible.');
    }
    const token = `MIIT${randomBytes(240).toString('base64').replace(/\//g, '-').replace(/\+/g, '_')}`;
    const issued = now();
    tokens.set(token, { expiresMs: issued + tokenTtlMs, ...(scoped ? { projectId: scoped.id } : {}), account: index });
    const domainRef = { id: account.domainId, name: account.domain };
    return {
      status: 201,
      headers: { 'x-subject-token': token },
      body: {
        token: {
          expires_at: isoMs(issued + tokenTtlMs),
          issued_at: isoMs(issued),
          methods: ['password'],
          ...(scoped ? { project: { id: scoped.id, name: scoped.region, domain: domainRef } } : { domain: domainRef }),
          user: { id: account.userId, name: account.user, domain: domainRef, password_expires_at: '' },
          roles: [{ id: hexId('role:te_admin'), name: 'te_admin' }],
          catalog: [],
        },
      },
    };
  }

  // ---- authentication of IMS calls ----

  const secretFor = (ak: string) => accounts.find((a) => a.ak !== undefined && a.ak === ak)?.sk;

  function authenticate(req: IncomingMessage, rawUrl: string, raw: Buffer): Caller | SimAnswer {
    const token = header(req, 'x-auth-token');
    if (token !== undefined) {
      const grant = tokens.get(token);
      if (!grant) return gatewayError(401, 'the token is invalid');
      if (grant.expiresMs <= now()) return tokenExpired();
      if (!grant.projectId) return imsError('IMG.0030', 403); // a domain-scoped token cannot act in a project
      return { projectId: grant.projectId, region: regionOf(grant.projectId) };
    }
    const authorization = header(req, 'authorization');
    if (authorization?.startsWith('SDK-HMAC-SHA256')) {
      const check = verifySignature({ method: req.method ?? 'GET', rawUrl, headers: req.headers, body: raw }, secretFor, now());
      // A wrong SK fails the signature: the gateway answers 401 and names no secret.
      if (!check.ok) return gatewayError(401, check.detail);
      const projectId = header(req, 'x-project-id');
      if (!projectId) return gatewayError(401, 'X-Project-Id is required for project-level APIs');
      const account = accounts.find((a) => a.ak === check.ak);
      if (!account?.projects.some((p) => p.id === projectId)) return gatewayError(403, 'the project does not belong to the access key');
      return { projectId, region: regionOf(projectId) };
    }
    return gatewayError(401, 'no token or signature in the request');
  }

  // ---- IMS ----

  function createJob(job: Omit<SimJob, 'id' | 'createdMs'>): SimJob {
    const created: SimJob = { ...job, id: newJobId(), createdMs: now() };
    jobs.set(created.id, created);
    return created;
  }

  function exportImage(caller: Caller, imageId: string, body: Body): SimAnswer {
    if (!isUuid(imageId)) return imsError('IMG.0066'); // "The image ID is incorrect."
    const request = validateExport(body);
    if (!request.ok) return imsError(request.code);
    const image = images.get(imageId);
    const view = image ? viewOf(image) : undefined;
    if (!view || !visibleTo(view, caller.projectId)) return imsError('IMG.0027'); // "The image ID in the request does not exist."
    const refusal = exportRefusal(view, request.value.quick);
    if (refusal) return imsError(refusal);
    const { target } = request.value;
    const bucketRefusal = bucketRefusalFor(caller, target.bucket);
    if (bucketRefusal) return imsError(bucketRefusal);
    if (exportTargetTaken(target.bucket, target.object)) return imsError('IMG.0070'); // "The image file already exists."
    const fails = target.bucket.startsWith(FAIL_PREFIX) || target.object.startsWith(FAIL_PREFIX);
    const job = createJob({
      type: 'imsNativeExportImageJob',
      projectId: caller.projectId,
      imageId,
      objectKey: target.key,
      exportFormat: request.value.fileFormat ?? 'zvhd2',
      ...(fails ? { failure: { code: 'IMG.0069', reason: 'The specified bucket cannot be accessed.' } } : {}),
    });
    return { status: 200, body: { job_id: job.id } };
  }

  /** An import or capture: its private image exists from submission on, so it can be found by name. */
  function createImage(caller: Caller, name: string, attrs: Record<string, unknown>, job: Omit<SimJob, 'id' | 'createdMs' | 'imageId' | 'projectId'>): SimAnswer {
    const imageId = newImageId();
    const created = createJob({ ...job, projectId: caller.projectId, imageId, imageName: name });
    const osVersion = typeof attrs.__os_version === 'string' ? attrs.__os_version : '';
    images.set(imageId, {
      jobId: created.id,
      attrs: {
        ...baseImageAttrs({ id: imageId, name, projectId: caller.projectId, nowMs: created.createdMs }),
        __os_version: osVersion,
        __platform: platformOf(osVersion),
        __image_size: '0',
        active_at: null,
        ...attrs,
      },
    });
    return { status: 200, body: { job_id: created.id } };
  }

  /**
   * "An image can only be exported to a Standard bucket that is in the same region as the image", and an
   * image file to import must sit in a Standard bucket: another region is IMG.0058; another class leaves
   * the file unreachable for IMS, IMG.0069 ("The specified bucket cannot be accessed.").
   */
  function bucketRefusalFor(caller: Caller, name: string): ImsCode | undefined {
    const bucket = bucketOf(name);
    if (bucket.region !== caller.region) return 'IMG.0058';
    if (bucket.storageClass !== 'STANDARD') return 'IMG.0069';
    return undefined;
  }

  /** IMG.0009 when names must be unique and the project has a live image of that name. */
  function nameTaken(caller: Caller, name: string): boolean {
    if (!options.uniqueImageNames) return false;
    return [...images.values()].map(viewOf).some((v) => v.owner === caller.projectId && v.name === name && v.status !== 'killed' && v.status !== 'deleted');
  }

  function importImage(caller: Caller, request: ImportRequest): SimAnswer {
    const { source, name } = request;
    const bucketRefusal = bucketRefusalFor(caller, source.bucket);
    if (bucketRefusal) return imsError(bucketRefusal);
    const found = importSourceFound(source.bucket, source.object);
    // The file's recorded format, else what its name says; a name that says nothing is let through.
    const format = (found !== 'implicit' ? found?.format : undefined) ?? formatFromName(source.object);
    // "Currently, only ZVHD2 and RAW image files can be imported quickly."
    if (request.quick && format !== undefined && !QUICK_IMPORT_FORMATS.has(format)) return imsError('IMG.0072');
    if (nameTaken(caller, name)) return imsError('IMG.0009');
    const fails = found === undefined || [source.bucket, source.object, name].some((s) => s.startsWith(FAIL_PREFIX));
    return createImage(caller, name, request.attrs, {
      type: request.jobType,
      ...(request.subJobType ? { subJobType: request.subJobType } : {}),
      ...(fails ? { failure: { code: 'IMG.0057', reason: IMS_CODES['IMG.0057'] } } : {}),
    });
  }

  function cloudImagesAction(caller: Caller, body: Body): SimAnswer {
    const hasInstance = body.instance_id !== undefined && body.instance_id !== null;
    const hasFile = body.image_url !== undefined && body.image_url !== null;
    // One source per image; data-disk and volume sources are not simulated.
    if (hasInstance === hasFile) return imsError(hasInstance ? 'IMG.0001' : 'IMG.0012');
    if (hasFile) {
      const request = validateSystemImport(body);
      return request.ok ? importImage(caller, request.value) : imsError(request.code);
    }
    const capture = validateCapture(body);
    if (!capture.ok) return imsError(capture.code);
    if (nameTaken(caller, capture.value.name)) return imsError('IMG.0009');
    const fails = capture.value.name.startsWith(FAIL_PREFIX);
    return createImage(caller, capture.value.name, capture.value.attrs, {
      type: 'imsCreateImageByInstance',
      ...(fails ? { failure: { code: 'IMG.0014', reason: 'An exception occurred when IaaS OpenStack was executing the task.' } } : {}),
    });
  }

  function showJob(caller: Caller, jobId: string, withProgress: boolean): SimAnswer {
    const job = jobs.get(jobId);
    // Another project's job is not there for this caller.
    if (!job || job.projectId !== caller.projectId) return imsError('IMG.0031', 404);
    return { status: 200, body: jobBody(job, now(), jobMs, withProgress) };
  }

  const FILTERS = [
    'id', 'name', '__imagetype', 'status', 'visibility', 'owner', 'disk_format', 'container_format', 'virtual_env_type',
    '__os_type', '__platform', '__os_bit', '__whole_image', 'protected', 'min_disk', 'min_ram', 'enterprise_project_id',
    '__isregistered',
  ];
  const SORT_KEYS = ['name', 'container_format', 'disk_format', 'status', 'id', 'size', 'created_at'];

  function listImages(caller: Caller, query: URLSearchParams): SimAnswer {
    const limitRaw = query.get('limit');
    const limit = limitRaw === null ? 500 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 0 || limit > 1000) return imsError('IMG.0001');
    const sortKey = query.get('sort_key') ?? 'created_at';
    const sortDir = query.get('sort_dir') ?? 'desc';
    if (!SORT_KEYS.includes(sortKey) || !['asc', 'desc'].includes(sortDir)) return imsError('IMG.0001');
    const tag = query.get('tag');
    let found = [...images.values()]
      .map(viewOf)
      .filter((view) => visibleTo(view, caller.projectId))
      .filter((view) => FILTERS.every((key) => !query.has(key) || String(view[key]) === query.get(key)))
      .filter((view) => tag === null || (Array.isArray(view.tags) && view.tags.includes(tag)));
    const cmp = (a: Record<string, unknown>, b: Record<string, unknown>) => {
      const x = String(a[sortKey] ?? '');
      const y = String(b[sortKey] ?? '');
      const byKey = x < y ? -1 : x > y ? 1 : 0;
      const byId = String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0;
      return (sortDir === 'asc' ? byKey : -byKey) || byId;
    };
    found.sort(cmp);
    const marker = query.get('marker');
    if (marker !== null) {
      const at = found.findIndex((view) => view.id === marker);
      if (at < 0) return imsError('IMG.0001');
      found = found.slice(at + 1);
    }
    return { status: 200, body: { images: found.slice(0, limit) } };
  }

  // ---- routing ----

  type Handler = (ctx: { caller: Caller; params: string[]; query: URLSearchParams; body: Body }) => SimAnswer;
  interface Route { method: string; pattern: string[]; json: boolean; handler: Handler }
  const route = (method: string, path: string, json: boolean, handler: Handler): Route => ({ method, pattern: path.split('/'), json, handler });
  const imsRoutes: Route[] = [
    route('POST', '/v1/cloudimages/dataimages/action', true, ({ caller, body }) => {
      const request = validateDataImport(body);
      return request.ok ? importImage(caller, request.value) : imsError(request.code);
    }),
    route('POST', '/v1/cloudimages/*/file', true, ({ caller, params, body }) => exportImage(caller, params[0] ?? '', body)),
    route('POST', '/v2/cloudimages/action', true, ({ caller, body }) => cloudImagesAction(caller, body)),
    route('POST', '/v2/cloudimages/quickimport/action', true, ({ caller, body }) => {
      const request = validateQuickImport(body);
      return request.ok ? importImage(caller, request.value) : imsError(request.code);
    }),
    route('GET', '/v1/*/jobs/*', false, ({ caller, params }) => {
      // The project in the path must be the caller's: "The project ID and token in the request are invalid."
      if (params[0] !== caller.projectId) return imsError('IMG.0030', 403);
      return showJob(caller, params[1] ?? '', false);
    }),
    route('GET', '/v2/cloudimages', false, ({ caller, query }) => listImages(caller, query)),
  ];
  if (progressApi)
    imsRoutes.push(route('GET', '/v1/cloudimages/job/*', false, ({ caller, params }) => showJob(caller, params[0] ?? '', true)));

  function matchRoute(method: string, path: string): { route: Route; params: string[] } | undefined {
    const segments = path.split('/');
    for (const r of imsRoutes) {
      if (r.method !== method || r.pattern.length !== segments.length) continue;
      const params: string[] = [];
      const ok = r.pattern.every((p, i) => {
        const s = segments[i] ?? '';
        if (p === '*') {
          params.push(safeDecode(s));
          return s !== '';
        }
        return p === s;
      });
      if (ok) return { route: r, params };
    }
    return undefined;
  }

  function answerIms(req: IncomingMessage, rawUrl: string, path: string, query: URLSearchParams, raw: Buffer): SimAnswer {
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/v3/auth/tokens') return issueToken(raw);
    const matched = matchRoute(method, path);
    if (!matched) return gatewayError(404);
    const caller = authenticate(req, rawUrl, raw);
    if ('status' in caller) return caller;
    let body: Body = {};
    if (matched.route.json) {
      if (raw.length === 0) return imsError('IMG.0007'); // "The request body is empty."
      const json = parseJson(raw);
      if (!json.ok || typeof json.value !== 'object' || json.value === null || Array.isArray(json.value)) return imsError('IMG.0001');
      body = json.value as Body;
    }
    return matched.route.handler({ caller, params: matched.params, query, body });
  }

  // ---- control API ----

  function answerControl(method: string, path: string, raw: Buffer): SimAnswer {
    const json = raw.length === 0 ? ({ ok: true, value: undefined } as const) : parseJson(raw);
    if (method === 'GET' && path === '/_sim/calls') return { status: 200, body: calls };
    if (method === 'POST' && path === '/_sim/reset') {
      reset();
      return { status: 204, body: undefined };
    }
    if (method === 'POST' && path === '/_sim/faults') {
      const fault = json.ok ? simFaultSchema.safeParse(json.value) : undefined;
      if (!fault?.success) return { status: 400, body: { error: fault ? z.prettifyError(fault.error) : 'body is not JSON' } };
      addFault(fault.data);
      return { status: 201, body: fault.data };
    }
    if (method === 'POST' && path === '/_sim/images') {
      const image = json.ok ? addedImage.safeParse(json.value) : undefined;
      if (!image?.success) return { status: 400, body: { error: image ? z.prettifyError(image.error) : 'body is not JSON' } };
      addImage(image.data);
      const stored = images.get(image.data.id);
      return { status: 201, body: stored ? viewOf(stored) : null };
    }
    if (method === 'POST' && path === '/_sim/buckets') {
      const bucket = json.ok ? newBucket.safeParse(json.value) : undefined;
      if (!bucket?.success) return { status: 400, body: { error: bucket ? z.prettifyError(bucket.error) : 'body is not JSON' } };
      return { status: 201, body: addBucket(bucket.data) };
    }
    if (method === 'POST' && path === '/_sim/objects') {
      const object = json.ok ? newObject.safeParse(json.value) : undefined;
      if (!object?.success) return { status: 400, body: { error: object ? z.prettifyError(object.error) : 'body is not JSON' } };
      return { status: 201, body: addObject(object.data) };
    }
    if (method === 'GET' && path === '/_sim/objects') {
      // Every object OBS shows now, those made here and those exports wrote, and the buckets made here.
      const written = [...jobs.values()].map(exportedObject).filter((o) => o !== undefined);
      const shown = new Map([...written, ...objects.values()].map((o) => [objectId(o.bucket, o.key), o]));
      return { status: 200, body: { buckets: [...buckets.values()], objects: [...shown.values()] } };
    }
    const forget = /^\/_sim\/jobs\/([^/]+)\/forget$/.exec(path);
    if (method === 'POST' && forget) {
      const known = forgetJob(decodeURIComponent(forget[1] ?? ''));
      return known ? { status: 204, body: undefined } : { status: 404, body: { error: 'no such job' } };
    }
    return { status: 404, body: { error: `no control endpoint ${method} ${path}` } };
  }

  // ---- OBS ----

  function answerObsCall(req: IncomingMessage, method: string, rawUrl: string, path: string, query: URLSearchParams, raw: Buffer): SimAnswer {
    const check = verifyAwsV4({ method, rawUrl, headers: req.headers, body: raw }, secretFor, now());
    if (!check.ok) return s3Error(check.code === 'AuthorizationHeaderMalformed' ? 400 : 403, check.code, check.message, path);
    return answerObs(method, path, query, { bucket: bucketOf, object: objectAt }, header(req, 'range'));
  }

  // ---- HTTP ----

  function send(res: ServerResponse, answer: SimAnswer, method: string): void {
    if (res.writableEnded || res.destroyed) return;
    const headers: Record<string, string> = { 'x-request-id': requestId(), ...(answer.headers ?? {}) };
    if (answer.xml !== undefined) {
      const length = String(Buffer.byteLength(answer.xml));
      res.writeHead(answer.status, { ...headers, 'content-type': 'application/xml', 'content-length': length });
      res.end(method === 'HEAD' ? undefined : answer.xml);
      return;
    }
    if (answer.zeros !== undefined && method !== 'HEAD') {
      res.writeHead(answer.status, headers);
      Readable.from(zeroChunks(answer.zeros)).pipe(res);
      return;
    }
    if (answer.body === undefined || method === 'HEAD') {
      res.writeHead(answer.status, headers).end();
      return;
    }
    const text = JSON.stringify(answer.body);
    res
      .writeHead(answer.status, { ...headers, 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) })
      .end(text);
  }

  function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) tooLarge = true;
        else chunks.push(chunk);
      });
      req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  /** IMS and IAM live under /v1/, /v2/ and /v3/; every other path (a bucket name has 3+ characters) is OBS. */
  const serviceOf = (path: string): SimCall['service'] =>
    path === '/v3/auth/tokens' ? 'iam' : /^\/v[123](\/|$)/.test(path) ? 'ims' : 'obs';

  function authKind(req: IncomingMessage): SimCall['auth'] {
    const authorization = header(req, 'authorization');
    if (header(req, 'x-auth-token') !== undefined) return 'token';
    if (authorization?.startsWith('SDK-HMAC-SHA256')) return 'aksk';
    if (authorization?.startsWith('AWS4-HMAC-SHA256')) return 'sigv4';
    return 'none';
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    if (path.startsWith('/_sim/')) {
      const answer = raw ? answerControl(method, path, raw) : { status: 413, body: { error: 'body too large' } };
      if (method !== 'GET') persist();
      send(res, answer, method);
      return;
    }

    const service = serviceOf(path);
    const json = service !== 'obs' && raw && raw.length > 0 ? parseJson(raw) : undefined;
    calls.push({
      service,
      method,
      path,
      query: Object.fromEntries([...new Set(query.keys())].map((k) => [k, query.getAll(k).join(',')])),
      body: json === undefined ? null : json.ok ? redacted(json.value) : '(not JSON)',
      time: isoMs(now()),
      auth: authKind(req),
    });
    const answerCall = (body: Buffer) =>
      service === 'obs' ? answerObsCall(req, method, rawUrl, path, query, body) : answerIms(req, rawUrl, path, query, body);

    const fault = takeFault(method, path);
    if (fault && 'status' in fault) {
      // `acted`: IMS performs the call and the error comes after (a gateway timing out on a backend that finished).
      if (fault.acted && raw) {
        answerCall(raw);
        persist();
      }
      send(res, { status: fault.status, body: fault.body === undefined ? faultBody(fault.status) : fault.body }, method);
      return;
    }
    const lostRequest = fault !== undefined && 'delay_ms' in fault && fault.lost === 'request';
    // A lost request never reaches IMS; otherwise the call takes effect before any delay.
    const answer = lostRequest ? gatewayError(504) : raw ? answerCall(raw) : imsError('IMG.0001', 413);
    if (!lostRequest && method !== 'GET' && method !== 'HEAD') persist();
    if (fault && 'delay_ms' in fault) {
      // The answer is held back, as when it is lost on the way (or the gateway waits for a backend that never got the call).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          pendingDelays.delete(timer);
          resolve();
        }, fault.delay_ms);
        pendingDelays.add(timer);
      });
    }
    send(res, answer, method);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, imsError('IMG.0061', 500), req.method ?? 'GET'));
  });

  if (loadFailure) return Promise.reject(loadFailure);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host ?? '127.0.0.1';
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        obsUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        calls: () => calls.map((c) => ({ ...c, query: { ...c.query } })),
        addFault,
        addImage: (image) => {
          addImage(image);
          persist();
        },
        addBucket: (bucket) => {
          const added = addBucket(bucket);
          persist();
          return added;
        },
        addObject: (object) => {
          const added = addObject(object);
          persist();
          return added;
        },
        forgetJob: (jobId) => {
          const known = forgetJob(jobId);
          persist();
          return known;
        },
        reset,
        close: () =>
          new Promise<void>((done, fail) => {
            for (const timer of pendingDelays) clearTimeout(timer);
            pendingDelays.clear();
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** `total` zero bytes in chunks of at most 64 KiB, made as the reader asks for them. */
function* zeroChunks(total: number): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let left = total; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}

function pickCredentials(source: SimCredentials): SimCredentials {
  const { ak, sk, domain, user, password, projectId } = source;
  return { ak, sk, domain, user, password, projectId };
}

function definedOnly(partial: Partial<SimCredentials>): Partial<SimCredentials> {
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined && v !== ''));
}

