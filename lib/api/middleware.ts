// Cross-cutting steps of the HTTP handler, as middy middlewares.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logger } from '../log.js';
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
