// Where OBS is and how patiently to ask it: read with the other settings at cold start, apart from
// the client so that reading them does not load the HTTP client into functions that never call OBS.
import * as z from '../zod.js';
import { endpointTemplate } from '../endpoints.js';

export const obsSettings = z.strictObject({
  endpoint: z._default(endpointTemplate, 'https://obs.{region}.otc.t-systems.com'),
  /** Per-region overrides (e.g. a region served by Huawei Cloud). */
  regions: z._default(z.record(z.string(), endpointTemplate), {}),
  timeoutMs: z._default(z.number().check(z.int(), z.positive()), 10_000),
  /** Tries of each call, the first included; every call here is a read, so a retry is always safe. */
  attempts: z._default(z.number().check(z.int(), z.gte(1), z.lte(5)), 3),
});
export type ObsSettings = z.infer<typeof obsSettings>;
