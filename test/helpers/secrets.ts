// Test secrets for the suite-wide log scan: every secret a test makes is registered here, and
// test/setup/global.ts fails the run if any of them (or an encoding of one) was ever written out.
import { appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
// zod/mini without a locale, not classic zod: classic sets zod's English messages in every test worker
// (this runs in each one's setup), which would hide a lib module parsing before lib/zod.ts set them.
import * as z from 'zod/mini';

/** The run directory made by test/setup/global.ts; unset when the suite runs without it. */
export const LOG_DIR_ENV = 'IMS_TRANSFER_LOG_DIR';
export const SECRETS_FILE = 'secrets.jsonl';
export const CAPTURE_SUFFIX = '.out.log';
/** Shorter values would match ordinary output by chance and prove nothing. */
export const MIN_SECRET_LENGTH = 8;

export const registeredSecret = z.object({
  kind: z.string(),
  value: z.string().check(z.minLength(MIN_SECRET_LENGTH)),
  /** The test file that registered it (relative to the project root). */
  by: z.string(),
});
export type RegisteredSecret = z.infer<typeof registeredSecret>;

/** What a secret is, for the report: the report names the kind, never the value. */
export function secretKind(value: string): string {
  if (value.startsWith('whsec_')) return 'webhook secret';
  if (value.startsWith('imt_')) return 'API key';
  return 'secret';
}

/** The test file running in this worker, relative to the project root ('(setup)' outside a test file). */
export function currentTestFile(): string {
  let path: string | undefined;
  try {
    path = expect.getState().testPath;
  } catch {
    path = undefined;
  }
  return path ? relative(process.cwd(), path) : '(setup)';
}

/**
 * Records a secret the scan must never find in the suite's output; returns it, so a test can wrap
 * the expression that makes one (`registerSecret(newApiKey())`).
 */
export function registerSecret<T extends string>(value: T, kind: string = secretKind(value)): T {
  const entry = scannable({ kind, value, by: currentTestFile() });
  const dir = process.env[LOG_DIR_ENV];
  if (dir) appendSecret(dir, entry);
  return value;
}

/** Appends one secret to the run directory's secrets file (one JSON line, one write, so workers never interleave). */
export function appendSecret(dir: string, entry: RegisteredSecret): void {
  appendFileSync(join(dir, SECRETS_FILE), `${JSON.stringify(scannable(entry))}\n`, { mode: 0o600 });
}

function scannable(entry: RegisteredSecret): RegisteredSecret {
  if (entry.value.length < MIN_SECRET_LENGTH) {
    throw new Error(`registerSecret: a ${entry.kind} shorter than ${MIN_SECRET_LENGTH} characters cannot be scanned for reliably`);
  }
  return entry;
}
