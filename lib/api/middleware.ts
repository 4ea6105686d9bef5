// Cross-cutting steps of the HTTP handler, as middy middlewares.
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logInvocation, logger } from '../log.js';
import { internalError, type HttpResult } from './problems.js';

/** Any uncaught error becomes a 500 problem naming only the request id; the error itself goes to the log. */
export function problemOnError(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, Context> {
  return {
    onError: async (request) => {
      const instance = request.context.awsRequestId;
      logger.error('unhandled error', { error: request.error?.message, name: request.error?.name, stack: request.error?.stack });
      request.response = internalError({ instance });
    },
  };
}

/** Security headers every answer carries; these bodies are data, never to be sniffed or framed. */
export function apiHeaders(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult, Error, Context> {
  const add = async (request: { response: HttpResult | null | undefined }) => {
    if (request.response) {
      request.response.headers = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...request.response.headers };
    }
  };
  return { after: add, onError: add };
}

/**
 * The middy chain of a function behind the HTTP API (intake, chatops): its Lambda context and API
 * Gateway's request id on every log line (the id its access log and a caller's support ticket name),
 * the security headers, and a 500 problem for anything uncaught.
 */
export function httpApiFunction() {
  return middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
    .use(logInvocation())
    .before((request) => logger.setCorrelationId(request.event.requestContext?.requestId))
    .use(apiHeaders())
    .use(problemOnError());
}
