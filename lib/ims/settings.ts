// What the IMS client needs to know, parsed once by the config module (these schemas are the only shape).
import { endpointTemplate } from '../endpoints.js';
import * as z from 'zod';

export const passwordAuth = z
  .object({
    kind: z.literal('password'),
    user: z.string().min(1),
    password: z.string().min(1),
    domain: z.string().min(1),
  })
  .strict();

export const akskAuth = z
  .object({
    kind: z.literal('aksk'),
    ak: z.string().min(1),
    sk: z.string().min(1),
  })
  .strict();

export const imsAuth = z.discriminatedUnion('kind', [passwordAuth, akskAuth]);

export const imsTimeouts = z
  .object({
    connectMs: z.number().int().positive().default(5_000),
    /** Until the response headers arrive; IMS answers POSTs within seconds when healthy. */
    headersMs: z.number().int().positive().default(30_000),
    /** Between body chunks. */
    bodyMs: z.number().int().positive().default(30_000),
  })
  .strict();

export const getRetryPolicy = z
  .object({
    /** Total tries of a GET, the first included. */
    attempts: z.number().int().min(1).max(10).default(4),
    baseMs: z.number().int().min(0).default(200),
    capMs: z.number().int().min(0).default(5_000),
  })
  .strict();

export const imsSettings = z
  .object({
    imsEndpoint: endpointTemplate.default('https://ims.{region}.otc.t-systems.com'),
    iamEndpoint: endpointTemplate.default('https://iam.{region}.otc.t-systems.com'),
    /** Per-region overrides of the templates (e.g. a region served by Huawei Cloud's myhuaweicloud.com). */
    regions: z
      .record(
        z.string(),
        z.object({ imsEndpoint: endpointTemplate.optional(), iamEndpoint: endpointTemplate.optional() }).strict(),
      )
      .default({}),
    auth: imsAuth,
    timeouts: imsTimeouts.default({ connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 }),
    getRetry: getRetryPolicy.default({ attempts: 4, baseMs: 200, capMs: 5_000 }),
    /** A token is refreshed this long before it expires (capped at 10 % of its lifetime). */
    tokenRefreshAheadMs: z.number().int().min(0).default(60 * 60 * 1000),
  })
  .strict();

export type ImsSettings = z.infer<typeof imsSettings>;
export type ImsSettingsInput = z.input<typeof imsSettings>;
export type ImsAuth = z.infer<typeof imsAuth>;
export type ImsTimeouts = z.infer<typeof imsTimeouts>;
export type GetRetryPolicy = z.infer<typeof getRetryPolicy>;

/** A region name as it may go into a host name (it is spliced into a URL). */
export const REGION_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const regionName = z.string().regex(REGION_NAME, 'must be a region name such as eu-de');

/** The IMS and IAM origins for a region, overrides first. */
export function endpointsFor(settings: ImsSettings, region: string): { ims: string; iam: string } {
  const override = settings.regions[region];
  const fill = (template: string) => template.replaceAll('{region}', region).replace(/\/+$/, '');
  return {
    ims: fill(override?.imsEndpoint ?? settings.imsEndpoint),
    iam: fill(override?.iamEndpoint ?? settings.iamEndpoint),
  };
}
