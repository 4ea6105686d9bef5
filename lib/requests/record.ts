// The request record (docs/architecture.md, "The request record and its lifecycle"): the one shape stored in DynamoDB, shown by the API
// and sent in webhooks. Internal bookkeeping lives in `internal` and never leaves the service.
import * as z from '../zod.js';
import { documented } from '../zod.js';

export const requestKind = z.enum(['export', 'import', 'capture']);
export type RequestKind = z.infer<typeof requestKind>;

export const requestStatus = z.enum(['queued', 'submitting', 'running', 'succeeded', 'failed', 'cancelled']);
export type RequestStatus = z.infer<typeof requestStatus>;

export const TERMINAL_STATUSES: readonly RequestStatus[] = ['succeeded', 'failed', 'cancelled'];

/** `precheck`: refused before submission by a documented IMS rule; `auth`: IAM or IMS refused the credentials or project; `forbidden`: outside the tenant's fence. */
export const errorSource = z.enum(['ims', 'validation', 'timeout', 'internal', 'precheck', 'auth', 'forbidden']);

export const requestError = z.object({
  code: documented(z.string(), 'IMS\'s own code (e.g. IMG.0070) when IMS gave one, else one of ours'),
  message: z.string(),
  source: errorSource,
  hint: documented(z.optional(z.nullable(z.string())), 'what to do about it, in one or two sentences'),
});
export type RequestError = z.infer<typeof requestError>;

export const webhookStatus = z.enum(['none', 'pending', 'delivered', 'failed']);

export const webhookState = z.object({
  status: webhookStatus,
  attempts: z.number().check(z.int(), z.gte(0)),
});

const isoTime = documented(z.string(), { format: 'date-time', description: 'ISO 8601 UTC timestamp' });

export const requestRecord = documented(z.object({
  id: z.string(),
  kind: requestKind,
  status: requestStatus,
  tenant: z.string(),
  client_ref: z.nullable(z.string()),
  params: documented(z.record(z.string(), z.unknown()), 'the request fields of its kind, as accepted'),
  region: z.string(),
  project_id: z.string(),
  ims_job_id: z.nullable(z.string()),
  image_id: documented(z.nullable(z.string()), 'the image made by an import or capture (or exported)'),
  progress: z.nullable(z.number().check(z.gte(0), z.lte(100))),
  error: z.nullable(requestError),
  /** Older records have none: read as null. */
  last_error: documented(z._default(z.nullable(requestError), null), 'the latest transient error while the request waits to be submitted again; null once IMS took it or it ended'),
  attempts: documented(z.number().check(z.int(), z.gte(0)), 'IMS submissions made'),
  parent_id: z.nullable(z.string()),
  child_id: z.nullable(z.string()),
  created_at: isoTime,
  submitted_at: z.nullable(isoTime),
  updated_at: isoTime,
  completed_at: z.nullable(isoTime),
  next_check_at: z.nullable(isoTime),
  webhook: webhookState,
  evidence: documented(
    z.optional(z.nullable(z.string())),
    'what OBS could or could not show about the request: after an answer from IMS was lost, the evidence the outcome waits for (an export\'s object in OBS) or why it cannot be looked for (no OBS credentials); or that the OBS checks before submission were skipped. Absent or null otherwise',
  ),
}), { id: 'RequestRecord', description: 'a request and where it stands' });
export type RequestRecord = z.infer<typeof requestRecord>;

/** Bookkeeping kept beside a record; never shown to callers. */
export const requestInternal = z.object({
  /** Optimistic-concurrency counter: every write is conditional on the version it read. */
  version: z.number().check(z.int(), z.gte(0)),
  /** SHA-256 of the canonical request body, to tell an idempotent replay from a conflicting one. */
  body_hash: z.string(),
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
