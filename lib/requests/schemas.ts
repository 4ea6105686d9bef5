// What callers may send (contract sections 1 and 4): one strict schema per request kind,
// carrying IMS's own limits so a request IMS would refuse is refused at intake.
import { z } from 'zod';
import {
  MIN_DISK,
  cmkId,
  exportFileFormat,
  imageDescription,
  imageName,
  imageTags,
  minDisk,
  obsUrl,
  osType,
  osVersion,
  quickImportType,
  ramMb,
  systemImageType,
  tags,
  uuid,
} from '../ims/fields.js';
import { REGION_NAME } from '../ims/settings.js';
import { requestKind, requestRecord, requestStatus, type RequestKind } from './record.js';

/** One contract-style validation error: `path` is dotted from the body's root (`tags.0`, `then_export.bucket_url`). */
// Response-only schemas carry their component id here: zod-openapi renders manually listed components as inputs too.
export const fieldError = z
  .object({
    path: z.string().describe('dotted path of the field that breaks a rule ("" for the body itself)'),
    message: z.string().describe('what the rule is, in words'),
  })
  .meta({ id: 'FieldError', description: 'one field that breaks a rule' });
export type FieldError = z.infer<typeof fieldError>;

const obsLocation = obsUrl;

// ---- common fields (every kind except inside then_export) ----

export const callbackUrl = z
  .url({ protocol: /^https$/, error: 'must be an https URL' })
  .max(2048, 'must have at most 2048 characters')
  .describe('https URL that receives the completion webhook (Standard Webhooks); defaults to the tenant\'s URL');

export const region = z
  .string()
  .max(32, 'must have at most 32 characters')
  // The IMS client's own rule: a region intake accepts is one the client can call.
  .regex(REGION_NAME, 'must be a region name such as "eu-de" (lower-case letters and digits, single "-" between them)')
  .describe('cloud region whose IMS endpoint runs the job, e.g. "eu-de" or "ap-southeast-1"; defaults from configuration');

export const projectId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'must be an IAM project id of 32 lower-case hex characters')
  .describe('IAM project id (32 lower-case hex characters) that owns the image; defaults from configuration');

export const clientRef = z
  .string()
  .max(128, 'must have at most 128 characters')
  .describe('any caller reference up to 128 characters, echoed back in the record and every event');

const commonShape = {
  callback_url: callbackUrl.optional(),
  region: region.optional(),
  project_id: projectId.optional(),
  client_ref: clientRef.optional(),
};

/** Idempotency-Key header (HTTP) and `idempotency_key` (queue): 1–255 characters. */
export const idempotencyKey = z
  .string()
  .min(1, 'must have 1 to 255 characters')
  .max(255, 'must have 1 to 255 characters')
  .describe('repeat a request safely: the same key and body answer with the same request, never a second IMS job');

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
const validAs = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> | undefined => {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};

function checkTagsXorImageTags(v: Fields, ctx: Ctx) {
  if (given(v, 'tags') && given(v, 'image_tags')) fail(ctx, 'image_tags', 'use either tags or image_tags, not both');
}

function checkExportTarget(v: Fields, ctx: Ctx) {
  if (v.is_quick_export === true) {
    if (given(v, 'file_format')) fail(ctx, 'file_format', 'must be left out with is_quick_export (the file is ZVHD2)');
  } else if (!given(v, 'file_format')) {
    fail(ctx, 'file_format', 'is required unless is_quick_export is true');
  }
}

// ---- export ----

const exportTargetShape = {
  bucket_url: obsLocation.describe(
    'target file as "bucket:object" (OBS bucket of the Standard class in the image\'s region; the object may contain "/")',
  ),
  file_format: exportFileFormat
    .optional()
    .describe('file format written: qcow2, vhd, zvhd or vmdk; required unless is_quick_export, forbidden with it'),
  is_quick_export: z
    .boolean()
    .optional()
    .describe('fast export (required for images over 128 GB); writes ZVHD2 and takes no file_format'),
};

/** The export part of a capture (`then_export`): an export request without `image_id` and without the common fields. */
export const exportTarget = z
  .strictObject(exportTargetShape)
  .superRefine((v, ctx) => checkExportTarget(v, ctx), whenObject)
  .describe('export of the captured image, started once it is active; recorded as a child request');

export const exportRequest = z
  .strictObject({
    image_id: uuid.describe('IMS private image to export (UUID); full-ECS, ISO and some public-derived images cannot be exported'),
    ...exportTargetShape,
    ...commonShape,
  })
  .superRefine((v, ctx) => checkExportTarget(v, ctx), whenObject)
  .describe('Export an IMS image to an OBS bucket (POST /v1/cloudimages/{image_id}/file).');
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

const IMPORT_CALL_NAME = {
  system: 'a system-disk import',
  data: 'a data-disk import',
  'quick-system': 'a quick import',
  'quick-data': 'a quick import',
} as const;

