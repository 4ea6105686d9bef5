// Fuzz: arbitrary and near-valid bodies, headers, ids, queries and chat forms for every HTTP route,
// through the real intake handler invoked with API Gateway HTTP API 2.0 events (no sockets), and
// arbitrary SQS bodies through the real worker handler, against dynalite and fauxqs. Whatever comes in:
// never a 5xx, every 4xx is problem+json with type, title and status, and no stored record changes
// because of a rejected request. FUZZ_RUNS sets the runs per property (10,000 in the full run).
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatopsHandler } from '../../handlers/chatops.js';
import { createIntakeHandler } from '../../handlers/intake.js';
import { isChatopsPath } from '../../lib/chatops/slash.js';
import { createWorkerHandler } from '../../handlers/worker.js';
import { dynamoDocumentClient } from '../../lib/aws.js';
import { parseConfig } from '../../lib/jobs-config.js';
import { buildApiDeps, buildWorkerDeps } from '../../lib/runtime.js';
import { hashSecret, newApiKey, newWebhookSecret } from '../../lib/tenants.js';
import { lambdaContext } from '../../local/http-gateway.js';
import { startLocalServices, type LocalServices } from '../../local/services.js';
import { registerSecret } from '../helpers/secrets.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const IMAGE = '0d3b5b56-5d2f-4b8e-9a51-3c1f0e7a4b01';
const API_KEY = registerSecret(newApiKey());
const OTHER_KEY = registerSecret(newApiKey());
const SIGNING_SECRET = registerSecret(randomBytes(24).toString('hex'), 'Slack signing secret');
const MM_TOKEN = registerSecret(randomBytes(16).toString('base64url'), 'Mattermost token');

let services: LocalServices;
let intake: ReturnType<typeof createIntakeHandler>;
let chatops: ReturnType<typeof createChatopsHandler>;
let worker: ReturnType<typeof createWorkerHandler>;
/** Ids of requests stored before the fuzzing, to aim GET and DELETE at real records too. */
const seededIds: string[] = [];

beforeAll(async () => {
  services = await startLocalServices({ tableName: 'fuzz', queueName: 'fuzz' });
  const cfg = parseConfig({
    ...services.settings,
    IMS_PROJECT_ID: '5e1a4ce8d9a54f0c9a3e7b2f1c6d8e90',
    // Nothing listens there: a message that gets as far as IMS fails fast and is retried later.
    IMS_ENDPOINT: 'http://127.0.0.1:9',
    IAM_ENDPOINT: 'http://127.0.0.1:9',
    IMS_USER: 'fuzz-user',
    IMS_PASSWORD: registerSecret(randomBytes(12).toString('hex')),
    IMS_DOMAIN: 'fuzz-domain',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    TENANTS: JSON.stringify([
      { id: 'acme', api_key_sha256: [hashSecret(API_KEY)], webhook_secrets: [registerSecret(newWebhookSecret())], requests_per_minute: 1_000_000, slack_team_ids: ['T0ACME'], mattermost_token_sha256: [hashSecret(MM_TOKEN)] },
      { id: 'other', api_key_sha256: [hashSecret(OTHER_KEY)], webhook_secrets: [registerSecret(newWebhookSecret())], requests_per_minute: 1_000_000 },
    ]),
  });
  const apiDeps = buildApiDeps(cfg);
  intake = createIntakeHandler(() => apiDeps);
  chatops = createChatopsHandler(() => apiDeps);
  const workerDeps = buildWorkerDeps(cfg);
  worker = createWorkerHandler(() => ({ ...workerDeps, timings: { ...workerDeps.timings, imsRetryDelaysSeconds: [0] } }));
  for (const n of [1, 2, 3]) {
    const res = await call(event('POST', '/v1/exports', { body: JSON.stringify({ image_id: IMAGE, bucket_url: `fuzz:seed/${n}.qcow2`, file_format: 'qcow2' }), headers: { 'idempotency-key': `seed-${n}` } }));
    expect(res.statusCode).toBe(202);
    seededIds.push(JSON.parse(res.body ?? '{}').id);
  }
}, 60_000);

