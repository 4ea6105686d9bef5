// The request record (docs/architecture.md, "The request record and its lifecycle"): the one shape stored in DynamoDB, shown by the API
// and sent in webhooks. Internal bookkeeping lives in `internal` and never leaves the service.
// What the OpenAPI document says of these fields is in lib/api/openapi-docs.ts (build time only): a field added here fails typecheck until it is described there.
import * as z from '../zod.js';

export const requestKind = z.enum(['export', 'import', 'capture']);
export type RequestKind = z.infer<typeof requestKind>;

export const requestStatus = z.enum(['queued', 'submitting', 'running', 'succeeded', 'failed', 'cancelled']);
export type RequestStatus = z.infer<typeof requestStatus>;

export const TERMINAL_STATUSES: readonly RequestStatus[] = ['succeeded', 'failed', 'cancelled'];

/** `precheck`: refused before submission by a documented IMS rule; `auth`: IAM or IMS refused the credentials or project; `forbidden`: outside the tenant's fence. */
export const errorSource = z.enum(['ims', 'validation', 'timeout', 'internal', 'precheck', 'auth', 'forbidden']);

export const requestError = z.object({
  code: z.string(),
  message: z.string(),
  source: errorSource,
  hint: z.optional(z.nullable(z.string())),
});
export type RequestError = z.infer<typeof requestError>;

export const webhookStatus = z.enum(['none', 'pending', 'delivered', 'failed']);

export const webhookState = z.object({
  status: webhookStatus,
  attempts: z.number().check(z.int(), z.gte(0)),
});

/** A timestamp, ISO 8601 in UTC (the document marks it date-time). */
const isoTime = z.string();

export const requestRecord = z.object({
  id: z.string(),
  kind: requestKind,
  status: requestStatus,
  tenant: z.string(),
  client_ref: z.nullable(z.string()),
  params: z.record(z.string(), z.unknown()),
  region: z.string(),
  project_id: z.string(),
  ims_job_id: z.nullable(z.string()),
  image_id: z.nullable(z.string()),
  progress: z.nullable(z.number().check(z.gte(0), z.lte(100))),
  error: z.nullable(requestError),
  /** Older records have none: read as null. */
  last_error: z._default(z.nullable(requestError), null),
  attempts: z.number().check(z.int(), z.gte(0)),
  parent_id: z.nullable(z.string()),
  child_id: z.nullable(z.string()),
  created_at: isoTime,
  submitted_at: z.nullable(isoTime),
  updated_at: isoTime,
  completed_at: z.nullable(isoTime),
  next_check_at: z.nullable(isoTime),
  webhook: webhookState,
  evidence: z.optional(z.nullable(z.string())),
});
export type RequestRecord = z.infer<typeof requestRecord>;

/** Bookkeeping kept beside a record; never shown to callers. */
export const requestInternal = z.object({
  /** Optimistic-concurrency counter: every write is conditional on the version it read. */
  version: z.number().check(z.int(), z.gte(0)),
  /** SHA-256 of the canonical request body, to tell an idempotent replay from a conflicting one; null without an idempotency key (nothing can replay it). */
  body_hash: z.nullable(z.string()),
  callback_url: z.nullable(z.string()),
  /** Set while a worker or poller holds the record (ISO time the claim lapses). */
  lease_until: z.nullable(z.string()),
  /** True once a submission's outcome was unknown (timed out): the next one must look before it leaps. */
  submit_uncertain: z.boolean(),
  webhook_event_id: z.nullable(z.string()),
  /** False from a claim until the worker says it is about to POST (`submission-sending`): a lapsed claim that never got there may submit again. */
  post_sending: z.optional(z.boolean()),
  /** Consecutive job queries IMS answered 404 (it no longer knows the job); reset by any answer about it. */
  job_missing: z.optional(z.number().check(z.int(), z.gte(0))),
  webhook_next_at: z.nullable(z.string()),
  chat: z.nullable(z.object({ response_url: z.nullable(z.string()), response_uses: z.number().check(z.int()), expires_at: z.nullable(z.string()) })),
});
export type RequestInternal = z.infer<typeof requestInternal>;

export type StoredRequest = RequestRecord & { internal: RequestInternal };

export function publicRecord(stored: StoredRequest): RequestRecord {
  const { internal: _internal, ...record } = stored;
  return record;
}
