// The OpenAPI document's words live on documented copies of the runtime schemas (lib/api/openapi-docs*.ts):
// the copies must keep the runtime rules, and the runtime schemas, which every Lambda runs, must stay bare.
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lib/api/openapi.js';
import { documentedSchemas } from '../../lib/api/openapi-docs.js';
import { problemDetails } from '../../lib/api/problems.js';
import { deliveryList, healthStatus, listQuery, requestList } from '../../lib/api/schemas.js';
import { slashCommandForm, slashCommandReply } from '../../lib/chatops/schemas.js';
import { requestRecord } from '../../lib/requests/record.js';
import { captureRequest, exportRequest, exportTarget, fieldError, idempotencyKey, importRequest } from '../../lib/requests/schemas.js';
import { webhookEventPayload } from '../../lib/webhooks/event-schema.js';
import * as z from '../../lib/zod.js';

/** The runtime schema behind each documented copy. */
const RUNTIME = {
  exportRequest,
  importRequest,
  captureRequest,
  exportTarget,
  fieldError,
  idempotencyKey,
  requestRecord,
  webhookEventPayload,
  listQuery,
  requestList,
  healthStatus,
  problemDetails,
  deliveryList,
  slashCommandForm,
  slashCommandReply,
} satisfies Record<keyof typeof documentedSchemas, z.core.$ZodType>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/** Every schema `root` is built from (fields, wrapped schemas, union options), itself included. */
function schemasIn(root: z.core.$ZodType, found = new Set<z.core.$ZodType>()): Set<z.core.$ZodType> {
  if (found.has(root)) return found;
  found.add(root);
  for (const value of Object.values(root._zod.def)) {
    const items: unknown[] = Array.isArray(value) ? value : isPlainObject(value) ? Object.values(value) : [value];
    for (const item of items) if (item instanceof z.core.$ZodType) schemasIn(item, found);
  }
  return found;
}

/** A schema as its definitions, all the way down: its type, fields, checks (the very instances) and settings, without identity or metadata. */
function rulesOf(value: unknown): unknown {
  if (value instanceof z.core.$ZodType) return { rules: rulesOf({ ...value._zod.def }) };
  if (Array.isArray(value)) return value.map(rulesOf);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, rulesOf(v)]));
  return value;
}

describe('the documented copies the OpenAPI document is built from', () => {
  it.each(Object.keys(RUNTIME) as (keyof typeof RUNTIME)[])('%s has the rules of the runtime schema, check for check', (name) => {
    expect(documentedSchemas[name]).not.toBe(RUNTIME[name]);
    expect(rulesOf(documentedSchemas[name])).toEqual(rulesOf(RUNTIME[name]));
  });

  it('leave the runtime schemas without metadata, also once the document is built', () => {
    openApiDocument();
    const described = Object.entries(RUNTIME).flatMap(([name, schema]) =>
      [...schemasIn(schema)].filter((s) => z.globalRegistry.get(s) !== undefined).map((s) => `${name}: ${JSON.stringify(z.globalRegistry.get(s))}`),
    );
    expect(described).toEqual([]);
  });

  it('describe every field a caller sends: the request bodies, the list query and the chat form', () => {
    type Properties = Record<string, { description?: string; $ref?: string }>;
    const doc = openApiDocument();
    const schemas = doc.components?.schemas as Record<string, { properties: Properties }>;
    const undescribed = (where: string, properties: Properties) =>
      Object.entries(properties)
        .filter(([, p]) => p.description === undefined && p.$ref === undefined)
        .map(([field]) => `${where}.${field}`);
    const bodies = ['ExportRequest', 'ImportRequest', 'CaptureRequest', 'ExportTarget'].flatMap((id) => undescribed(id, schemas[id]?.properties ?? {}));
    const paths = doc.paths as Record<string, Record<string, { parameters?: { name: string; description?: string; schema?: { description?: string } }[]; requestBody?: { content: Record<string, { schema: { properties: Properties } }> } }>>;
    const query = (paths['/v1/requests']?.get?.parameters ?? []).filter((p) => p.description === undefined).map((p) => `query.${p.name}`);
    const form = undescribed('slash command form', paths['/v1/chatops/slack']?.post?.requestBody?.content['application/x-www-form-urlencoded']?.schema.properties ?? {});
    expect([...bodies, ...query, ...form]).toEqual([]);
    // Not vacuous: the bodies are there, with their fields.
    expect(Object.keys(schemas.CaptureRequest?.properties ?? {})).toEqual(Object.keys(captureRequest.shape));
  });
});