afterAll(async () => {
  await services?.stop();
});

interface EventInput { body?: string; headers?: Record<string, string>; query?: string; base64?: boolean; key?: string | null }

function event(method: string, rawPath: string, input: EventInput = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(input.key === null ? {} : { authorization: `Bearer ${input.key ?? API_KEY}` }) };
  // API Gateway lower-cases header names and joins repeated query parameters with commas.
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  const rawQueryString = input.query ?? '';
  const params = new URLSearchParams(rawQueryString);
  const queryStringParameters = rawQueryString ? Object.fromEntries([...new Set(params.keys())].map((k) => [k, params.getAll(k).join(',')])) : undefined;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'fuzz',
      domainName: 'fuzz.local',
      domainPrefix: 'fuzz',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(input.body === undefined ? {} : { body: input.base64 ? Buffer.from(input.body).toString('base64') : input.body }),
    isBase64Encoded: input.base64 === true,
  };
}

/** The event handed to the function API Gateway routes its path to, as deployed. */
async function call(e: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const result = isChatopsPath(e.rawPath) ? await chatops(e, lambdaContext('chatops') as Context) : await intake(e, lambdaContext('intake') as Context);
  return typeof result === 'string' ? { statusCode: 200, body: result } : result;
}

/** The answer's shape rules: no 5xx; a 4xx is problem+json with type, title and the same status. */
function checkAnswer(res: APIGatewayProxyStructuredResultV2, what: string): void {
  const status = res.statusCode ?? 200;
  if (status >= 500) throw new Error(`${what} answered ${status}: ${res.body?.slice(0, 300)}`);
  if (status >= 400) {
    const type = Object.entries(res.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
    expect(String(type), what).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(res.body ?? 'null');
    expect(problem, what).toMatchObject({ type: expect.any(String), title: expect.any(String), status });
  }
}

/** Every stored request item, by key, as DynamoDB holds it. */
async function storedRequests(): Promise<Map<string, string>> {
  const db = dynamoDocumentClient({ endpoint: services.dynamoEndpoint, region: services.region });
  const items = new Map<string, string>();
  let start: Record<string, any> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: services.settings.TABLE_NAME, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) if (typeof item.pk === 'string' && item.pk.startsWith('REQ#')) items.set(item.pk, JSON.stringify(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Runs a property and then checks that no record stored before it changed (new ones only from accepted requests). */
async function fuzz<T>(arb: fc.Arbitrary<T>, send: (input: T) => Promise<APIGatewayProxyStructuredResultV2>, what: (input: T) => string, runs = RUNS, known = false): Promise<void> {
  const before = await storedRequests();
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (input) => {
      const res = await send(input);
      checkAnswer(res, what(input));
      if ((res.statusCode ?? 200) < 300) accepted++;
    }),
    // A known defect needs no shrinking: the first failure is the evidence.
    { numRuns: runs, endOnFailure: known },
  );
  const after = await storedRequests();
  const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
  expect(changed, 'records changed by the fuzzed requests').toEqual([]);
  expect(after.size - before.size).toBeLessThanOrEqual(accepted);
}

// ---- bodies ----

const VALID: Record<string, Record<string, unknown>> = {
  exports: { image_id: IMAGE, bucket_url: 'fuzz:out/x.qcow2', file_format: 'qcow2' },
  imports: { name: 'fuzz-image', image_url: 'fuzz:in/x.qcow2', min_disk: 40, os_version: 'Ubuntu 18.04 server 64bit' },
  captures: { name: 'fuzz-capture', instance_id: randomUUID(), then_export: { bucket_url: 'fuzz:out/y.qcow2', file_format: 'qcow2' } },
};
const KNOWN_KEYS = ['image_id', 'bucket_url', 'file_format', 'is_quick_export', 'name', 'image_url', 'min_disk', 'disk', 'quick', 'os_version', 'os_type', 'instance_id', 'then_export', 'callback_url', 'region', 'project_id', 'client_ref', 'tags', 'image_tags', 'description', 'type', 'min_ram', 'max_ram', 'cmk_id'];
const kind = fc.constantFrom('exports', 'imports', 'captures');
const oddString = fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constantFrom('', ' ', 'a'.repeat(5000), '\u0000', '../..', 'http://169.254.169.254/', 'https://10.0.0.1/x'));
const anyValue = fc.oneof(fc.jsonValue(), oddString, fc.integer(), fc.double(), fc.constant(null));

