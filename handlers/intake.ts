// intake: the HTTP API (API Gateway HTTP API, payload 2.0).
import type { ApiDeps } from '../lib/api/deps.js';
import { httpApiFunction } from '../lib/api/middleware.js';
import { routeApiEvent } from '../lib/api/routes.js';
import { apiDeps } from '../lib/runtime/api.js';

export function createIntakeHandler(deps: () => ApiDeps | Promise<ApiDeps>) {
  return httpApiFunction().handler((event, context) => routeApiEvent(event, async () => deps(), context.awsRequestId));
}

export const handler = createIntakeHandler(apiDeps);
