// page: the status page (GET / and GET /assets/*) and the OpenAPI document (GET /v1/openapi.json),
// static and without dependencies, so that it neither loads anything at cold start nor adds to the
// intake function's bundle.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { servePage } from '../lib/page/serve.js';

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => servePage(event);
