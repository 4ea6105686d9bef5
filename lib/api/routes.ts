// The HTTP API of contract section 2, as functions from an API Gateway event to a result.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { handleSlashCommand, type ChatSettings } from '../chatops/slash.js';
import { logger } from '../log.js';
import type { IntakeQueue } from '../queue/intake.js';
import { recordRequest, type Placement } from '../requests/intake.js';
import { openApiDocument } from '../requests/openapi.js';
import {
  conflict,
  idempotencyKeyReused,
  internalError,
  notFound,
  rateLimited,
  unauthorized,
  validationFailed,
  type HttpResult,
} from '../requests/problems.js';
import { publicRecord, type RequestKind, type StoredRequest } from '../requests/record.js';
import { idempotencyKey, listQuery, parseRequest, requestErrorMap, validationErrors } from '../requests/schemas.js';
import type { DeliveryLog } from '../store/deliveries.js';
import type { RateLimiter } from '../store/rate-limit.js';
import type { RequestStore } from '../store/requests.js';
import type { Tenant, TenantDirectory } from '../tenants.js';
import { DELIVERY_ROUTES } from './deliveries.js';
import { bearerToken, header, json, jsonBody } from './http.js';

export interface ApiDeps {
  tenants: TenantDirectory;
  store: RequestStore;
  queue: IntakeQueue;
  rateLimiter: RateLimiter;
  placement: Placement;
  now: () => Date;
  /** Cancels a queued request; anything else is refused (IMS has no cancel). */
  cancel: (record: StoredRequest, at: Date) => Promise<{ ok: true; record: StoredRequest } | { ok: false; status: StoredRequest['status']; reason: string }>;
  /** Slash commands: the Slack signing secret and this container's replay cache. */
  chat: ChatSettings;
  /** The delivery log, read by GET /v1/requests/{id}/deliveries. */
  deliveries: Pick<DeliveryLog, 'list'>;
}

type Route = (event: APIGatewayProxyEventV2, tenant: Tenant, deps: ApiDeps, instance: string, params: string[]) => Promise<HttpResult>;

const KIND_BY_PATH: Record<string, RequestKind> = { exports: 'export', imports: 'import', captures: 'capture' };

const createRequest: Route = async (event, tenant, deps, instance, [collection]) => {
  const kind = KIND_BY_PATH[collection ?? ''] as RequestKind;
  const keyHeader = header(event, 'idempotency-key');
  const key = keyHeader === undefined ? null : idempotencyKey.safeParse(keyHeader);
  if (key && !key.success) {
    return validationFailed([{ path: 'Idempotency-Key', message: 'must have 1 to 255 characters' }], { instance });
  }
  const body = jsonBody(event, instance);
  if (!body.ok) return body.result;
  const parsed = parseRequest(kind, body.value);
  if (!parsed.ok) return validationFailed(parsed.errors, { instance });

  const rate = await deps.rateLimiter.take(tenant.id, tenant.requests_per_minute, deps.now());
  if (!rate.allowed) return rateLimited(rate.retryAfterSeconds, { instance });

  const outcome = await recordRequest(
    { tenant, kind, request: parsed.request as Record<string, unknown>, idempotencyKey: key?.data ?? null },
    { store: deps.store, placement: deps.placement, now: deps.now },
  );
  switch (outcome.outcome) {
    case 'no-project':
      return validationFailed([{ path: 'project_id', message: `is required: no default project for region ${outcome.region}` }], { instance });
    case 'unavailable':
      logger.error('store unavailable at intake', { error: outcome.error.message });
      return internalError({ instance });
    case 'conflict':
      return idempotencyKeyReused({ instance });
    case 'replayed':
      return json(200, publicRecord(outcome.record), { location: `/v1/requests/${outcome.record.id}` });
    case 'created': {
      const sent = await deps.queue.send({ request_id: outcome.record.id }).catch((error: unknown) => error as Error);
      // The record is stored: if the message is lost, the poller re-enqueues queued records after a minute.
      if (sent instanceof Error) logger.warn('intake queue send failed; the poller will re-enqueue', { requestId: outcome.record.id, error: sent.message });
      logger.info('request accepted', { requestId: outcome.record.id, kind, tenant: tenant.id });
      return json(202, publicRecord(outcome.record), { location: `/v1/requests/${outcome.record.id}` });
    }
  }
};