function checkImport(v: Fields, ctx: Ctx) {
  checkTagsXorImageTags(v, ctx);
  const disk = validAs(importDisk, v.disk ?? 'system');
  if (disk === undefined) return;
  const quick = v.quick === true;
  const call: keyof typeof IMPORT_CALL_NAME = quick ? (disk === 'data' ? 'quick-data' : 'quick-system') : disk;

  for (const [field, rule] of Object.entries(IMPORT_ONLY_FOR))
    if (given(v, field) && !rule.applies(disk, quick)) fail(ctx, field, rule.why);

  const range = quick ? MIN_DISK.quick : MIN_DISK[disk];
  if (typeof v.min_disk === 'number' && Number.isInteger(v.min_disk)) {
    const checked = minDisk(range).safeParse(v.min_disk);
    if (!checked.success) fail(ctx, 'min_disk', `${checked.error.issues[0]?.message ?? 'is out of range'} for ${IMPORT_CALL_NAME[call]}`);
  }

  const type = validAs(importType, v.type);
  if (given(v, 'type') && type !== undefined) {
    const allowedTypes: readonly string[] =
      call === 'system' ? systemImageType.options : call === 'quick-system' ? quickImportType.options.filter((t) => t !== 'DataImage') : call === 'quick-data' ? ['DataImage'] : [];
    if (allowedTypes.length === 0) fail(ctx, 'type', 'is not taken by a data-disk import without quick');
    else if (!allowedTypes.includes(type))
      fail(ctx, 'type', `must be one of ${allowedTypes.join(', ')} for this import${type === 'DataImage' ? ' (DataImage needs disk "data")' : ''}`);
  }

  if (!given(v, 'os_version')) {
    if (call === 'quick-system') fail(ctx, 'os_version', 'is required for a quick import');
    else if (call === 'system' && type === 'IsoImage') fail(ctx, 'os_version', 'is required for type IsoImage');
  }

  const minRam = validAs(ramMb, v.min_ram);
  const maxRam = validAs(ramMb, v.max_ram);
  if (minRam !== undefined && maxRam !== undefined && maxRam > 0 && minRam > maxRam)
    fail(ctx, 'min_ram', 'must not exceed max_ram');
}

export const importRequest = z
  .strictObject({
    name: imageName.describe('image name: 1–128 letters, digits, "-", ".", "_" or spaces, not starting or ending with a space'),
    image_url: obsLocation.describe('source file as "bucket:object" (OBS bucket of the Standard class in the target region)'),
    min_disk: z
      .number()
      .int('must be a whole number of GB')
      .describe('minimum disk size in GB: 1–1024 for a system disk, 40–2048 for a data disk, 1–1024 with quick'),
    disk: importDisk
      .default('system')
      .describe(
        '"system" (POST /v2/cloudimages/action) or "data" (POST /v1/cloudimages/dataimages/action); with quick, both go to quick import',
      ),
    quick: z
      .boolean()
      .optional()
      .describe(
        'quick import (POST /v2/cloudimages/quickimport/action) of a RAW (with bitmap) or ZVHD2 file; with disk "data" it imports type DataImage',
      ),
    description: imageDescription
      .optional()
      .describe('at most 1024 characters, no carriage return, "<" or ">"'),
    os_version: osVersion
      .optional()
      .describe('OS version as IMS lists it (values_of_related_parameters); required with quick on a system disk and with type IsoImage; system disks only'),
    os_type: osType.optional().describe('OS of a data disk image: Linux (default) or Windows; data disks only'),
    is_config_init: z.boolean().optional().describe('whether initial configuration is complete; system disk without quick only'),
    is_config: z.boolean().optional().describe('let IMS configure the image automatically; system disk without quick only'),
    tags: tags.optional().describe('tags as "key.value" (key 1–36, value 0–43 letters, digits, "_" or "-"); not with image_tags'),
    image_tags: imageTags.optional().describe('tags as {key, value} (key 1–36, value 0–43 characters); not with tags'),
    type: importType
      .optional()
      .describe(
        'image type: ECS (default), BMS, FusionCompute, IsoImage or Ironic for a system disk; ECS or BMS with quick; DataImage (or left out) for disk "data" with quick; not taken by a data disk without quick',
      ),
    max_ram: ramMb.optional().describe('maximum memory in MB (0: unrestricted); system disk without quick only'),
    min_ram: ramMb.optional().describe('minimum memory in MB (0: unrestricted), at most max_ram; system disk without quick only'),
    cmk_id: cmkId.optional().describe('KMS key id that encrypts the image; not with quick'),
    ...commonShape,
  })
  .superRefine((v, ctx) => checkImport(v, ctx), whenObject)
  .describe('Import an image file from OBS as a system or data disk image, optionally by quick import.');
export type ImportRequest = z.infer<typeof importRequest>;

// ---- capture ----

export const captureRequest = z
  .strictObject({
    name: imageName.describe('image name: 1–128 letters, digits, "-", ".", "_" or spaces, not starting or ending with a space'),
    instance_id: uuid.describe('ECS to capture (UUID); it should be stopped'),
    description: imageDescription.optional().describe('at most 1024 characters, no carriage return, "<" or ">"'),
    tags: tags.optional().describe('tags as "key.value" (key 1–36, value 0–43 letters, digits, "_" or "-"); not with image_tags'),
    image_tags: imageTags.optional().describe('tags as {key, value} (key 1–36, value 0–43 characters); not with tags'),
    then_export: exportTarget.optional(),
    ...commonShape,
  })
  .superRefine((v, ctx) => checkTagsXorImageTags(v, ctx), whenObject)
  .describe('Capture an ECS as an IMS private image (POST /v2/cloudimages/action), optionally exporting it afterwards.');
