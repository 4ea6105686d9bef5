// The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas
// so that it cannot drift from what intake validates.
import * as z from '../zod.js';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { webhookEventType } from '../webhooks/event.js';
import { documentedSchemas } from './openapi-docs.js';
import { documented } from './openapi-documented.js';
import { PROBLEM_CONTENT_TYPE } from './problems.js';

// The runtime schemas as documented copies: the same rules, with the descriptions and component ids (openapi-docs.ts).
const {
  captureRequest,
  deliveryList,
  exportRequest,
  exportTarget,
  healthStatus,
  idempotencyKey,
  importRequest,
  listQuery,
  problemDetails,
  requestList,
  requestRecord,
  slashCommandForm,
  slashCommandReply,
  webhookEventPayload,
} = documentedSchemas;

type OpenApiDocument = ReturnType<typeof createDocument>;

const json = (schema: z.ZodMiniType) => ({ 'application/json': { schema } });

const problemResponse = (id: string, description: string): ZodOpenApiResponseObject => ({
  id,
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemDetails } },
});

// IETF httpapi-ratelimit-headers, one policy named "tenant" (lib/store/rate-limit.ts).
const rateLimitHeaders = {
  'RateLimit-Policy': documented(z.string(), { example: '"tenant";q=120;w=60', description: 'the tenant\'s quota: q requests per w-second window' }),
  RateLimit: documented(z.string(), { example: '"tenant";r=117;t=23', description: 'what is left: r requests until the window resets in t seconds' }),
};

const problems = {
  400: problemResponse('MalformedJson', 'The body is not valid JSON (type .../problems/malformed-json).'),
  401: problemResponse('Unauthorized', 'No API key, or an unknown one (type .../problems/unauthorized).'),
  404: problemResponse('NotFound', 'No such request for this tenant (type .../problems/not-found).'),
  409: problemResponse('Conflict', 'The request already reached IMS, which cannot cancel it (type .../problems/conflict).'),
  413: problemResponse('PayloadTooLarge', 'The body is over 64 KiB (type .../problems/payload-too-large).'),
  415: problemResponse('UnsupportedMediaType', 'The body is not application/json (type .../problems/unsupported-media-type).'),
  422: problemResponse(
    'ValidationFailed',
    'The body breaks a rule, with one entry per field in `errors` (type .../problems/validation), or the Idempotency-Key was used with another body (type .../problems/idempotency-key-reused).',
  ),
  429: {
    ...problemResponse('RateLimited', 'The tenant\'s rate limit is exhausted; retry after Retry-After seconds (type .../problems/rate-limited).'),
    headers: z.object({
      'Retry-After': documented(z.string(), { example: '23', description: 'seconds until the window resets (the same as RateLimit t)' }),
      ...rateLimitHeaders,
    }),
  },
  500: problemResponse('InternalError', 'Something failed on our side; the answer carries no internals (type .../problems/internal).'),
} as const;

const recordResponse = (description: string): ZodOpenApiResponseObject => ({ description, content: json(requestRecord) });

const requestIdParam = z.object({ id: documented(z.string().check(z.minLength(1)), 'request id, e.g. req_01J...') });

function submitOperation(kind: 'export' | 'import' | 'capture', schema: z.ZodMiniType, summary: string): ZodOpenApiOperationObject {
  return {
    operationId: `create${kind[0]?.toUpperCase()}${kind.slice(1)}`,
    tags: ['requests'],
    summary,
    requestParams: { header: z.object({ 'Idempotency-Key': z.optional(idempotencyKey) }) },
    requestBody: { required: true, content: json(schema) },
    responses: {
      200: {
        description: 'A repeat with the same Idempotency-Key and body: the request made the first time.',
        headers: z.object({ Location: documented(z.string(), '/v1/requests/{id} of the request'), ...rateLimitHeaders }),
        content: json(requestRecord),
      },
      202: {
        description: 'Accepted and queued; the record of the new request.',
        headers: z.object({ Location: documented(z.string(), '/v1/requests/{id} of the new request'), ...rateLimitHeaders }),
        content: json(requestRecord),
      },
      400: problems[400],
      401: problems[401],
      413: problems[413],
      415: problems[415],
      422: problems[422],
      429: problems[429],
      500: problems[500],
    },
  };
}