async function ownRecord(deps: ApiDeps, tenant: Tenant, id: string): Promise<StoredRequest | null> {
  const found = await deps.store.get(id);
  if (found instanceof Error) throw found;
  // Another tenant's request is indistinguishable from one that does not exist.
  return found && found.tenant === tenant.id ? found : null;
}

const getRequest: Route = async (_event, tenant, deps, instance, [id]) => {
  const record = await ownRecord(deps, tenant, id ?? '');
  return record ? json(200, publicRecord(record)) : notFound(`No request ${id}.`, { instance });
};

const listRequests: Route = async (event, tenant, deps, instance) => {
  const query = listQuery.safeParse(event.queryStringParameters ?? {}, { error: requestErrorMap });
  if (!query.success) return validationFailed(validationErrors(query.error), { instance });
  const page = await deps.store.list(tenant.id, query.data);
  if (page instanceof Error) {
    if (page.kind === 'bad-cursor') return validationFailed([{ path: 'cursor', message: 'is not a cursor of this listing' }], { instance });
    throw page;
  }
  return json(200, { items: page.items.map(publicRecord), next_cursor: page.next_cursor });
};

const cancelRequest: Route = async (_event, tenant, deps, instance, [id]) => {
  const record = await ownRecord(deps, tenant, id ?? '');
  if (!record) return notFound(`No request ${id}.`, { instance });
  const result = await deps.cancel(record, deps.now());
  if (!result.ok) return conflict(`Request ${record.id} is ${result.status}: ${result.reason}`, { instance });
  return json(200, publicRecord(result.record));
};

/** A route anyone may call (it authenticates its own way, if at all); it loads the deps only if it needs them. */
type PublicRoute = (event: APIGatewayProxyEventV2, deps: () => Promise<ApiDeps>, instance: string) => Promise<HttpResult>;

type RouteEntry = { method: string; path: RegExp } & ({ auth: true; run: Route } | { auth: false; run: PublicRoute });

const ROUTES: RouteEntry[] = [
  { method: 'POST', path: /^\/v1\/(exports|imports|captures)$/, auth: true, run: createRequest },
  { method: 'GET', path: /^\/v1\/requests\/(req_[A-Za-z0-9]+)$/, auth: true, run: getRequest },
  { method: 'DELETE', path: /^\/v1\/requests\/(req_[A-Za-z0-9]+)$/, auth: true, run: cancelRequest },
  { method: 'GET', path: /^\/v1\/requests$/, auth: true, run: listRequests },
  ...DELIVERY_ROUTES,
  { method: 'GET', path: /^\/v1\/openapi\.json$/, auth: false, run: async () => json(200, openApiDocument()) },
  { method: 'GET', path: /^\/v1\/health$/, auth: false, run: async () => json(200, { status: 'ok' }) },
  { method: 'POST', path: /^\/v1\/chatops\/slack$/, auth: false, run: handleSlashCommand },
];

/** Dispatches one API event. Unknown paths are 404; unauthenticated calls to protected routes 401. */
export async function routeApiEvent(event: APIGatewayProxyEventV2, loadDeps: () => Promise<ApiDeps>, instance: string): Promise<HttpResult> {
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath.replace(/\/+$/, '') || '/';
  for (const route of ROUTES) {
    const match = route.method === method ? route.path.exec(path) : null;
    if (!match) continue;
    if (!route.auth) return route.run(event, loadDeps, instance);
    const deps = await loadDeps();
    const key = bearerToken(event);
    const tenant = key ? deps.tenants.byApiKey(key) : null;
    if (!tenant) return unauthorized({ instance });
    return route.run(event, tenant, deps, instance, match.slice(1));
  }
  return notFound(`No route ${method} ${path}.`, { instance });
}
