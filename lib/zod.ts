// zod/mini, with zod's English messages configured before any schema exists: every module under lib/
// takes its zod from here (`import * as z from '../zod.js'`). Mini, unlike classic zod, keeps no methods
// on every schema (bundles stay small, schemas build fast at cold start) and sets no locale of its own;
// only the English one is imported, since `z.locales` would bundle every language.
import { config, globalRegistry, type core, type ZodMiniType } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';

/**
 * A copy of `schema` documented in the global registry (the OpenAPI build reads descriptions, ids and
 * examples there), as classic zod's `.describe()` and `.meta()` make it. Not mini's `z.describe()` check:
 * a check travels with every schema derived from this one (`z.extend`, `z.omit`), an `id` included.
 */
export function documented<T extends ZodMiniType>(schema: T, meta: string | core.GlobalMeta): T {
  const copy = schema.clone();
  globalRegistry.add(copy, typeof meta === 'string' ? { description: meta } : meta);
  return copy;
}
