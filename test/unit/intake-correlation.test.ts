// The intake handler's log lines carry API Gateway's request id as the correlation id.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createIntakeHandler } from '../../handlers/intake.js';
import { lambdaContext } from '../../local/http-gateway.js';

function event(requestId: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v1/requests',
    rawQueryString: '',
    headers: { authorization: 'Bearer imt_nothing' },
    isBase64Encoded: false,
    requestContext: { requestId, http: { method: 'GET', path: '/v1/requests', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' } },
  } as unknown as APIGatewayProxyEventV2;
}

describe('intake logs', () => {
  it("carry API Gateway's request id on every line of the call, and only of that call", async () => {
    // Loading the deps fails: the handler logs the error and answers 500.
    const handler = createIntakeHandler(() => Promise.reject(new Error('store down')));
    const lines: string[] = [];
    const keep = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    // The logger writes warnings and errors to stderr, the rest to stdout.
    const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(keep), vi.spyOn(process.stderr, 'write').mockImplementation(keep)];
    try {
      for (const id of ['apigw-1', 'apigw-2']) {
        const result = await handler(event(id), lambdaContext('intake', 10_000) as Context);
        expect(result.statusCode).toBe(500);
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const logged = lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const errors = logged.filter((l) => l.message === 'unhandled error');
    expect(errors.map((l) => l.correlation_id)).toEqual(['apigw-1', 'apigw-2']);
  });
});
