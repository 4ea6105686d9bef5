// GET /v1/requests/{id}/deliveries and POST /v1/requests/{id}/redeliver: what happened to a
// request's webhook and chat deliveries, and the outcome event sent once more.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { enqueue } from '../requests/accept.js';
import { publicRecord } from '../requests/record.js';
import { transition } from '../requests/transition.js';
import type { Tenant } from '../tenants.js';
import { ownRecord, type ApiDeps } from './deps.js';
import { json } from './http.js';
import { conflict, noSuchRequest, type HttpResult } from './problems.js';

type DeliveryRoute = (event: APIGatewayProxyEventV2, tenant: Tenant, deps: ApiDeps, instance: string, params: string[]) => Promise<HttpResult>;

const listDeliveries: DeliveryRoute = async (_event, tenant, deps, instance, [id]) => {
  const record = await ownRecord(deps, tenant, id ?? '');
  if (!record) return noSuchRequest(id, { instance });
  return json(200, { items: await deps.deliveries.list(record.id) });
};

/** 202: the outcome event is due at once with its webhook-id, and the worker sends it on taking the message. */
const redeliver: DeliveryRoute = async (_event, tenant, deps, instance, [id]) => {
  const record = await ownRecord(deps, tenant, id ?? '');
  if (!record) return noSuchRequest(id, { instance });
  const decision = await transition(deps.store, record, { type: 'redeliver', at: deps.now() }, deps.timings);
  if (!decision.ok) return conflict(`Request ${record.id} cannot be redelivered: ${decision.detail}.`, { instance });
  // The worker sends it as soon as it takes this message; if the send fails, the poller's next sweep does.
  await enqueue(deps, record.id);
  return json(202, publicRecord(decision.record), { location: `/v1/requests/${record.id}/deliveries` });
};

export const DELIVERY_ROUTES = [
  { method: 'GET', path: /^\/v1\/requests\/(req_[A-Za-z0-9]+)\/deliveries$/, auth: true, run: listDeliveries },
  { method: 'POST', path: /^\/v1\/requests\/(req_[A-Za-z0-9]+)\/redeliver$/, auth: true, run: redeliver },
] as const;
