// zod/mini, with zod's English messages configured before any schema exists: every module under lib/
// takes its zod from here (`import * as z from '../zod.js'`). Mini, unlike classic zod, keeps no methods
// on every schema (bundles stay small, schemas build fast at cold start) and sets no locale of its own;
// only the English one is imported, since `z.locales` would bundle every language.
import { config, ZodMiniNumber } from 'zod/mini';
import { _coercedNumber, type $ZodNumberParams } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

config(en());
// No parser compiled with `new Function` the first time each object schema parses: at cold start that
// compiling cost intake about 10 ms (a tenth of its import), while a parse is as fast without it
// (an export body: 7–9 µs either way, measured); and no code generated at run time at all.
config({ jitless: true });

export * from 'zod/mini';

/**
 * `z.coerce.number(params)`, exactly (zod/mini builds it the same way). Use this one: the `z.coerce`
 * namespace brings every coercion into a bundle, with the BigInt and Date schemas (1.9 KB minified).
 */
export const coercedNumber = (params?: string | $ZodNumberParams) => _coercedNumber(ZodMiniNumber, params);

/** True when A and B are the same type, each assignable to the other: ties a schema kept for the docs or the tests to the hand-written type the service uses. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