/** One completion event as the receiver gets it (Standard Webhooks: signed, retried with the same webhook-id). */
function webhookOperation(type: string): ZodOpenApiOperationObject {
  const [, kind, outcome] = type.split('.');
  return {
    operationId: `on${type.split('.').map((w) => `${w[0]?.toUpperCase()}${w.slice(1)}`).join('')}`,
    tags: ['webhooks'],
    summary: `${kind === 'capture' ? 'A' : 'An'} ${kind} request ${outcome}`,
    description:
      'POSTed to the request\'s callback_url (or the tenant\'s default_callback_url) when the request ends. ' +
      '`data` is the record as it stood when the request ended, the same on every retry. ' +
      'Verify webhook-signature over "{webhook-id}.{webhook-timestamp}.{body}" with the tenant\'s whsec_ secret before trusting the body.',
    security: [],
    requestParams: {
      header: z.object({
        'webhook-id': documented(z.string(), 'the event id: the same on every retry of this outcome, to deduplicate on'),
        'webhook-timestamp': documented(z.string(), 'Unix seconds of this attempt'),
        'webhook-signature': documented(z.string(), 'v1,<base64 HMAC-SHA256>; several, space-separated, while secrets rotate'),
      }),
    },
    requestBody: { required: true, description: `a WebhookEvent whose type is ${type}`, content: json(webhookEventPayload) },
    responses: {
      200: { description: 'Delivered: any 2xx within 10 seconds counts. Anything else is retried with growing delays (about 5 s up to 10 h), then the webhook is marked failed.' },
    },
  };
}

