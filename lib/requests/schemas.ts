// What callers may send as a request of each kind: the fields each kind takes, each with the field
// rule IMS applies (fields.ts), and the rules that are ours alone (where and for whom it runs, which
// fields apply to which import). IMS's rules across fields (one tag style, min_disk per call, RAM
// order, when os_version is required, file_format with quick export) are checked once, by building
// the IMS body the request will send and validating it with the IMS client's schemas (imsBodyErrors).
// What the OpenAPI document says of these fields is in lib/api/openapi-docs-requests.ts (build time only): a field added here fails typecheck until it is described there.
import * as z from '../zod.js';
import { cmkId, exportFileFormat, imageDescription, imageName, imageTags, obsUrl, osType, osVersion, quickImportType, ramMb, REGION_NAME, systemImageType, tags, uuid } from '../ims/fields.js';
import { captureBody, dataImportBody, exportBody, quickImportBody, systemImportBody } from '../ims/schemas.js';
import { imsCallOf, type ImsCall } from './ims-call.js';
import { requestKind, type RequestKind } from './record.js';

/** One validation error: `path` is dotted from the body's root (`tags.0`, `then_export.bucket_url`). */
export const fieldError = z.object({
  path: z.string(),
  message: z.string(),
});
export type FieldError = z.infer<typeof fieldError>;

const obsLocation = obsUrl;

// ---- common fields (every kind except inside then_export) ----

export const callbackUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' }).check(z.maxLength(2048, 'must have at most 2048 characters'));

export const region = z.string().check(
  z.maxLength(32, 'must have at most 32 characters'),
  // The IMS client's own rule: a region intake accepts is one the client can call.
  z.regex(REGION_NAME, 'must be a region name such as "eu-de" (lower-case letters and digits, single "-" between them)'),
);

export const projectId = z.string().check(z.regex(/^[0-9a-f]{32}$/, 'must be an IAM project id of 32 lower-case hex characters'));

export const clientRef = z.string().check(z.maxLength(128, 'must have at most 128 characters'));

const commonShape = {
  callback_url: z.optional(callbackUrl),
  region: z.optional(region),
  project_id: z.optional(projectId),
  client_ref: z.optional(clientRef),
};

/** Idempotency-Key header (HTTP) and `idempotency_key` (queue): 1–255 characters. */
export const idempotencyKey = z.string().check(
  z.minLength(1, 'must have 1 to 255 characters'),
  z.maxLength(255, 'must have 1 to 255 characters'),
);

// ---- cross-field rules ----

type Ctx = z.core.$RefinementCtx<unknown>;
type Fields = Record<string, unknown>;

// Cross-field rules also run when a field failed on its own, so callers see every error at once.
const whenObject = {
  when: (payload: z.core.ParsePayload) =>
    typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
};

const fail = (ctx: Ctx, field: string, message: string) => ctx.addIssue({ code: 'custom', message, path: [field] });
const given = (v: Fields, field: string) => v[field] !== undefined;
const validAs = <S extends z.ZodMiniType>(schema: S, value: unknown): z.infer<S> | undefined => {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};

// ---- export ----

const exportTargetShape = {
  bucket_url: obsLocation,
  file_format: z.optional(exportFileFormat),
  is_quick_export: z.optional(z.boolean()),
};

/** The export part of a capture (`then_export`): an export request without `image_id` and without the common fields. */
export const exportTarget = z.strictObject(exportTargetShape);

export const exportRequest = z.strictObject({
  image_id: uuid,
  ...exportTargetShape,
  ...commonShape,
});
export type ExportRequest = z.infer<typeof exportRequest>;
export type ExportTarget = z.infer<typeof exportTarget>;

// ---- import ----

export const importDisk = z.enum(['system', 'data']);
const importType = z.enum([...systemImageType.options, 'DataImage']);

type ImportDisk = z.infer<typeof importDisk>;
const systemWithoutQuick = (disk: ImportDisk, quick: boolean) => disk === 'system' && !quick;
const SYSTEM_ONLY = 'applies only to a system-disk import without quick';

// Fields only some IMS import calls take (creating_an_image, creating_a_data_disk_image..., importing_an_image_file_quickly).
const IMPORT_ONLY_FOR: Record<string, { applies: (disk: ImportDisk, quick: boolean) => boolean; why: string }> = {
  is_config: { applies: systemWithoutQuick, why: SYSTEM_ONLY },
  is_config_init: { applies: systemWithoutQuick, why: SYSTEM_ONLY },
  max_ram: { applies: systemWithoutQuick, why: SYSTEM_ONLY },
  min_ram: { applies: systemWithoutQuick, why: SYSTEM_ONLY },
  cmk_id: { applies: (_disk, quick) => !quick, why: 'is not taken by quick import' },
  os_type: { applies: (disk) => disk === 'data', why: 'applies only to data-disk imports (system disks take os_version)' },
  os_version: { applies: (disk) => disk === 'system', why: 'applies only to system-disk imports (data disks take os_type)' },
};

type ImportCall = ImportDisk | 'quick-system' | 'quick-data';

function checkImport(v: Fields, ctx: Ctx) {
  const disk = validAs(importDisk, v.disk ?? 'system');
  if (disk === undefined) return;
  const quick = v.quick === true;
  const call: ImportCall = quick ? (disk === 'data' ? 'quick-data' : 'quick-system') : disk;

  for (const [field, rule] of Object.entries(IMPORT_ONLY_FOR))
    if (given(v, field) && !rule.applies(disk, quick)) fail(ctx, field, rule.why);

  // Which IMS call takes `type` is ours to say: the body builder would drop it silently.
  const type = validAs(importType, v.type);
  if (given(v, 'type') && type !== undefined) {
    const allowedTypes: readonly string[] =
      call === 'system' ? systemImageType.options : call === 'quick-system' ? quickImportType.options.filter((t) => t !== 'DataImage') : call === 'quick-data' ? ['DataImage'] : [];
    if (allowedTypes.length === 0) fail(ctx, 'type', 'is not taken by a data-disk import without quick');
    else if (!allowedTypes.includes(type))
      fail(ctx, 'type', `must be one of ${allowedTypes.join(', ')} for this import${type === 'DataImage' ? ' (DataImage needs disk "data")' : ''}`);
  }
}

