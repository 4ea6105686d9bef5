// Reading API Gateway HTTP API (payload 2.0) events: headers arrive lower-cased, bodies may be
// base64-encoded, query strings have their own field.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { malformedJson, payloadTooLarge, unsupportedMediaType, type HttpResult } from './problems.js';

export const MAX_BODY_BYTES = 64 * 1024;

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}

export function bearerToken(event: APIGatewayProxyEventV2): string | null {
  const value = header(event, 'authorization');
  const match = value ? /^Bearer[ \t]+(\S+)\s*$/i.exec(value) : null;
  return match?.[1] ?? null;
}

export function rawBody(event: APIGatewayProxyEventV2): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The body as JSON, or the problem to answer: 413 over the limit, 415 not JSON, 400 unparseable. */
export function jsonBody(event: APIGatewayProxyEventV2, instance: string): { ok: true; value: unknown } | { ok: false; result: HttpResult } {
  const body = rawBody(event);
  if (body.length > MAX_BODY_BYTES) return { ok: false, result: payloadTooLarge(MAX_BODY_BYTES, { instance }) };
  const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]*\+json$/.test(type)) {
    return { ok: false, result: unsupportedMediaType({ instance }) };
  }
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false, result: malformedJson({ instance }) };
  }
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