function buildDocument(): OpenApiDocument {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'ims-transfer',
      version: '1.0.0',
      description:
        'Moves VM images in and out of the Image Management Service (IMS) of Open Telekom Cloud / Huawei Cloud. ' +
        'A request is accepted at once (202), submitted to IMS once, watched until IMS finishes, and reported by a signed webhook. ' +
        'Errors are application/problem+json (RFC 9457) with a stable `type` URI under https://ims-transfer.dev/problems/. ' +
        'Each tenant may create requests_per_minute requests a minute; every request POST answers with RateLimit-Policy and RateLimit fields.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'the deployment that serves this document (npm start: the local API base URL it prints)' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'requests', description: 'image exports, imports and captures' },
      { name: 'service', description: 'health and this document' },
      { name: 'chatops', description: 'Slack and Mattermost slash commands' },
      { name: 'webhooks', description: 'completion events sent to callback URLs' },
    ],
    paths: {
      '/v1/exports': { post: submitOperation('export', exportRequest, 'Export an image to OBS') },
      '/v1/imports': { post: submitOperation('import', importRequest, 'Import an image file from OBS') },
      '/v1/captures': { post: submitOperation('capture', captureRequest, 'Capture an ECS as an image') },
      '/v1/requests': {
        get: {
          operationId: 'listRequests',
          tags: ['requests'],
          summary: 'List the tenant\'s requests, newest first',
          requestParams: { query: listQuery },
          responses: {
            200: { description: 'One page; pass next_cursor as cursor for the next (null on the last page).', content: json(requestList) },
            400: problemResponse('BadCursor', 'The cursor is not one this listing handed out: forged, another tenant\'s, or too long (type .../problems/bad-cursor).'),
            401: problems[401],
            422: problems[422],
            500: problems[500],
          },
        },
      },
      '/v1/requests/{id}': {
        get: {
          operationId: 'getRequest',
          tags: ['requests'],
          summary: 'Get one request',
          requestParams: { path: requestIdParam },
          responses: {
            200: recordResponse('The request record.'),
            401: problems[401],
            404: problems[404],
            500: problems[500],
          },
        },
        delete: {
          operationId: 'cancelRequest',
          tags: ['requests'],
          summary: 'Cancel a request that is still queued',
          requestParams: { path: requestIdParam },
          responses: {
            200: recordResponse('Cancelled: the record, now with status "cancelled".'),
            401: problems[401],
            404: problems[404],
            409: problems[409],
            500: problems[500],
          },
        },
      },
      '/v1/requests/{id}/deliveries': {
        get: {
          operationId: 'listDeliveries',
          tags: ['requests'],
          summary: 'Every webhook and chat delivery attempt of a request, oldest first (the latest 50)',
          requestParams: { path: requestIdParam },
          responses: {
            200: { description: 'The attempts; `event_id` is the `webhook-id` sent, `url_origin` the target without path or query.', content: json(deliveryList) },
            401: problems[401],
            404: problems[404],
            500: problems[500],
          },
        },
      },
      '/v1/requests/{id}/redeliver': {
        post: {
          operationId: 'redeliverRequest',
          tags: ['requests'],
          summary: 'Send the outcome event of an ended request again, with the same webhook-id',
          description:
            'The webhook becomes `pending` and due at once; the worker delivers it within about a second and records the result: ' +
            '`delivered`, or back to `failed` when no retry is left. The attempt appears in the deliveries.',
          requestParams: { path: requestIdParam },
          responses: {
            202: recordResponse('Accepted: the record, its webhook now `pending`.'),
            401: problems[401],
            404: problems[404],
            409: problemResponse('NotRedeliverable', 'The request has not ended yet, or has no webhook (cancelled, or no callback URL) (type .../problems/conflict).'),
            500: problems[500],
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          tags: ['service'],
          summary: 'This OpenAPI 3.1 document',
          security: [],
          responses: {
            200: {
              description: 'The OpenAPI document, generated from the validation schemas.',
              content: json(documented(z.record(z.string(), z.unknown()), 'OpenAPI 3.1 document')),
            },
          },
        },
      },
      '/v1/health': {
        get: {
          operationId: 'getHealth',
          tags: ['service'],
          summary: 'Liveness (no authentication)',
          security: [],
          responses: { 200: { description: 'The service is ready.', content: json(healthStatus) } },
        },
      },
      '/v1/chatops/slack': {
        post: {
          operationId: 'slashCommand',
          tags: ['chatops'],
          summary: 'Slack or Mattermost slash command',
          description:
            'Verified by X-Slack-Signature (v0= HMAC-SHA256 of "v0:{timestamp}:{body}" with the signing secret; timestamps older than 5 minutes are refused) ' +
            'or by the Mattermost token. Commands: export <image_id> <bucket:object> [qcow2|vhd|zvhd|vmdk|quick]; ' +
            'import <bucket:object> <name> <min_disk> [os_version...]; capture <instance_id> <name>; status <request id>; list; help. ' +
            'Answers within 3 seconds; the outcome is posted to response_url later.',
          security: [],
          requestParams: {
            header: z.object({
              'X-Slack-Signature': documented(z.optional(z.string()), 'v0=<hex HMAC-SHA256> (Slack)'),
              'X-Slack-Request-Timestamp': documented(z.optional(z.string()), 'Unix seconds the signature covers (Slack)'),
            }),
          },
          requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: slashCommandForm } } },
          responses: {
            200: { description: 'The immediate reply shown to the user.', content: json(slashCommandReply) },
            401: problems[401],
            415: problems[415],
            500: problems[500],
          },
        },
      },
    },
    webhooks: Object.fromEntries(webhookEventType.options.map((type) => [type, { post: webhookOperation(type) }])),
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <api key>; each key belongs to one tenant.' },
      },
      // Request bodies are input-only, so listing them here names them without an "Output" twin.
      schemas: {
        ExportRequest: exportRequest,
        ImportRequest: importRequest,
        CaptureRequest: captureRequest,
        ExportTarget: exportTarget,
      },
    },
  });
}

let cached: OpenApiDocument | undefined;

/** The document, built on first use and kept for the life of the container. */
export function openApiDocument(): OpenApiDocument {
  cached ??= buildDocument();
  return cached;
}
