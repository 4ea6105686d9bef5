// The request record (docs/architecture.md, "The request record and its lifecycle"): the one shape stored in DynamoDB, shown by the API
// and sent in webhooks. Internal bookkeeping lives in `internal` and never leaves the service.
import * as z from 'zod';

export const requestKind = z.enum(['export', 'import', 'capture']);
export type RequestKind = z.infer<typeof requestKind>;

export const requestStatus = z.enum(['queued', 'submitting', 'running', 'succeeded', 'failed', 'cancelled']);
export type RequestStatus = z.infer<typeof requestStatus>;

export const TERMINAL_STATUSES: readonly RequestStatus[] = ['succeeded', 'failed', 'cancelled'];

/** `precheck`: refused before submission by a documented IMS rule; `auth`: IAM or IMS refused the credentials or project; `forbidden`: outside the tenant's fence. */
export const errorSource = z.enum(['ims', 'validation', 'timeout', 'internal', 'precheck', 'auth', 'forbidden']);

export const requestError = z.object({
  code: z.string().describe('IMS\'s own code (e.g. IMG.0070) when IMS gave one, else one of ours'),
  message: z.string(),
  source: errorSource,
  hint: z.string().nullable().optional().describe('what to do about it, in one or two sentences'),
});
export type RequestError = z.infer<typeof requestError>;

export const webhookStatus = z.enum(['none', 'pending', 'delivered', 'failed']);

export const webhookState = z.object({
  status: webhookStatus,
  attempts: z.number().int().min(0),
});

const isoTime = z.string().meta({ format: 'date-time' }).describe('ISO 8601 UTC timestamp');

export const requestRecord = z.object({
  id: z.string(),
  kind: requestKind,
  status: requestStatus,
  tenant: z.string(),
  client_ref: z.string().nullable(),
  params: z.record(z.string(), z.unknown()).describe('the request fields of its kind, as accepted'),
  region: z.string(),
  project_id: z.string(),
  ims_job_id: z.string().nullable(),
  image_id: z.string().nullable().describe('the image made by an import or capture (or exported)'),
  progress: z.number().min(0).max(100).nullable(),
  error: requestError.nullable(),
  /** Older records have none: read as null. */
  last_error: requestError.nullable().default(null).describe('the latest transient error while the request waits to be submitted again; null once IMS took it or it ended'),
  attempts: z.number().int().min(0).describe('IMS submissions made'),
  parent_id: z.string().nullable(),
  child_id: z.string().nullable(),
  created_at: isoTime,
  submitted_at: isoTime.nullable(),
  updated_at: isoTime,
  completed_at: isoTime.nullable(),
  next_check_at: isoTime.nullable(),
  webhook: webhookState,
  evidence: z
    .string()
    .nullable()
    .optional()
    .describe(
      'what OBS could or could not show about the request: after an answer from IMS was lost, the evidence the outcome waits for (an export\'s object in OBS) or why it cannot be looked for (no OBS credentials); or that the OBS checks before submission were skipped. Absent or null otherwise',
    ),
}).meta({ id: 'RequestRecord', description: 'a request and where it stands' });
export type RequestRecord = z.infer<typeof requestRecord>;

/** Bookkeeping kept beside a record; never shown to callers. */
export const requestInternal = z.object({
  /** Optimistic-concurrency counter: every write is conditional on the version it read. */
  version: z.number().int().min(0),
  /** SHA-256 of the canonical request body, to tell an idempotent replay from a conflicting one. */
  body_hash: z.string(),
  callback_url: z.string().nullable(),
  /** Set while a worker or poller holds the record (ISO time the claim lapses). */
  lease_until: z.string().nullable(),
  /** True once a submission's outcome was unknown (timed out): the next one must look before it leaps. */
  submit_uncertain: z.boolean(),
  webhook_event_id: z.string().nullable(),
  /** False from a claim until the worker says it is about to POST (`submission-sending`): a lapsed claim that never got there may submit again. */
  post_sending: z.boolean().optional(),
  /** Consecutive job queries IMS answered 404 (it no longer knows the job); reset by any answer about it. */
  job_missing: z.number().int().min(0).optional(),
  webhook_next_at: z.string().nullable(),
  chat: z
    .object({ response_url: z.string().nullable(), response_uses: z.number().int(), expires_at: z.string().nullable() })
    .nullable(),
});
export type RequestInternal = z.infer<typeof requestInternal>;

export type StoredRequest = RequestRecord & { internal: RequestInternal };

export function publicRecord(stored: StoredRequest): RequestRecord {
  const { internal: _internal, ...record } = stored;
  return record;
}
