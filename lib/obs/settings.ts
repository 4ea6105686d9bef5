// Where OBS is and how patiently to ask it: read with the other settings at cold start, apart from
// the client so that reading them does not load the HTTP client into functions that never call OBS.
import * as z from 'zod';
import { endpointTemplate } from '../endpoints.js';

export const obsSettings = z
  .object({
    endpoint: endpointTemplate.default('https://obs.{region}.otc.t-systems.com'),
    /** Per-region overrides (e.g. a region served by Huawei Cloud). */
    regions: z.record(z.string(), endpointTemplate).default({}),
    timeoutMs: z.number().int().positive().default(10_000),
    /** Tries of each call, the first included; every call here is a read, so a retry is always safe. */
    attempts: z.number().int().min(1).max(5).default(3),
  })
  .strict();
export type ObsSettings = z.infer<typeof obsSettings>;
