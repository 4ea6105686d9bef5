// GET / and GET /assets/*: the status page, served by its own small function so that the intake
// function's bundle carries none of it. No key is needed to load it; the page asks for one and
// calls the public API from the same origin.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
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

export function servePage(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 {
  const method = event.requestContext.http.method.toUpperCase();
  const asset = ASSETS[event.rawPath];
  if (!asset) return { statusCode: 404, headers: { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' }, body: 'Not found.' };
  if (method !== 'GET' && method !== 'HEAD') return { statusCode: 405, headers: { ...HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'Method not allowed.' };
  return { statusCode: 200, headers: { ...HEADERS, 'content-type': asset.type }, body: method === 'HEAD' ? '' : asset.body };
}

/** Whether API Gateway routes a path to the page function (serverless.yml: GET / and GET /assets/{path+}). */
export function isPagePath(path: string): boolean {
  return path === '/' || path.startsWith('/assets/');
}
