import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lib/api/openapi.js';
import {
  PROBLEM_TYPES,
  conflict,
  idempotencyKeyReused,
  internalError,
  malformedJson,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  problemDetails,
  rateLimited,
  unauthorized,
  unsupportedMediaType,
  validationFailed,
} from '../../lib/api/problems.js';

type Operation = { security?: unknown[]; parameters?: { in: string; name: string }[]; responses: Record<string, unknown> };

const doc = openApiDocument();
// As built, before any test below reads (or a validator dereferences) it.
const asBuilt: unknown = JSON.parse(JSON.stringify(doc));
const paths = doc.paths as Record<string, Record<string, Operation>>;
const operation = (method: string, path: string): Operation => {
  const op = paths[path]?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
  return op;
};

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    // validate() dereferences in place: give it a copy so the cached document stays intact.
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('is built once and then served from the cache', () => {
    expect(openApiDocument()).toBe(doc);
  });

  it.each([
    ['post', '/v1/exports'],
    ['post', '/v1/imports'],
    ['post', '/v1/captures'],
    ['get', '/v1/requests/{id}'],
    ['get', '/v1/requests'],
    ['delete', '/v1/requests/{id}'],
    ['get', '/v1/openapi.json'],
    ['get', '/v1/health'],
    ['post', '/v1/chatops/slack'],
  ])('lists %s %s', (method, path) => {
    expect(operation(method, path).responses).toBeDefined();
  });

  it('takes an Idempotency-Key header on every submission', () => {
    for (const path of ['/v1/exports', '/v1/imports', '/v1/captures']) {
      expect(operation('post', path).parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'Idempotency-Key' }));
    }
  });

  it('filters the list by status, kind, limit and cursor', () => {
    const names = operation('get', '/v1/requests').parameters?.filter((p) => p.in === 'query').map((p) => p.name);
    expect(names?.sort()).toEqual(['cursor', 'kind', 'limit', 'status']);
  });

  it('names the request, record and problem schemas as components', () => {
    const schemas = doc.components?.schemas ?? {};
    for (const id of ['ExportRequest', 'ImportRequest', 'CaptureRequest', 'ExportTarget', 'RequestRecord', 'RequestList', 'ProblemDetails', 'FieldError'])
      expect(schemas, id).toHaveProperty(id);
  });

  it('answers submissions with the request record and a Location header', () => {
    const accepted = operation('post', '/v1/exports').responses['202'];
    expect(accepted).toMatchObject({
      headers: { Location: expect.anything() },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/RequestRecord' } } },
    });
  });

  it('documents every error status the API answers as problem+json', () => {
    const statuses = new Set(
      Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => Object.keys(op.responses).filter((s) => s >= '400'))),
    );
    expect([...statuses].sort()).toEqual(['400', '401', '404', '409', '413', '415', '422', '429', '500']);
    for (const response of Object.values(doc.components?.responses ?? {}))
      expect(response).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } } });
  });

  it('requires the bearer key except on health, the document itself and chatops', () => {
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(operation('get', '/v1/health').security).toEqual([]);
    expect(operation('post', '/v1/chatops/slack').security).toEqual([]);
    expect(operation('get', '/v1/requests').security).toBeUndefined();
  });

  it('names a server, so generated clients and linters have a base URL', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('describes each completion webhook, its signature headers and the WebhookEvent body', () => {
    const webhooks = doc.webhooks as Record<string, { post: Operation & { requestBody: unknown } }>;
    expect(Object.keys(webhooks).sort()).toEqual(
      ['export', 'import', 'capture'].flatMap((kind) => [`image.${kind}.succeeded`, `image.${kind}.failed`]).sort(),
    );
    for (const [type, { post }] of Object.entries(webhooks)) {
      expect(post.parameters?.map((p) => p.name).sort(), type).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
      expect(post.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/WebhookEvent' } } } });
    }
    const data = doc.components?.schemas?.WebhookEventData as { properties: Record<string, unknown>; required: string[] };
    expect(data.properties).not.toHaveProperty('webhook');
    expect(data.properties.next_check_at).toMatchObject({ type: 'null' });
  });

  it('marks every timestamp of the record, the webhook and the delivery log as date-time', () => {
    const schemas = doc.components?.schemas as Record<string, { properties: Record<string, Record<string, unknown>> }>;
    const format = (schema: Record<string, unknown> | undefined): unknown =>
      schema?.format ?? (schema?.anyOf as Record<string, unknown>[] | undefined)?.find((s) => s.type === 'string')?.format;
    for (const field of ['created_at', 'submitted_at', 'updated_at', 'completed_at', 'next_check_at']) expect(format(schemas.RequestRecord?.properties[field]), field).toBe('date-time');
    expect(format(schemas.WebhookEvent?.properties.timestamp)).toBe('date-time');
    expect(format(schemas.DeliveryAttempt?.properties.at)).toBe('date-time');
  });

  it('names the rate-limit fields on request POSTs and on 429', () => {
    const post = operation('post', '/v1/exports').responses as Record<string, { headers?: Record<string, unknown> } | { $ref: string }>;
    for (const status of ['200', '202']) expect(Object.keys((post[status] as { headers: object }).headers).sort()).toEqual(['Location', 'RateLimit', 'RateLimit-Policy']);
    const limited = doc.components?.responses?.RateLimited as { headers: Record<string, unknown> };
    expect(Object.keys(limited.headers).sort()).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After']);
    expect(operation('get', '/v1/requests').responses).not.toHaveProperty('429');
  });

  it('lists every problem type URI the API answers with', () => {
    const type = (doc.components?.schemas?.ProblemDetails as { properties: { type: { enum: string[] } } }).properties.type;
    expect(type.enum.sort()).toEqual(Object.keys(PROBLEM_TYPES).map((t) => `https://ims-transfer.dev/problems/${t}`).sort());
  });

  it('carries the IMS limits of the request fields', () => {
    const importSchema = doc.components?.schemas?.ImportRequest as { properties: Record<string, Record<string, unknown>>; additionalProperties?: unknown };
    expect(importSchema.properties.name).toMatchObject({ maxLength: 128, description: expect.any(String) });
    expect(importSchema.properties.description).toMatchObject({ maxLength: 1024 });
    expect(importSchema.additionalProperties).toBe(false);
    for (const [field, schema] of Object.entries(importSchema.properties)) expect(schema, field).toHaveProperty('description');
  });
});

