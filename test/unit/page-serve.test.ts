// The page function's answers for the paths API Gateway routes to it: the status page's files and
// the OpenAPI document, which must answer like the API it describes (JSON, problem+json 405).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../handlers/page.js';
import { problemTypeUri } from '../../lib/api/problems.js';
import { METHOD_NOT_ALLOWED_TYPE, isPagePath } from '../../lib/page/serve.js';
import committed from '../../lib/api/openapi.json' with { type: 'json' };

const event = (method: string, path: string) =>
  ({ version: '2.0', rawPath: path, rawQueryString: '', headers: {}, isBase64Encoded: false, requestContext: { http: { method, path } } }) as unknown as APIGatewayProxyEventV2;

describe('the page function', () => {
  it('serves the committed OpenAPI document as JSON, and nothing for HEAD', async () => {
    const got = await handler(event('GET', '/v1/openapi.json'));
    expect(got.statusCode).toBe(200);
    expect(got.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(String(got.body))).toEqual(committed);
    const head = await handler(event('HEAD', '/v1/openapi.json'));
    expect([head.statusCode, head.body]).toEqual([200, '']);
  });

  it('answers another method on the document with the API\'s 405 problem and an Allow header', async () => {
    const got = await handler(event('POST', '/v1/openapi.json'));
    expect(got.statusCode).toBe(405);
    expect(got.headers).toMatchObject({ allow: 'GET', 'content-type': 'application/problem+json' });
    expect(JSON.parse(String(got.body))).toMatchObject({ type: problemTypeUri('method-not-allowed'), status: 405, detail: expect.stringContaining('POST') });
    expect(METHOD_NOT_ALLOWED_TYPE).toBe(problemTypeUri('method-not-allowed'));
  });

  it('takes exactly the paths serverless.yml routes to it', () => {
    expect(['/', '/assets/app.js', '/v1/openapi.json'].filter(isPagePath)).toHaveLength(3);
    expect(['/v1/health', '/v1/requests', '/v1/openapi.jsonx', '/assets'].filter(isPagePath)).toEqual([]);
  });
});
