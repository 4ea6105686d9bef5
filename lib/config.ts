// The service's settings: read from the environment and validated once, at cold start.
// An invalid or missing setting fails with a message naming it (never its value). Each function
// parses what it uses: the API functions this module's settings, the worker and poller also
// IMS's and OBS's (jobs-config.ts), so the API never builds the IMS settings' schemas.
import * as z from './zod.js';
import { regionName } from './ims/fields.js';
import { logger } from './log.js';
import { signV4 } from './obs/sigv4.js';
import { lifecycleTimings, type LifecycleTimings } from './requests/lifecycle.js';
import { parseTenants, type Tenant } from './tenants.js';

const flag = z.pipe(z.optional(z.enum(['true', 'false', '1', '0', ''])), z.transform((v) => v === 'true' || v === '1'));

export const jsonRecord = (what: string) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((s, ctx) => {
      if (!s) return {};
      try {
        const v: unknown = JSON.parse(s);
        if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {
        /* reported below */
      }
      // zod/mini's transform context has no addIssue: the issue goes on the payload itself.
      ctx.issues.push({ code: 'custom', message: `must be a JSON object of ${what}`, input: s });
      return z.NEVER;
    }),
  );

const positiveInt = (fallback: number) => z._default(z.coercedNumber().check(z.int(), z.positive()), fallback);

/** The settings every function reads. */
export const baseEnvSchema = z.object({
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'eu-central-1'),
  TABLE_NAME: z._default(z.string().check(z.minLength(3)), 'ims-transfer-requests'),
  INTAKE_QUEUE_URL: z.url(),
  /** Local stand-ins only; unset in the cloud. */
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  SQS_ENDPOINT: z.optional(z.url()),
  TENANTS: z.string().check(z.minLength(2)),

  IMS_REGION: z._default(regionName, 'eu-de'),
  IMS_PROJECT_ID: z.string().check(z.regex(/^[0-9a-f]{32}$/, 'must be a 32-hex IMS project id')),
  IMS_PROJECT_IDS: jsonRecord('region → project id'),
  /** Fractions allowed (0.05 h = 3 min) for runs that must see deadlines pass. */
  IMS_JOB_DEADLINE_HOURS: z._default(z.coercedNumber().check(z.positive()), 24),
  /** The first status query of a job, and the shortest wait between two (they double up to the maximum). */
  JOB_CHECK_MIN_SECONDS: positiveInt(10),
  JOB_CHECK_MAX_SECONDS: positiveInt(300),
  /** How long a worker's claim on a submission lasts; a worker that vanished is replaced after it. Keep it above the worker's timeout. */
  SUBMIT_LEASE_SECONDS: positiveInt(300),

  ALLOW_LOOPBACK_WEBHOOKS: flag,
  SLACK_SIGNING_SECRET: z.optional(z.string()),
});
export type BaseEnv = z.infer<typeof baseEnvSchema>;

/** What the API functions (intake, chatops) run with; the worker and poller add IMS's and OBS's (jobs-config.ts). */
export interface ApiConfig {
  awsRegion: string;
  tableName: string;
  intakeQueueUrl: string;
  dynamoEndpoint: string | undefined;
  sqsEndpoint: string | undefined;
  tenants: Tenant[];
  defaultRegion: string;
  projectIds: Record<string, string>;
  jobDeadlineMs: number;
  timings: LifecycleTimings;
  allowLoopbackWebhooks: boolean;
  slackSigningSecret: string | undefined;
}

export function describeIssues(issues: readonly z.core.$ZodIssue[], name: (path: PropertyKey[]) => string): string {
  return issues.map((i) => `${name(i.path)}: ${i.message}`).join('; ');
}

