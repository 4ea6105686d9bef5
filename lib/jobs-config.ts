// What the worker and the poller run with: every function's settings (config.ts) and IMS's and
// OBS's: endpoints, credentials, the cap on jobs in flight.
import * as z from './zod.js';
import { apiConfigFrom, baseEnvSchema, createConfigLoader, describeIssues, jsonRecord, parseEnv, readProcessParameter, type ApiConfig } from './config.js';
import { imsSettings, type ImsSettings } from './ims/settings.js';
import { obsSettings, type ObsSettings } from './obs/settings.js';
import type { SigningKey } from './obs/sigv4.js';

/** Every setting of the service (the API functions read the part in baseEnvSchema). */
export const envSchema = z.extend(baseEnvSchema, {
  IMS_ENDPOINT: z.optional(z.string()),
  IAM_ENDPOINT: z.optional(z.string()),
  IMS_REGION_ENDPOINTS: jsonRecord('region → { imsEndpoint, iamEndpoint }'),
  IMS_USER: z.optional(z.string()),
  IMS_PASSWORD: z.optional(z.string()),
  IMS_DOMAIN: z.optional(z.string()),
  IMS_AK: z.optional(z.string()),
  IMS_SK: z.optional(z.string()),
  /** OBS's endpoint template (`{region}` is the bucket's region): where export objects are looked for. */
  OBS_ENDPOINT: z.optional(z.string()),
  /** AK/SK for OBS reads when IMS_AK/IMS_SK are not set (an IAM password cannot sign OBS requests). */
  OBS_AK: z.optional(z.string()),
  OBS_SK: z.optional(z.string()),
  /** IMS jobs one project may have in flight (submission to job end); 0 sets no cap. */
  IMS_PROJECT_MAX_IN_FLIGHT: z._default(z.coercedNumber().check(z.int(), z.gte(0), z.lte(1000)), 0),
});

export interface Config extends ApiConfig {
  ims: ImsSettings;
  /** OBS reads (evidence of exports); `key` is null when no AK/SK is available for OBS. */
  obs: { settings: ObsSettings; key: SigningKey | null };
  /** 0: no cap. */
  imsProjectMaxInFlight: number;
}

function imsAuthFrom(env: z.infer<typeof envSchema>) {
  if (env.IMS_AK || env.IMS_SK) return { kind: 'aksk' as const, ak: env.IMS_AK ?? '', sk: env.IMS_SK ?? '' };
  return { kind: 'password' as const, user: env.IMS_USER ?? '', password: env.IMS_PASSWORD ?? '', domain: env.IMS_DOMAIN ?? '' };
}

const AUTH_SETTING: Record<string, string> = { ak: 'IMS_AK', sk: 'IMS_SK', user: 'IMS_USER', password: 'IMS_PASSWORD', domain: 'IMS_DOMAIN' };

export function parseConfig(source: Record<string, string | undefined>): Config {
  const e = parseEnv(envSchema, source);
  const ims = imsSettings.safeParse({
    ...(e.IMS_ENDPOINT ? { imsEndpoint: e.IMS_ENDPOINT } : {}),
    ...(e.IAM_ENDPOINT ? { iamEndpoint: e.IAM_ENDPOINT } : {}),
    regions: e.IMS_REGION_ENDPOINTS,
    auth: imsAuthFrom(e),
  });
  if (!ims.success) {
    const name = (p: PropertyKey[]) =>
      p[0] === 'auth' ? (AUTH_SETTING[String(p[1])] ?? 'IMS credentials') : p[0] === 'regions' ? 'IMS_REGION_ENDPOINTS' : p[0] === 'imsEndpoint' ? 'IMS_ENDPOINT' : 'IAM_ENDPOINT';
    throw new Error(`invalid settings: ${describeIssues(ims.error.issues, name)}`);
  }
  const obs = obsSettings.safeParse(e.OBS_ENDPOINT ? { endpoint: e.OBS_ENDPOINT } : {});
  if (!obs.success) throw new Error(`invalid settings: ${describeIssues(obs.error.issues, () => 'OBS_ENDPOINT')}`);
  if (Boolean(e.OBS_AK) !== Boolean(e.OBS_SK)) throw new Error('invalid settings: OBS_AK: OBS_AK and OBS_SK are set together or not at all');
  // The service's own AK/SK first (the IMS user then reads the buckets it writes), else OBS's own.
  const obsKey = ims.data.auth.kind === 'aksk' ? { ak: ims.data.auth.ak, sk: ims.data.auth.sk } : e.OBS_AK && e.OBS_SK ? { ak: e.OBS_AK, sk: e.OBS_SK } : null;
  return { ...apiConfigFrom(e), ims: ims.data, obs: { settings: obs.data, key: obsKey }, imsProjectMaxInFlight: e.IMS_PROJECT_MAX_IN_FLIGHT };
}

/** The worker's and poller's settings as of now (see createConfigLoader). */
export const loadConfig = createConfigLoader(process.env, readProcessParameter, parseConfig);
