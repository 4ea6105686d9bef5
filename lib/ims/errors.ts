// IMS failures as values with a kind, so callers decide by kind and never by matching strings.
// Nothing here may carry a password, token, SK or signature: messages are IMS's own or ours.
import * as z from '../zod.js';

export type ImsErrorKind =
  /** IMS (or our own validation, before any call) said no: a 4xx with IMS's code kept verbatim. */
  | 'refused'
  /** Nothing happened in IMS: 429, 503, any 5xx to a GET, a connection that never carried the request, a GET timeout. */
  | 'retryable'
  /** A POST was sent and IMS may or may not have acted: its answer never came, or came as 500, 502 or 504. */
  | 'unknown-outcome'
  /**
   * Our credentials or project were refused: IAM would not issue a token, IMS answered 401 (again after
   * a fresh token) or 403, or IMS named the project or token wrong. Retrying cannot help; an operator must.
   */
  | 'auth';

/** The loggable, storable view of an ImsError. */
export interface ImsErrorFields {
  kind: ImsErrorKind;
  operation: string;
  /** HTTP status, null when no answer came. */
  status: number | null;
  /** IMS's own code (e.g. IMG.0070), or ours for transport failures. */
  code: string | null;
  message: string;
  /** The body field that broke a rule (our own validation). */
  field: string | null;
  /** Whole milliseconds, never negative. */
  retryAfterMs: number | null;
}

// A class only so that a thrown error keeps its stack; its data is exactly ImsErrorFields.
export class ImsError extends Error implements ImsErrorFields {
  readonly kind: ImsErrorKind;
  readonly operation: string;
  readonly status: number | null;
  readonly code: string | null;
  readonly field: string | null;
  readonly retryAfterMs: number | null;

  constructor(fields: Omit<ImsErrorFields, 'field' | 'retryAfterMs'> & Partial<Pick<ImsErrorFields, 'field' | 'retryAfterMs'>>) {
    super(fields.message);
    this.name = 'ImsError';
    this.kind = fields.kind;
    this.operation = fields.operation;
    this.status = fields.status;
    this.code = fields.code;
    this.field = fields.field ?? null;
    this.retryAfterMs = fields.retryAfterMs ?? null;
  }

  toJSON(): ImsErrorFields {
    return {
      kind: this.kind,
      operation: this.operation,
      status: this.status,
      code: this.code,
      message: this.message,
      field: this.field,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

export function isImsError(value: unknown): value is ImsError {
  return value instanceof ImsError;
}

/** IMS's error codes look like IMG.0070; other Huawei services use other prefixes (APIGW.0301, IAM.0001...). */
const IMS_CODE = /^[A-Za-z][A-Za-z0-9_]*\.[0-9]{3,5}$/;

// The shapes Huawei services answer errors with: IMS nests them, APIG and some regions do not.
const nestedError = z.object({ error: z.object({ code: z.string(), message: z.optional(z.string()) }) });
const flatErrorCode = z.object({ error_code: z.string(), error_msg: z.optional(z.string()) });
const flatCode = z.object({ code: z.string(), message: z.optional(z.string()) });

/** IMS's code and message from an error body, in any of the shapes Huawei services answer with. */
export function parseErrorBody(text: string): { code: string | null; message: string | null } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { code: null, message: null };
  }
  const nested = nestedError.safeParse(json);
  const errorCode = flatErrorCode.safeParse(json);
  const flat = flatCode.safeParse(json);
  const [code, message] = nested.success
    ? [nested.data.error.code, nested.data.error.message]
    : errorCode.success
      ? [errorCode.data.error_code, errorCode.data.error_msg]
      : flat.success
        ? [flat.data.code, flat.data.message]
        : [null, undefined];
  return { code: code !== null && IMS_CODE.test(code) ? code : null, message: message ?? null };
}

/**
 * IMS codes (error_codes.rst) that say the project or the token is wrong, or that the credentials'
 * role lacks the rights: the same call with the same credentials will be refused again.
 */
export const CREDENTIAL_CODES: ReadonlySet<string> = new Set([
  'IMG.0026', // the role is invalid: apply for the permissions (403)
  'IMG.0030', // the project ID and token are invalid
  'IMG.0067', // the project ID is incorrect
  'IMG.0087', // the token is incorrect
  'IMG.0104', // several projects in the region: a project must be named
  'IMG.0108', // the tenant (project) was not found in this region
  'IMG.0145', // the project name is incorrect
]);

/** The kind an HTTP answer with this status belongs to (2xx are not errors). */
export function kindOfStatus(status: number): ImsErrorKind {
  // 403: "you do not have the rights to perform the operation", a property of the credentials.
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || status >= 500) return 'retryable';
  return 'refused';
}

/**
 * The kind of a POST's error answer. 500, 502 and 504 can come after IMS acted (a backend that
 * failed half-way, a gateway that gave up on a backend that finished): the outcome is unknown, so
 * the next try looks before it submits again. 429 and 503 turn the call away before it is done.
 */
export function kindOfPostStatus(status: number): ImsErrorKind {
  if (status === 500 || status === 502 || status === 504) return 'unknown-outcome';
  return kindOfStatus(status);
}

/** The kind of an error answer to a GET or a POST, by IMS's code first and then by status. */
export function kindOfAnswer(method: 'GET' | 'POST', status: number, code: string | null): ImsErrorKind {
  if (code !== null && CREDENTIAL_CODES.has(code)) return 'auth';
  return method === 'POST' ? kindOfPostStatus(status) : kindOfStatus(status);
}

/** `Retry-After` in seconds or as an HTTP date, in ms from now; null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