/** The settings every function reads, from an environment already parsed with a schema that extends baseEnvSchema. */
export function apiConfigFrom(e: BaseEnv): ApiConfig {
  // Loopback webhooks are for local runs only: never with the cloud's own DynamoDB and SQS.
  if (e.ALLOW_LOOPBACK_WEBHOOKS && !e.DYNAMODB_ENDPOINT && !e.SQS_ENDPOINT) {
    throw new Error('invalid settings: ALLOW_LOOPBACK_WEBHOOKS: is for local runs only (with DYNAMODB_ENDPOINT or SQS_ENDPOINT); never set it in the cloud');
  }
  if (e.JOB_CHECK_MIN_SECONDS > e.JOB_CHECK_MAX_SECONDS) throw new Error('invalid settings: JOB_CHECK_MIN_SECONDS: must not exceed JOB_CHECK_MAX_SECONDS');
  const projectIds = z.record(regionName, z.string().check(z.regex(/^[0-9a-f]{32}$/))).safeParse(e.IMS_PROJECT_IDS);
  if (!projectIds.success) throw new Error('invalid settings: IMS_PROJECT_IDS: must map region names to 32-hex project ids');
  const jobDeadlineMs = Math.round(e.IMS_JOB_DEADLINE_HOURS * 3_600_000);
  return {
    awsRegion: e.AWS_REGION,
    tableName: e.TABLE_NAME,
    intakeQueueUrl: e.INTAKE_QUEUE_URL,
    dynamoEndpoint: e.DYNAMODB_ENDPOINT,
    sqsEndpoint: e.SQS_ENDPOINT,
    tenants: parseTenants(e.TENANTS),
    defaultRegion: e.IMS_REGION,
    projectIds: { [e.IMS_REGION]: e.IMS_PROJECT_ID, ...projectIds.data },
    jobDeadlineMs,
    timings: lifecycleTimings.parse({
      jobDeadlineMs,
      firstCheckDelayMs: e.JOB_CHECK_MIN_SECONDS * 1000,
      checkBackoff: { minMs: e.JOB_CHECK_MIN_SECONDS * 1000, maxMs: e.JOB_CHECK_MAX_SECONDS * 1000 },
      submitLeaseMs: e.SUBMIT_LEASE_SECONDS * 1000,
    }),
    allowLoopbackWebhooks: e.ALLOW_LOOPBACK_WEBHOOKS,
    slackSigningSecret: e.SLACK_SIGNING_SECRET || undefined,
  };
}

/** Parses an environment with `schema`, naming each failing setting (never its value). */
export function parseEnv<S extends z.ZodMiniType>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  const env = schema.safeParse(source);
  if (!env.success) throw new Error(`invalid settings: ${describeIssues(env.error.issues, (p) => String(p[0] ?? '(environment)'))}`);
  return env.data as z.infer<S>;
}

/** The API functions' settings: no IMS or OBS settings, which only the worker and poller use. */
export function parseApiConfig(source: Record<string, string | undefined>): ApiConfig {
  return apiConfigFrom(parseEnv(baseEnvSchema, source));
}

/** Settings that are secrets, and so may come from the SSM parameter instead of the environment. */
export const SECRET_SETTINGS = ['TENANTS', 'IMS_PASSWORD', 'IMS_AK', 'IMS_SK', 'OBS_AK', 'OBS_SK', 'SLACK_SIGNING_SECRET'] as const;

const secretsDocument = z.strictObject(Object.fromEntries(SECRET_SETTINGS.map((k) => [k, z.optional(z.string())])));

/**
 * The environment with the secrets merged in: in the cloud they live in one SecureString
 * parameter (`SECRETS_PARAMETER`, a JSON object of SECRET_SETTINGS).
 */
export async function resolveSecrets(
  env: Record<string, string | undefined>,
  readParameter: (name: string) => Promise<string>,
): Promise<Record<string, string | undefined>> {
  const name = env.SECRETS_PARAMETER;
  if (!name) return env;
  let doc: unknown;
  try {
    doc = JSON.parse(await readParameter(name));
  } catch (error) {
    throw new Error(`invalid settings: SECRETS_PARAMETER ${name}: ${(error as Error).name === 'SyntaxError' ? 'is not JSON' : (error as Error).message}`);
  }
  const secrets = secretsDocument.safeParse(doc);
  if (!secrets.success) {
    throw new Error(`invalid settings: SECRETS_PARAMETER ${name}: ${describeIssues(secrets.error.issues, (p) => String(p[0] ?? '(document)'))}`);
  }
  return { ...env, ...secrets.data };
}