export type CaptureRequest = z.infer<typeof captureRequest>;

export const requestSchemas = { export: exportRequest, import: importRequest, capture: captureRequest } as const;
export type RequestByKind = { export: ExportRequest; import: ImportRequest; capture: CaptureRequest };
export type AnyRequest = RequestByKind[RequestKind];

// ---- listing (GET /v1/requests) ----

export const listQuery = z.strictObject({
  status: requestStatus.optional().describe('only requests in this status'),
  kind: requestKind.optional().describe('only requests of this kind'),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be between 1 and 100')
    .max(100, 'must be between 1 and 100')
    .default(20)
    .describe('page size, 1–100 (default 20)'),
  cursor: z.string().min(1).max(2048).optional().describe('next_cursor of the previous page'),
});
export type ListQuery = z.infer<typeof listQuery>;

export const requestList = z
  .object({
    items: z.array(requestRecord).describe('requests, newest first'),
    next_cursor: z.string().nullable().describe('cursor of the next page; null on the last page'),
  })
  .meta({ id: 'RequestList', description: 'one page of the tenant\'s requests' });
export type RequestList = z.infer<typeof requestList>;

export const healthStatus = z.object({ status: z.literal('ok') }).describe('the service is ready');

// ---- chatops (POST /v1/chatops/slack) ----

/** The form fields Slack and Mattermost send with a slash command (application/x-www-form-urlencoded). */
export const slashCommandForm = z
  .looseObject({
    command: z.string().describe('the slash command, e.g. /ims'),
    text: z.string().describe('what followed the command: export, import, capture, status, list or help with their arguments'),
    team_id: z.string().describe('workspace (Slack) or team (Mattermost); mapped to a tenant in configuration'),
    user_id: z.string().describe('who ran the command'),
    user_name: z.string().optional().describe('their display name'),
    channel_id: z.string().optional().describe('where it was run'),
    response_url: z.string().optional().describe('where the outcome is posted later'),
    trigger_id: z.string().optional().describe('Slack interaction trigger'),
    token: z.string().optional().describe('Mattermost verification token (Slack requests are signed instead)'),
  })
  .describe('slash command form body; further fields the platform sends are ignored');
export type SlashCommandForm = z.infer<typeof slashCommandForm>;

export const slashCommandReply = z
  .object({
    response_type: z.enum(['ephemeral', 'in_channel']).describe('who sees the reply'),
    text: z.string().describe('the reply, in Slack/Mattermost markdown'),
  })
  .describe('immediate answer to a slash command');
export type SlashCommandReply = z.infer<typeof slashCommandReply>;

// ---- errors ----

const MANY_VALUES = 8;

/** Parse-time messages for zod's generic cases; rule-specific messages come from the schemas. */
export const requestErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type' && issue.expected === 'object') return 'must be a JSON object';
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

/** Turns zod issues into contract errors; an unknown field becomes one error at its own path. */
export function validationErrors(error: z.ZodError): FieldError[] {
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

/** Validates an HTTP body (already JSON-parsed) as a request of `kind`. */
export function parseRequest<K extends RequestKind>(kind: K, body: unknown): ParsedRequest<K> {
  const parsed = requestSchemas[kind].safeParse(body, { error: requestErrorMap });
  // The schema was picked by `kind`, so its output is the request of that kind.
  return parsed.success ? { ok: true, request: parsed.data as RequestByKind[K] } : { ok: false, errors: validationErrors(parsed.error) };
}

// ---- queue messages (contract section 4) ----

export const tenantId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a tenant id of 1 to 64 letters, digits, ".", "_" or "-"')
  .describe('tenant the request belongs to');

const messageOf = <K extends RequestKind>(kind: K) =>
  z.strictObject({
    kind: z.literal(kind),
    tenant: tenantId,
    request: requestSchemas[kind],
    idempotency_key: idempotencyKey.optional(),
  });

export const queueMessage = z.discriminatedUnion('kind', [messageOf('export'), messageOf('import'), messageOf('capture')]);
export type QueueMessage = z.infer<typeof queueMessage>;

export type ParsedQueueMessage =
  | { ok: true; message: QueueMessage }
  | { ok: false; tenant: string | null; errors: FieldError[] };

/** Validates an SQS body; on failure keeps the tenant when it is readable, so the failure can be recorded for it. */
export function parseQueueMessage(body: string): ParsedQueueMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, tenant: null, errors: [{ path: '', message: 'is not valid JSON' }] };
  }
  const parsed = queueMessage.safeParse(json, { error: requestErrorMap });
  if (parsed.success) return { ok: true, message: parsed.data };
  const tenant =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (validAs(tenantId, (json as Fields).tenant) ?? null)
      : null;
  return { ok: false, tenant, errors: validationErrors(parsed.error) };
}
