// A message a producer puts on the intake queue itself: the envelope (kind, tenant, request,
// idempotency_key) whose request is the body of its kind, validated as an HTTP body is.
import * as z from '../zod.js';
import { requestKind, type RequestKind } from './record.js';
import { idempotencyKey, parseRequest, requestErrorMap, validationErrors, type FieldError, type RequestByKind } from './schemas.js';

/** The tenant the request belongs to. */
export const tenantId = z.string().check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a tenant id of 1 to 64 letters, digits, ".", "_" or "-"'));

/** The envelope; its `request` is validated as the body of its kind (parseRequest), like an HTTP body. */
const queueMessage = z.strictObject({
  kind: requestKind,
  tenant: tenantId,
  request: z.record(z.string(), z.unknown()),
  idempotency_key: z.optional(idempotencyKey),
});
export type QueueMessage = { [K in RequestKind]: { kind: K; tenant: string; request: RequestByKind[K]; idempotency_key?: string | undefined } }[RequestKind];

export type ParsedQueueMessage =
  | { ok: true; message: QueueMessage }
  | { ok: false; tenant: string | null; errors: FieldError[] };

/** Validates an SQS body; on failure keeps the tenant when it is readable, so the failure can be recorded for it. */
export function parseQueueMessage(body: string): ParsedQueueMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, tenant: null, errors: [{ path: '', message: 'is not valid JSON' }] };
  }
  const parsed = queueMessage.safeParse(json, { error: requestErrorMap });
  if (parsed.success) {
    const { kind, request } = parsed.data;
    const checked = parseRequest(kind, request);
    if (checked.ok) return { ok: true, message: { ...parsed.data, request: checked.request } as QueueMessage };
    return { ok: false, tenant: parsed.data.tenant, errors: checked.errors.map((e) => ({ ...e, path: e.path ? `request.${e.path}` : 'request' })) };
  }
  const raw = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  const tenant = tenantId.safeParse(raw.tenant);
  return { ok: false, tenant: tenant.success ? tenant.data : null, errors: validationErrors(parsed.error) };
}
