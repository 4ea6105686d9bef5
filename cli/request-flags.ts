// Flags of the create commands, one per request field: the flag table builds the commander options,
// turns the parsed flags into the request body, and names the flag behind a failing field.
// The body is checked with the service's own request schemas, so a value the API would refuse
// exits 2 here before any HTTP call, with the same words the API would use.
import { Option } from 'commander';
import * as z from '../lib/zod.js';
import { documentedRequestSchemas } from '../lib/api/openapi-docs-requests.js';
import { descriptionOf } from '../lib/api/openapi-documented.js';
import type { RequestKind } from '../lib/requests/record.js';
import { parseRequest, type FieldError } from '../lib/requests/schemas.js';

/** How a flag's text becomes a JSON value. */
type FlagValue = 'text' | 'integer' | 'switch' | 'tags' | 'image-tags';

interface RequestFlag {
  /** Dotted path of the request field (`then_export.bucket_url`). */
  field: string;
  /** The flag without dashes; by default the field with `_` and `.` as `-`. */
  name: string;
  value: FlagValue;
  placeholder: string;
}

const flag = (field: string, value: FlagValue = 'text', placeholder = 'value', name?: string): RequestFlag => ({
  field,
  name: name ?? field.replaceAll(/[._]/g, '-'),
  value,
  placeholder,
});

const COMMON: RequestFlag[] = [flag('callback_url', 'text', 'url'), flag('region', 'text', 'region'), flag('project_id', 'text', 'id'), flag('client_ref', 'text', 'ref')];
const TAGS: RequestFlag[] = [flag('tags', 'tags', 'key.value', 'tag'), flag('image_tags', 'image-tags', 'key=value', 'image-tag')];

export const REQUEST_FLAGS: Record<RequestKind, RequestFlag[]> = {
  export: [flag('image_id', 'text', 'uuid'), flag('bucket_url', 'text', 'bucket:object'), flag('file_format', 'text', 'format'), flag('is_quick_export', 'switch', '', 'quick'), ...COMMON],
  import: [
    flag('name', 'text', 'name'),
    flag('image_url', 'text', 'bucket:object'),
    flag('min_disk', 'integer', 'gb'),
    flag('disk', 'text', 'system|data'),
    flag('quick', 'switch'),
    flag('os_version', 'text', 'version'),
    flag('os_type', 'text', 'Linux|Windows'),
    flag('description', 'text', 'text'),
    ...TAGS,
    flag('type', 'text', 'type'),
    flag('is_config_init', 'switch'),
    flag('is_config', 'switch'),
    flag('min_ram', 'integer', 'mb'),
    flag('max_ram', 'integer', 'mb'),
    flag('cmk_id', 'text', 'id'),
    ...COMMON,
  ],
  capture: [
    flag('name', 'text', 'name'),
    flag('instance_id', 'text', 'uuid'),
    flag('description', 'text', 'text'),
    ...TAGS,
    flag('then_export.bucket_url', 'text', 'bucket:object'),
    flag('then_export.file_format', 'text', 'format'),
    flag('then_export.is_quick_export', 'switch', '', 'then-export-quick'),
    ...COMMON,
  ],
};

/** The camelCase key commander stores a flag under. */
const attribute = (name: string) => name.replaceAll(/-([a-z])/g, (_, c: string) => c.toUpperCase());

// The request schemas as the OpenAPI document shows them: the runtime ones carry no descriptions.
const DOCUMENTED = { export: documentedRequestSchemas.exportRequest, import: documentedRequestSchemas.importRequest, capture: documentedRequestSchemas.captureRequest } as const;

/** The field's own description from the request schema, so `--help` says what the API documents. */
function describeField(kind: RequestKind, field: string): string {
  const [head, sub] = field.split('.') as [string, string | undefined];
  const shape: Record<string, z.core.$ZodType> = sub === undefined ? DOCUMENTED[kind].shape : documentedRequestSchemas.exportTarget.shape;
  const schema = shape[sub ?? head];
  const text = (schema && descriptionOf(schema)) ?? '';
  return sub === undefined ? text : `then_export: ${text}`;
}

export function requestOptions(kind: RequestKind): Option[] {
  return REQUEST_FLAGS[kind].map((f) => {
    const option = new Option(f.value === 'switch' ? `--${f.name}` : `--${f.name} <${f.placeholder}>`, describeField(kind, f.field));
    // A repeated list flag collects; the others keep the last value given.
    if (f.value === 'tags' || f.value === 'image-tags') option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    return option;
  });
}

function jsonValue(f: RequestFlag, raw: unknown): unknown {
  switch (f.value) {
    case 'switch':
      return raw === true ? true : undefined;
    // Not a whole number stays text, and the schema says what the field needs.
    case 'integer':
      return typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    case 'tags':
      return raw;
    case 'image-tags':
      return (raw as string[]).map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? { key: entry } : { key: entry.slice(0, eq), value: entry.slice(eq + 1) };
      });
    case 'text':
      return raw;
  }
}

/** The request body the flags describe: only flags that were given, nested where the field is. */
export function requestBody(kind: RequestKind, options: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of REQUEST_FLAGS[kind]) {
    const raw = options[attribute(f.name)];
    if (raw === undefined) continue;
    const value = jsonValue(f, raw);
    if (value === undefined) continue;
    const [head, sub] = f.field.split('.') as [string, string | undefined];
    if (sub === undefined) body[head] = value;
    else body[head] = { ...(body[head] as Record<string, unknown> | undefined), [sub]: value };
  }
  return body;
}

/** The flag behind a failing field (`tags.0` → `--tag`); the field itself when no flag sets it. */
export function flagFor(kind: RequestKind, path: string): string {
  const match = REQUEST_FLAGS[kind]
    .filter((f) => path === f.field || path.startsWith(`${f.field}.`))
    .sort((a, b) => b.field.length - a.field.length)[0];
  if (match) return `--${match.name}`;
  return path === '' ? '(request)' : path;
}

/** Same rules as the API's: the errors name the flag and the field. */
export function checkRequest(kind: RequestKind, body: Record<string, unknown>): { ok: true } | { ok: false; errors: FieldError[] } {
  const parsed = parseRequest(kind, body);
  return parsed.ok ? { ok: true } : { ok: false, errors: parsed.errors };
}
