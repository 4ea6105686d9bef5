// intake: the HTTP API (API Gateway HTTP API, payload 2.0).
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { apiHeaders, problemOnError } from '../lib/api/middleware.js';
import type { ApiDeps } from '../lib/api/deps.js';
import { routeApiEvent } from '../lib/api/routes.js';
import { logInvocation, logger } from '../lib/log.js';
import type { HttpResult } from '../lib/api/problems.js';
import { apiDeps } from '../lib/runtime/api.js';

export function createIntakeHandler(deps: () => ApiDeps | Promise<ApiDeps>) {
  return middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
    .use(logInvocation())
    // Every log line of the call carries API Gateway's request id, the one its access log and the caller's support ticket name.
    .before((request) => logger.setCorrelationId(request.event.requestContext?.requestId))
    .use(apiHeaders())
    .use(problemOnError())
    .handler((event, context) => routeApiEvent(event, async () => deps(), context.awsRequestId));
}

export const handler = createIntakeHandler(apiDeps);
