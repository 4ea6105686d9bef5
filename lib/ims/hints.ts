// What to do about a failed request: the hint for an error, by its code and source, from the texts
// of hint-texts.ts. Our own error codes are named here.
import { hintTexts } from './hint-texts.js';

/** Our own error codes: refusals and failures that carry no IMS code. Use these names, nothing else. */
export const OWN_ERROR_CODES = [
  'VALIDATION',
  'IMS_REFUSED',
  'IMS_UNAVAILABLE',
  'IMS_OUTCOME_UNKNOWN',
  'IMS_JOB_FAILED',
  'IMAGE_ID_MISSING',
  'IMAGE_NOT_ACTIVE',
  'JOB_DEADLINE',
  'FORBIDDEN',
  'AUTH_FAILED',
  'PROJECT_UNKNOWN',
  'IMAGE_NOT_FOUND',
  'IMAGE_NOT_OWNED',
  'QUICK_IMPORT_FORMAT',
  'EXPORT_TARGET_EXISTS',
  'BUCKET_REGION',
  'BUCKET_STORAGE_CLASS',
  'SOURCE_OBJECT_MISSING',
  'EXPORT_UNVERIFIED',
  'IMAGE_KILLED',
  'JOB_NOT_FOUND',
] as const;
export type OwnErrorCode = (typeof OWN_ERROR_CODES)[number];

// An error whose code we do not know still gets the advice for where it came from.
const BY_SOURCE: Record<string, OwnErrorCode> = {
  validation: 'VALIDATION',
  timeout: 'JOB_DEADLINE',
  auth: 'AUTH_FAILED',
  forbidden: 'FORBIDDEN',
};

/** The way IMS and the Huawei services in front of it write their codes (IMG.0070, APIGW.0308). */
const CLOUD_CODE = /^[A-Za-z][A-Za-z0-9_]*\.[0-9]{3,5}$/;

const entry = (table: Record<string, string>, key: string): string | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

/**
 * What to do about an error with this code: our reading of IMS's advice for a documented IMS
 * code, ours for our own codes, "look it up" for any other cloud code, else the advice for the
 * error's source. Null only for an unknown code without a source we know.
 */
export function hintFor(code: string, source?: string): string | null {
  const texts = hintTexts();
  // Typed here so that a code of OWN_ERROR_CODES without a text does not compile.
  const own: Record<OwnErrorCode, string> = texts.own;
  const known = entry(own, code) ?? entry(texts.ims, code.toUpperCase());
  if (known !== undefined) return known;
  if (CLOUD_CODE.test(code)) return texts.unknownCloudCode;
  if (source === undefined) return null;
  const sourceCode: OwnErrorCode | undefined = source === 'ims' ? 'IMS_REFUSED' : Object.hasOwn(BY_SOURCE, source) ? BY_SOURCE[source] : undefined;
  return sourceCode !== undefined ? own[sourceCode] : (entry(texts.bySource, source) ?? null);
}