/** A valid body with one to three changes: a key removed, a value replaced, an unknown key added. */
const nearValid = fc
  .tuple(kind, fc.array(fc.tuple(fc.constantFrom('drop', 'set', 'add'), fc.constantFrom(...KNOWN_KEYS), anyValue, fc.string({ maxLength: 20 })), { minLength: 1, maxLength: 3 }))
  .map(([k, changes]) => {
    const body: Record<string, unknown> = { ...VALID[k] };
    for (const [op, key, value, extra] of changes) {
      if (op === 'drop') delete body[key];
      else if (op === 'set') body[key] = value;
      else body[extra || 'x'] = value;
    }
    return { kind: k, body: JSON.stringify(body) };
  });

const headersArb = fc.dictionary(fc.constantFrom('content-type', 'idempotency-key', 'content-length', 'x-forwarded-for', 'accept'), oddString, { maxKeys: 3 });

describe('fuzz: POST /v1/exports, /v1/imports, /v1/captures', () => {
  it('arbitrary JSON bodies and headers', async () => {
    await fuzz(
      fc.record({ kind, body: fc.jsonValue().map((v) => JSON.stringify(v)), headers: headersArb }),
      (i) => call(event('POST', `/v1/${i.kind}`, { body: i.body, headers: i.headers })),
      (i) => `POST /v1/${i.kind} ${i.body.slice(0, 200)}`,
    );
  }, 120_000);

  it('near-valid bodies (valid ones with a field dropped, replaced or added)', async () => {
    await fuzz(
      fc.record({ nv: nearValid, key: fc.option(fc.string({ minLength: 1, maxLength: 300 }), { nil: undefined }) }),
      (i) => call(event('POST', `/v1/${i.nv.kind}`, { body: i.nv.body, headers: i.key === undefined ? {} : { 'idempotency-key': i.key } })),
      (i) => `POST /v1/${i.nv.kind} ${i.nv.body.slice(0, 200)}`,
    );
  }, 120_000);

  it('bodies that are not JSON, base64 or not, and broken authorization', async () => {
    await fuzz(
      fc.record({ kind, body: oddString, base64: fc.boolean(), auth: fc.option(fc.oneof(fc.string(), fc.constant(`Bearer ${OTHER_KEY}`), fc.constant('Bearer '), fc.constant('Basic x')), { nil: undefined }) }),
      (i) => call(event('POST', `/v1/${i.kind}`, { body: i.body, base64: i.base64, headers: i.auth === undefined ? {} : { authorization: i.auth } })),
      (i) => `POST /v1/${i.kind} (${i.base64 ? 'base64' : 'text'}) ${i.body.slice(0, 100)}`,
    );
  }, 120_000);
});

// ---- ids, paths and queries ----

const idChars = fc.string({ unit: fc.constantFrom(...'ABCDEFGHJKMNPQRSTVWXYZ0123456789abcxyz'.split('')), maxLength: 1_000 });