describe('problem details', () => {
  const cases = [
    ['malformed JSON', malformedJson(), 400, 'malformed-json'],
    ['no or wrong key', unauthorized(), 401, 'unauthorized'],
    ['unknown request', notFound(), 404, 'not-found'],
    ['known path, other method', methodNotAllowed('PUT', '/v1/exports', ['POST']), 405, 'method-not-allowed'],
    ['too late to cancel', conflict('The request already reached IMS.'), 409, 'conflict'],
    ['body over the limit', payloadTooLarge(65536), 413, 'payload-too-large'],
    ['body not JSON', unsupportedMediaType(), 415, 'unsupported-media-type'],
    ['invalid fields', validationFailed([{ path: 'file_format', message: 'is required' }]), 422, 'validation'],
    ['idempotency key reused', idempotencyKeyReused(), 422, 'idempotency-key-reused'],
    ['rate limit', rateLimited(30), 429, 'rate-limited'],
    ['internal error', internalError({ instance: 'req-abc' }), 500, 'internal'],
  ] as const;

  it.each(cases)('answers %s as application/problem+json with its status and type', (_what, result, status, type) => {
    expect(result.statusCode).toBe(status);
    expect(result.headers['content-type']).toBe('application/problem+json');
    const body = problemDetails.parse(JSON.parse(result.body));
    expect(body).toMatchObject({ status, type: `https://ims-transfer.dev/problems/${type}`, title: PROBLEM_TYPES[type].title });
  });

  it('lists the failing fields of a validation problem', () => {
    const body = JSON.parse(validationFailed([{ path: 'tags.0', message: 'bad' }]).body);
    expect(body.errors).toEqual([{ path: 'tags.0', message: 'bad' }]);
  });

  it('tells a rate-limited caller when to retry and an unauthorized one how to authenticate', () => {
    expect(rateLimited(2.5).headers['retry-after']).toBe('3');
    const limited = rateLimited(12, { quota: { limit: 120, windowSeconds: 60, remaining: 0, resetSeconds: 12 } });
    expect(limited.headers).toMatchObject({ 'retry-after': '12', 'ratelimit-policy': '"tenant";q=120;w=60', ratelimit: '"tenant";r=0;t=12' });
    expect(unauthorized().headers['www-authenticate']).toBe('Bearer');
  });

  it('keeps internals out of a 500', () => {
    const body = JSON.parse(internalError({ instance: 'req-abc' }).body);
    expect(Object.keys(body).sort()).toEqual(['detail', 'instance', 'status', 'title', 'type']);
  });
});

describe('the document intake serves', () => {
  it('is the committed lib/api/openapi.json, the same as the schemas give (run npm run openapi after changing them)', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../lib/api/openapi.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(asBuilt);
  });
});
