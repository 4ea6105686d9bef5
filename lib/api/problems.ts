// RFC 9457 problem details for every error the HTTP API answers (listed in the OpenAPI document).
// `type` URIs are stable identifiers callers may switch on; they are documented, not fetched.
// What the OpenAPI document says of these fields is in lib/api/openapi-docs.ts (build time only): a field added here fails typecheck until it is described there.
import * as z from '../zod.js';
import { fieldError, type FieldError } from '../requests/schemas.js';
import type { RateQuota } from '../store/rate-limit.js';

const PROBLEM_BASE = 'https://ims-transfer.dev/problems/';

/** Every problem type the API answers with, and its fixed title. */
export const PROBLEM_TYPES = {
  'malformed-json': { status: 400, title: 'Malformed JSON' },
  'bad-cursor': { status: 400, title: 'Bad cursor' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  'chat-unverified': { status: 401, title: 'Chat request not verified' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  validation: { status: 422, title: 'Validation failed' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
} as const;
export type ProblemType = keyof typeof PROBLEM_TYPES;

export const problemTypeUri = (type: ProblemType) => `${PROBLEM_BASE}${type}`;

const PROBLEM_TYPE_URIS = Object.keys(PROBLEM_TYPES).map((type) => problemTypeUri(type as ProblemType)) as [string, ...string[]];

export const problemDetails = z.object({
  type: z.enum(PROBLEM_TYPE_URIS),
  title: z.string(),
  status: z.number().check(z.int(), z.gte(400), z.lte(599)),
  detail: z.string(),
  errors: z.optional(z.array(fieldError)),
  instance: z.optional(z.string()),
});
export type ProblemDetails = z.infer<typeof problemDetails>;

/** The API Gateway HTTP API (payload 2.0) result shape. */
export type HttpResult = { statusCode: number; headers: Record<string, string>; body: string };

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

type Options = { instance?: string; headers?: Record<string, string> };

export function problem(type: ProblemType, detail: string, extra: { errors?: FieldError[] } & Options = {}): HttpResult {
  const { status, title } = PROBLEM_TYPES[type];
  const body: ProblemDetails = { type: problemTypeUri(type), title, status, detail };
  if (extra.errors !== undefined) body.errors = extra.errors;
  if (extra.instance !== undefined) body.instance = extra.instance;
  return { statusCode: status, headers: { ...extra.headers, 'content-type': PROBLEM_CONTENT_TYPE }, body: JSON.stringify(body) };
}

export const malformedJson = (opts?: Options) => problem('malformed-json', 'The request body is not valid JSON.', opts);

/** A list cursor this listing never handed out (forged, another tenant's, cut short or too long). */
export const badCursor = (opts?: Options) =>
  problem('bad-cursor', 'The cursor is not one this listing handed out: start again without it.', { errors: [{ path: 'cursor', message: 'is not a cursor of this listing' }], ...opts });

// Never echo the presented key: it may be a real key with a typo.
export const unauthorized = (opts?: Options) =>
  problem('unauthorized', 'A valid API key is required: Authorization: Bearer <api key>.', {
    ...opts,
    headers: { 'www-authenticate': 'Bearer', ...opts?.headers },
  });

// A chat platform, not a bearer of API keys, is calling: say what was wrong, and no Bearer challenge.
export const chatUnverified = (detail: string, opts?: Options) => problem('chat-unverified', detail, opts);

export const notFound = (detail = 'No such resource.', opts?: Options) => problem('not-found', detail, opts);

/** 404 for a request id; an absurdly long one is not echoed whole. */
export const noSuchRequest = (id: string | undefined, opts?: Options) =>
  notFound(`No request ${(id ?? '').length > 40 ? `${(id ?? '').slice(0, 40)}…` : (id ?? '')}.`, opts);

export const methodNotAllowed = (method: string, path: string, allowed: string[], opts?: Options) =>
  problem('method-not-allowed', `${path} does not take ${method}; it takes ${allowed.join(', ')}.`, {
    ...opts,
    headers: { allow: allowed.join(', '), ...opts?.headers },
  });

export const conflict = (detail: string, opts?: Options) => problem('conflict', detail, opts);

export const payloadTooLarge = (limitBytes: number, opts?: Options) =>
  problem('payload-too-large', `The request body is larger than ${limitBytes} bytes.`, opts);

export const unsupportedMediaType = (opts?: Options) =>
  problem('unsupported-media-type', 'The request body must be application/json.', opts);

/** A region or project outside the tenant's fence: 403, naming the field. */
export const forbidden = (errors: FieldError[], opts?: Options) =>
  problem('forbidden', 'The request names a region or project this tenant may not use.', { ...opts, errors });

export const validationFailed = (errors: FieldError[], opts?: Options) =>
  problem('validation', `The request has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}.`, { ...opts, errors });

export const idempotencyKeyReused = (opts?: Options) =>
  problem('idempotency-key-reused', 'This Idempotency-Key was already used with a different request body.', opts);

/** The RateLimit-Policy and RateLimit fields (IETF httpapi-ratelimit-headers) of one policy, "tenant". */
export function rateLimitHeaders(quota: RateQuota | undefined): Record<string, string> {
  if (!quota) return {};
  return {
    'ratelimit-policy': `"tenant";q=${quota.limit};w=${quota.windowSeconds}`,
    ratelimit: `"tenant";r=${quota.remaining};t=${quota.resetSeconds}`,
  };
}

export const rateLimited = (retryAfterSeconds?: number, opts?: Options & { quota?: RateQuota }) =>
  problem('rate-limited', 'Too many requests for this tenant; retry later.', {
    ...opts,
    headers: {
      ...(retryAfterSeconds !== undefined ? { 'retry-after': String(Math.ceil(retryAfterSeconds)) } : {}),
      ...rateLimitHeaders(opts?.quota),
      ...opts?.headers,
    },
  });

// Internals (stack, messages of caught errors) stay in the logs; the caller gets a reference to quote.
export const internalError = (opts?: Options) =>
  problem('internal', 'Something went wrong on our side. Quote the instance when you report it.', opts);