describe('fuzz: GET and DELETE /v1/requests/{id}', () => {
  it('ids up to 1,000 characters, real ones of this and another tenant among them', async () => {
    await fuzz(
      fc.record({
        method: fc.constantFrom('GET', 'DELETE'),
        id: fc.oneof(idChars.map((s) => `req_${s}`), fc.constantFrom(...seededIds.map((x) => x || 'req_x')), fc.string({ maxLength: 200 }).map((s) => encodeURIComponent(s))),
        // Another tenant's key sees the seeded records as absent (404), never as forbidden.
        key: fc.constantFrom(OTHER_KEY, API_KEY),
      }),
      // DELETE with the owner's key would cancel a real record: only the other tenant deletes seeded ids.
      (i) => call(event(i.method === 'DELETE' && seededIds.includes(i.id) ? 'GET' : i.method, `/v1/requests/${i.id}`, { key: i.key, body: undefined })),
      (i) => `${i.method} /v1/requests/${i.id.slice(0, 80)}… (${i.id.length} chars)`,
    );
  }, 120_000);

  // DynamoDB refuses a key over 2,048 bytes: such an id can name no request.
  it('very long ids (2,000–6,000 characters) answer 404', async () => {
    await fuzz(
      fc.record({ method: fc.constantFrom('GET', 'DELETE'), id: fc.string({ unit: fc.constantFrom('A', 'b', '7'), minLength: 2_000, maxLength: 6_000 }) }),
      (i) => call(event(i.method, `/v1/requests/req_${i.id}`)),
      (i) => `${i.method} /v1/requests/req_… (${i.id.length + 4} chars)`,
      Math.min(RUNS, 50),
      true,
    );
  }, 120_000);

  it('arbitrary paths and methods answer 404 or 405 as problem+json', async () => {
    await fuzz(
      fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'), path: fc.webPath() }),
      (i) => call(event(i.method, i.path || '/')),
      (i) => `${i.method} ${i.path}`,
    );
  }, 120_000);
});

describe('fuzz: GET /v1/requests', () => {
  const queryArb = fc.dictionary(fc.constantFrom('status', 'kind', 'limit', 'cursor', 'x'), fc.oneof(fc.string(), fc.constantFrom('queued', 'running', 'export', '0', '100', '101', '-1', '1e3', 'eyJ9')), { maxKeys: 4 });

  /** A cursor shaped like the ones the service issues (base64url JSON of tenant, sort key and id), for any id. */
  const forged = (id: fc.Arbitrary<string>, sortPrefix: fc.Arbitrary<string> = fc.date({ noInvalidDate: true }).map((d) => d.toISOString())) =>
    fc.record({ t: fc.constantFrom('acme', 'other'), id, prefix: sortPrefix }).map(({ t, id: i, prefix }) =>
      Buffer.from(JSON.stringify({ t, s: `${prefix}#req_${i}`, i: `req_${i}` })).toString('base64url'),
    );

  it('arbitrary status, kind, limit and cursors up to 300 characters, forged ones among them', async () => {
    await fuzz(
      fc.record({ query: queryArb, cursor: fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 300 }), forged(fc.string({ maxLength: 60 }))), { nil: undefined }) }),
      (i) => {
        const q = new URLSearchParams(i.query);
        if (i.cursor !== undefined) q.set('cursor', i.cursor);
        return call(event('GET', '/v1/requests', { query: q.toString() }));
      },
      (i) => `GET /v1/requests?${new URLSearchParams(i.query).toString().slice(0, 200)} cursor ${i.cursor?.slice(0, 60)}`,
    );
  }, 120_000);

  // A cursor over about 1 KiB can carry a sort key over DynamoDB's 1,024 bytes: refused before the query.
  it('long cursors (1,100–2,048 characters, forged ones among them) answer 400', async () => {
    await fuzz(
      fc.oneof(fc.base64String({ minLength: 1_100, maxLength: 2_048 }), fc.string({ minLength: 1_100, maxLength: 2_048 }), forged(fc.string({ maxLength: 20 }), fc.string({ unit: fc.constantFrom('A', '7'), minLength: 1_030, maxLength: 1_400 }))),
      (cursor) => call(event('GET', '/v1/requests', { query: new URLSearchParams({ cursor }).toString() })),
      (cursor) => `GET /v1/requests?cursor=… (${cursor.length} chars)`,
      Math.min(RUNS, 50),
      true,
    );
  }, 120_000);
});

// ---- chat ----

