// chatops: Slack and Mattermost slash commands (POST /v1/chatops/slack), answered at once; the
// outcome is posted later by the worker and poller. Its own function, so the HTTP API's bundle
// and cold start carry none of the chat modules.
import type { ApiDeps } from '../lib/api/deps.js';
import { httpApiFunction } from '../lib/api/middleware.js';
import { methodNotAllowed } from '../lib/api/problems.js';
import { CHATOPS_PATH, handleSlashCommand } from '../lib/chatops/slash.js';
import { apiDeps } from '../lib/runtime/api.js';

export function createChatopsHandler(deps: () => ApiDeps | Promise<ApiDeps>) {
  return httpApiFunction().handler((event, context) => {
    const method = event.requestContext.http.method.toUpperCase();
    // API Gateway routes every method of the path here (ANY), so a GET gets the API's 405, not a 404.
    if (method !== 'POST') return Promise.resolve(methodNotAllowed(method, CHATOPS_PATH, ['POST'], { instance: context.awsRequestId }));
    return handleSlashCommand(event, async () => deps(), context.awsRequestId);
  });
}

export const handler = createChatopsHandler(apiDeps);