export const importRequest = z.strictObject({
  name: imageName,
  image_url: obsLocation,
  min_disk: z.number().check(z.int('must be a whole number of GB')),
  disk: z._default(importDisk, 'system'),
  quick: z.optional(z.boolean()),
  description: z.optional(imageDescription),
  os_version: z.optional(osVersion),
  os_type: z.optional(osType),
  is_config_init: z.optional(z.boolean()),
  is_config: z.optional(z.boolean()),
  tags: z.optional(tags),
  image_tags: z.optional(imageTags),
  type: z.optional(importType),
  max_ram: z.optional(ramMb),
  min_ram: z.optional(ramMb),
  cmk_id: z.optional(cmkId),
  ...commonShape,
}).check(z.superRefine((v, ctx) => checkImport(v, ctx), whenObject));
export type ImportRequest = z.infer<typeof importRequest>;

// ---- capture ----

export const captureRequest = z.strictObject({
  name: imageName,
  instance_id: uuid,
  description: z.optional(imageDescription),
  tags: z.optional(tags),
  image_tags: z.optional(imageTags),
  then_export: z.optional(exportTarget),
  ...commonShape,
});
export type CaptureRequest = z.infer<typeof captureRequest>;

export const requestSchemas = { export: exportRequest, import: importRequest, capture: captureRequest } as const;
export type RequestByKind = { export: ExportRequest; import: ImportRequest; capture: CaptureRequest };
export type AnyRequest = RequestByKind[RequestKind];

// ---- errors ----

const MANY_VALUES = 8;

/** Parse-time messages for zod's generic cases; rule-specific messages come from the schemas. */
export const requestErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type' && (issue.expected === 'object' || issue.expected === 'record')) return 'must be a JSON object';
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'int' ? 'integer' : issue.expected;
    return `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator)
    return `must be one of ${requestKind.options.map((k) => JSON.stringify(k)).join(', ')}`;
  if (issue.code === 'invalid_value' && issue.values.length > MANY_VALUES)
    return `must be one of the ${issue.values.length} values IMS accepts (listed in the OpenAPI document)`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((x) => JSON.stringify(x)).join(', ')}`;
  return undefined;
};

/** Turns zod issues into field errors; an unknown field becomes one error at its own path. */
export function validationErrors(error: z.core.$ZodError): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: [...at, key].join('.'), message: 'is not a known field' });
    } else {
      errors.push({ path: at.join('.'), message: issue.message });
    }
  }
  return errors.filter((e, i) => errors.findIndex((o) => o.path === e.path && o.message === e.message) === i);
}

export type ParsedRequest<K extends RequestKind> = { ok: true; request: RequestByKind[K] } | { ok: false; errors: FieldError[] };

function imsBodySchema(call: ImsCall): z.ZodMiniType {
  if (call.op === 'export') return exportBody;
  if (call.op === 'capture') return captureBody;
  return call.disk === 'system' ? systemImportBody : call.disk === 'data' ? dataImportBody : quickImportBody;
}

/** The errors IMS's own schema finds in the body this request would send; `prefix` places them in the caller's body. */
function imsCallErrors(call: ImsCall, prefix: string): FieldError[] {
  const checked = imsBodySchema(call).safeParse(call.body, { error: requestErrorMap });
  // The body carries the caller's own field names, so a path in it is the caller's path.
  return checked.success ? [] : validationErrors(checked.error).map((e) => ({ ...e, path: prefix + e.path }));
}

/** IMS's rules on the body (and a capture's then_export body) a request of `kind` would send. */
function imsBodyErrors(kind: RequestKind, body: Record<string, unknown>): FieldError[] {
  const errors = imsCallErrors(imsCallOf(kind, body), '');
  const thenExport = body.then_export;
  if (kind === 'capture' && typeof thenExport === 'object' && thenExport !== null && !Array.isArray(thenExport)) {
    errors.push(...imsCallErrors(imsCallOf('export', thenExport as Record<string, unknown>), 'then_export.'));
  }
  return errors;
}

/**
 * Validates a request body (already JSON-parsed) of `kind`: the caller's fields, then the IMS body it
 * makes. Every broken field is reported at once, one error a field; IMS's finding on a field counts
 * only where the caller's rules found nothing there.
 */
export function parseRequest<K extends RequestKind>(kind: K, body: unknown): ParsedRequest<K> {
  const parsed = requestSchemas[kind].safeParse(body, { error: requestErrorMap });
  const errors = parsed.success ? [] : validationErrors(parsed.error);
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const reported = new Set(errors.map((e) => e.path));
    const fromIms = imsBodyErrors(kind, (parsed.success ? parsed.data : body) as Record<string, unknown>);
    errors.push(...fromIms.filter((e) => !reported.has(e.path) && ![...reported].some((p) => e.path.startsWith(`${p}.`))));
  }
  if (errors.length > 0) return { ok: false, errors: errors.filter((e, i) => errors.findIndex((o) => o.path === e.path && o.message === e.message) === i) };
  // The schema was picked by `kind`, so its output is the request of that kind.
  return { ok: true, request: (parsed as { data: unknown }).data as RequestByKind[K] };
}