function slackSignature(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

describe('fuzz: POST /v1/chatops/slack', () => {
  const form = fc.record({
    fields: fc.dictionary(fc.constantFrom('token', 'team_id', 'user_id', 'user_name', 'command', 'text', 'response_url', 'trigger_id', 'channel_id', 'x'), oddString, { maxKeys: 8 }),
    team: fc.constantFrom('T0ACME', 'T0OTHER', ''),
    text: fc.oneof(fc.string(), fc.constantFrom('help', 'status', `status ${'x'.repeat(3000)}`, 'export', `export ${IMAGE} fuzz:o.qcow2`, 'list', 'cancel req_X')),
    // How the request is signed: right, wrong, stale, missing, or the Mattermost token.
    signing: fc.constantFrom('right', 'wrong', 'stale', 'none', 'mattermost', 'garbage'),
    garbage: fc.record({ sig: oddString, ts: oddString }),
  });

  it('arbitrary forms, signatures and timestamps', async () => {
    await fuzz(
      form,
      (i) => {
        const fields: Record<string, string> = { command: '/ims', team_id: i.team, ...i.fields, text: i.text };
        if (i.signing === 'mattermost') fields.token = MM_TOKEN;
        // Chat replies go nowhere from a test.
        fields.response_url = 'https://hooks.slack.com/commands/T0ACME/1/fuzz';
        const body = new URLSearchParams(fields).toString();
        const now = Math.floor(Date.now() / 1000);
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
        if (i.signing === 'right') Object.assign(headers, { 'x-slack-signature': slackSignature(body, now), 'x-slack-request-timestamp': String(now) });
        if (i.signing === 'wrong') Object.assign(headers, { 'x-slack-signature': slackSignature(body, now, 'not-the-secret'), 'x-slack-request-timestamp': String(now) });
        if (i.signing === 'stale') Object.assign(headers, { 'x-slack-signature': slackSignature(body, now - 3_600), 'x-slack-request-timestamp': String(now - 3_600) });
        if (i.signing === 'garbage') Object.assign(headers, { 'x-slack-signature': i.garbage.sig, 'x-slack-request-timestamp': i.garbage.ts });
        return call(event('POST', '/v1/chatops/slack', { body, headers, key: null }));
      },
      (i) => `slack ${i.signing} ${i.text.slice(0, 80)}`,
    );
  }, 120_000);
});

// ---- queue messages ----

describe('fuzz: worker with arbitrary SQS bodies', () => {
  it('never throws, answers only for its own messages, and changes no stored record', async () => {
    const before = await storedRequests();
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.record({ request_id: fc.oneof(fc.string(), idChars.map((s) => `req_${s}`), fc.constantFrom(...seededIds)) }).map((v) => JSON.stringify(v)),
      nearValid.map((nv) => JSON.stringify({ kind: nv.kind.slice(0, -1), ...JSON.parse(nv.body) })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const sqsEvent: SQSEvent = {
          Records: bodies.map((b) => ({
            messageId: randomUUID(),
            receiptHandle: randomUUID(),
            body: b,
            attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'fuzz', ApproximateFirstReceiveTimestamp: String(Date.now()) },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: 'arn:aws:sqs:eu-central-1:000000000000:fuzz',
            awsRegion: 'eu-central-1',
          })),
        };
        const result = await worker(sqsEvent, lambdaContext('worker', 60_000) as Context);
        const ids = new Set(sqsEvent.Records.map((r) => r.messageId));
        for (const f of result.batchItemFailures) expect(ids.has(f.itemIdentifier)).toBe(true);
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 3)) },
    );
    const after = await storedRequests();
    // The seeded records are `queued`: a message naming one may submit it, which is the worker's job,
    // so only records no message named are held to "unchanged".
    const changed = [...before].filter(([k, v]) => !seededIds.some((id) => k === `REQ#${id}`) && after.get(k) !== v).map(([k]) => k);
    expect(changed).toEqual([]);
  }, 180_000);
});
