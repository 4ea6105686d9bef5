// chatops: Slack and Mattermost slash commands (POST /v1/chatops/slack), answered at once; the
// outcome is posted later by the worker and poller. Its own function, so the HTTP API's bundle
// and cold start carry none of the chat modules.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { apiHeaders, problemOnError } from '../lib/api/middleware.js';
import type { ApiDeps } from '../lib/api/deps.js';
import { methodNotAllowed, type HttpResult } from '../lib/api/problems.js';
import { CHATOPS_PATH, handleSlashCommand } from '../lib/chatops/slash.js';
import { logInvocation, logger } from '../lib/log.js';
import { apiDeps } from '../lib/runtime/api.js';

export function createChatopsHandler(deps: () => ApiDeps | Promise<ApiDeps>) {
  return middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
    .use(logInvocation())
    .before((request) => logger.setCorrelationId(request.event.requestContext?.requestId))
    .use(apiHeaders())
    .use(problemOnError())
    .handler((event, context) => {
      const method = event.requestContext.http.method.toUpperCase();
      // API Gateway routes every method of the path here (ANY), so a GET gets the API's 405, not a 404.
      if (method !== 'POST') return Promise.resolve(methodNotAllowed(method, CHATOPS_PATH, ['POST'], { instance: context.awsRequestId }));
      return handleSlashCommand(event, async () => deps(), context.awsRequestId);
    });
}

export const handler = createChatopsHandler(apiDeps);
