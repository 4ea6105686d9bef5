// The HTTP API (routes and answers as the OpenAPI document describes them), as functions from an
// API Gateway event to a result.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { logger } from '../log.js';
import { acceptRequest } from '../requests/accept.js';
import {
  badCursor,
  conflict,
  noSuchRequest,
  idempotencyKeyReused,
  internalError,
  methodNotAllowed,
  notFound,
  rateLimitHeaders,
  rateLimited,
  unauthorized,
  validationFailed,
  forbidden,
  type HttpResult,
} from './problems.js';
import { publicRecord, type RequestKind, type StoredRequest } from '../requests/record.js';
import { idempotencyKey, requestErrorMap, validationErrors } from '../requests/schemas.js';
import { listQuery } from './schemas.js';
import type { Tenant } from '../tenants.js';
import { ownRecord, type ApiDeps } from './deps.js';
import { DELIVERY_ROUTES } from './deliveries.js';
import { bearerToken, header, json, jsonBody } from './http.js';

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
  const outcome = await acceptRequest(tenant, kind, body.value, { via: 'http', idempotencyKey: key?.data ?? null }, deps);
  switch (outcome.outcome) {
    case 'invalid':
      return validationFailed(outcome.errors, { instance });
    case 'rate-limited':
      return rateLimited(outcome.retryAfterSeconds, { instance, quota: outcome.quota });
    case 'forbidden':
      return forbidden(outcome.errors, { instance });
    case 'no-project':
      return validationFailed([{ path: 'project_id', message: `is required: no default project for region ${outcome.region}` }], { instance });
    case 'unavailable':
      logger.error('store unavailable at intake', { error: outcome.error.message });
      return internalError({ instance });
    case 'conflict':
      return idempotencyKeyReused({ instance });
    case 'replayed':
      return json(200, publicRecord(outcome.record), { location: `/v1/requests/${outcome.record.id}`, ...rateLimitHeaders(outcome.quota) });
    case 'created':
      return json(202, publicRecord(outcome.record), { location: `/v1/requests/${outcome.record.id}`, ...rateLimitHeaders(outcome.quota) });
  }
};

const getRequest: Route = async (_event, tenant, deps, instance, [id]) => {
  const record = await ownRecord(deps, tenant, id ?? '');
  return record ? json(200, publicRecord(record)) : noSuchRequest(id, { instance });
};

const listRequests: Route = async (event, tenant, deps, instance) => {
  const query = listQuery.safeParse(event.queryStringParameters ?? {}, { error: requestErrorMap });
  if (!query.success) {
    const errors = validationErrors(query.error);
    return errors.some((e) => e.path === 'cursor') ? badCursor({ instance }) : validationFailed(errors, { instance });
  }
  const page = await deps.store.list(tenant.id, query.data);
  if (page instanceof Error) {
    if (page.kind === 'bad-cursor') return badCursor({ instance });
    throw page;
  }
  return json(200, { items: page.items.map(publicRecord), next_cursor: page.next_cursor });
};

const cancelRequest: Route = async (_event, tenant, deps, instance, [id]) => {
  const record = await ownRecord(deps, tenant, id ?? '');
  if (!record) return noSuchRequest(id, { instance });
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
  { method: 'GET', path: /^\/v1\/health$/, auth: false, run: async () => json(200, { status: 'ok' }) },
];

/** Dispatches one API event. Unknown paths are 404, a known path with another method 405 with Allow; unauthenticated calls to protected routes 401. */
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
  const allowed = ROUTES.filter((route) => route.path.test(path)).map((route) => route.method);
  if (allowed.length > 0) return methodNotAllowed(method, path, [...new Set(allowed)], { instance });
  return notFound(`No route ${method} ${path}.`, { instance });
}
