// GET / and GET /assets/*: the status page, and GET /v1/openapi.json: the API's OpenAPI document,
// served by their own small function so that the intake function's bundle carries neither. No key
// is needed to load them; the page asks for one and calls the public API from the same origin.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
// Built at build time (npm run openapi, from lib/api/openapi.ts): no zod or zod-openapi at run time.
import openApiDocument from '../api/openapi.json' with { type: 'json' };
import { PAGE_HTML } from './html.js';
import { PAGE_SCRIPT } from './script.js';
import { PAGE_STYLE } from './style.js';

/** Scripts, styles and calls from this origin only; nothing inline, no framing, no form posts. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const ASSETS: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/assets/app.js': { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT },
  '/assets/style.css': { type: 'text/css; charset=utf-8', body: PAGE_STYLE },
};

const HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Small and changed only by a deploy: a short cache is enough.
  'cache-control': 'public, max-age=300',
};

/** The OpenAPI document's path: an API path, so a wrong method gets the API's problem+json 405. */
const OPENAPI_PATH = '/v1/openapi.json';
const OPENAPI_BODY = JSON.stringify(openApiDocument);
/** The type URI of the API's 405 problem (lib/api/problems.ts; a test holds the two equal). */
export const METHOD_NOT_ALLOWED_TYPE = 'https://ims-transfer.dev/problems/method-not-allowed';

function serveOpenApi(method: string): APIGatewayProxyStructuredResultV2 {
  const headers = { 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=300' };
  if (method !== 'GET' && method !== 'HEAD') {
    const problem = { type: METHOD_NOT_ALLOWED_TYPE, title: 'Method not allowed', status: 405, detail: `${OPENAPI_PATH} does not take ${method}; it takes GET.` };
    return { statusCode: 405, headers: { ...headers, 'cache-control': 'no-store', allow: 'GET', 'content-type': 'application/problem+json' }, body: JSON.stringify(problem) };
  }
  return { statusCode: 200, headers: { ...headers, 'content-type': 'application/json' }, body: method === 'HEAD' ? '' : OPENAPI_BODY };
}

export function servePage(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 {
  const method = event.requestContext.http.method.toUpperCase();
  if (event.rawPath === OPENAPI_PATH) return serveOpenApi(method);
  const asset = ASSETS[event.rawPath];
  if (!asset) return { statusCode: 404, headers: { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' }, body: 'Not found.' };
  if (method !== 'GET' && method !== 'HEAD') return { statusCode: 405, headers: { ...HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'Method not allowed.' };
  return { statusCode: 200, headers: { ...HEADERS, 'content-type': asset.type }, body: method === 'HEAD' ? '' : asset.body };
}

/** Whether API Gateway routes a path to the page function (serverless.yml: GET /, GET /assets/{path+}, ANY /v1/openapi.json). */
export function isPagePath(path: string): boolean {
  return path === '/' || path.startsWith('/assets/') || path === OPENAPI_PATH;
}