/** How long a read of the secrets parameter is kept: a rotated secret is in use within this time, without a redeploy. */
export const SECRETS_MAX_AGE_SECONDS = 300;

/**
 * The settings as of now, for each invocation to call. Without SECRETS_PARAMETER they are parsed
 * once. With it, the parameter is read again once its cached value is older than its max age; an
 * unchanged document gives back the very same Config (so what was built from it is kept), a
 * changed one a new Config. A failed read is never kept: the next call tries again, and meanwhile
 * the last good settings serve (before any, the call fails and the next one retries).
 */
export function createConfigLoader<C>(
  env: Record<string, string | undefined>,
  readParameter: (name: string) => Promise<string>,
  parse: (source: Record<string, string | undefined>) => C,
): () => Promise<C> {
  let last: { document: string | null; config: C } | undefined;
  let reading: Promise<C> | undefined;
  const read = async (): Promise<C> => {
    const name = env.SECRETS_PARAMETER;
    if (!name) return last?.config ?? (last = { document: null, config: parse(env) }).config;
    let document: string;
    try {
      document = await readParameter(name);
    } catch (error) {
      if (!last) throw error;
      logger.warn('secrets parameter not read; the last settings stay in use until a later read', { parameter: name, error: (error as Error).name });
      return last.config;
    }
    if (last?.document === document) return last.config;
    const config = parse(await resolveSecrets(env, async () => document));
    last = { document, config };
    return config;
  };
  return () => {
    // Concurrent invocations of one container share one read.
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };
}

/**
 * A parameter read kept for `maxAgeMs` (what Powertools Parameters' maxAge did): a rotated secret is
 * in use within that time. A failed read is never kept, so the next call tries again.
 */
export function cachedReader(read: (name: string) => Promise<string>, maxAgeMs: number, now: () => number = Date.now): (name: string) => Promise<string> {
  const kept = new Map<string, { value: string; at: number }>();
  return async (name) => {
    const hit = kept.get(name);
    if (hit && now() - hit.at < maxAgeMs) return hit.value;
    const value = await read(name);
    kept.set(name, { value, at: now() });
    return value;
  };
}

/** The Lambda role's credentials, as the runtime puts them in the environment. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
}

/**
 * SSM GetParameter (decrypted) as one SigV4-signed POST over the runtime's fetch: the SSM SDK
 * client would add about 200 KiB to every function for this one call at cold start.
 */
export async function getSsmParameter(
  name: string,
  options: { region: string; credentials: AwsCredentials; endpoint?: string; fetch?: typeof fetch; now?: () => Date },
): Promise<string> {
  const url = options.endpoint ?? `https://ssm.${options.region}.amazonaws.com/`;
  const body = JSON.stringify({ Name: name, WithDecryption: true });
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' };
  if (options.credentials.sessionToken) headers['x-amz-security-token'] = options.credentials.sessionToken;
  const signed = signV4({ method: 'POST', url, headers, body }, { ak: options.credentials.accessKeyId, sk: options.credentials.secretAccessKey }, options.region, 'ssm', (options.now ?? (() => new Date()))());
  const res = await (options.fetch ?? fetch)(url, { method: 'POST', headers: signed, body, signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  let answer: { Parameter?: { Value?: unknown }; __type?: unknown } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    /* named below */
  }
  if (!res.ok) {
    // Only the error's type (e.g. ParameterNotFound, ThrottlingException), never the body: it could echo a value.
    const type = typeof answer.__type === 'string' ? answer.__type.split('#').pop() : `HTTP ${res.status}`;
    throw Object.assign(new Error(`GetParameter failed: ${type}`), { name: type ?? 'SsmError' });
  }
  const value = answer.Parameter?.Value;
  if (typeof value !== 'string' || !value) throw new Error('has no value');
  return value;
}

/** The process's secrets parameter, read with the Lambda role (see createConfigLoader); only where SECRETS_PARAMETER is set. */
export const readProcessParameter = cachedReader(
  (name) =>
    getSsmParameter(name, {
      region: process.env.AWS_REGION ?? 'eu-central-1',
      credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '', sessionToken: process.env.AWS_SESSION_TOKEN },
    }),
  SECRETS_MAX_AGE_SECONDS * 1000,
);
