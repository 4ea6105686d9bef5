// What the IMS client needs to know, parsed once by the config module (these schemas are the only shape).
import { endpointTemplate } from '../endpoints.js';
import * as z from '../zod.js';

export const passwordAuth = z.strictObject({
  kind: z.literal('password'),
  user: z.string().check(z.minLength(1)),
  password: z.string().check(z.minLength(1)),
  domain: z.string().check(z.minLength(1)),
});

export const akskAuth = z.strictObject({
  kind: z.literal('aksk'),
  ak: z.string().check(z.minLength(1)),
  sk: z.string().check(z.minLength(1)),
});

export const imsAuth = z.discriminatedUnion('kind', [passwordAuth, akskAuth]);

export const imsTimeouts = z.strictObject({
  connectMs: z._default(z.number().check(z.int(), z.positive()), 5_000),
  /** Until the response headers arrive; IMS answers POSTs within seconds when healthy. */
  headersMs: z._default(z.number().check(z.int(), z.positive()), 30_000),
  /** Between body chunks. */
  bodyMs: z._default(z.number().check(z.int(), z.positive()), 30_000),
});

export const getRetryPolicy = z.strictObject({
  /** Total tries of a GET, the first included. */
  attempts: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 4),
  baseMs: z._default(z.number().check(z.int(), z.gte(0)), 200),
  capMs: z._default(z.number().check(z.int(), z.gte(0)), 5_000),
});

export const imsSettings = z.strictObject({
  imsEndpoint: z._default(endpointTemplate, 'https://ims.{region}.otc.t-systems.com'),
  iamEndpoint: z._default(endpointTemplate, 'https://iam.{region}.otc.t-systems.com'),
  /** Per-region overrides of the templates (e.g. a region served by Huawei Cloud's myhuaweicloud.com). */
  regions: z._default(
    z.record(z.string(), z.strictObject({ imsEndpoint: z.optional(endpointTemplate), iamEndpoint: z.optional(endpointTemplate) })),
    {},
  ),
  auth: imsAuth,
  timeouts: z._default(imsTimeouts, { connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 }),
  getRetry: z._default(getRetryPolicy, { attempts: 4, baseMs: 200, capMs: 5_000 }),
  /** A token is refreshed this long before it expires (capped at 10 % of its lifetime). */
  tokenRefreshAheadMs: z._default(z.number().check(z.int(), z.gte(0)), 60 * 60 * 1000),
});

export type ImsSettings = z.infer<typeof imsSettings>;
export type ImsSettingsInput = z.input<typeof imsSettings>;
export type ImsAuth = z.infer<typeof imsAuth>;
export type ImsTimeouts = z.infer<typeof imsTimeouts>;
export type GetRetryPolicy = z.infer<typeof getRetryPolicy>;

/** The IMS and IAM origins for a region, overrides first. */
export function endpointsFor(settings: ImsSettings, region: string): { ims: string; iam: string } {
  const override = settings.regions[region];
  const fill = (template: string) => template.replaceAll('{region}', region).replace(/\/+$/, '');
  return {
    ims: fill(override?.imsEndpoint ?? settings.imsEndpoint),
    iam: fill(override?.iamEndpoint ?? settings.iamEndpoint),
  };
}
