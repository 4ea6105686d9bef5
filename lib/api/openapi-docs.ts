// What the OpenAPI document says about the schemas: descriptions, examples, formats and component ids,
// on documented copies of the runtime schemas. Build time only: lib/api/openapi.ts (and the CLI's --help)
// import it, no Lambda does, so no bundle carries the text and no cold start registers it (one module
// beside the document's build, so test/unit/bundle-contents.test.ts has one place to keep out).
//
// Each table names every field of its schema (FieldDocs is keyed by the schema's shape): a field added to
// or renamed in a runtime schema fails typecheck here until it is described (or marked null, shown bare).
import * as z from '../zod.js';
import { slashCommandForm, slashCommandReply } from '../chatops/schemas.js';
import { requestError, requestRecord } from '../requests/record.js';
import { captureRequest, exportRequest, exportTarget, fieldError, idempotencyKey, importRequest } from '../requests/schemas.js';
import { deliveryAttempt, deliveryList } from '../store/deliveries.js';
import { webhookEventData, webhookEventPayload } from '../webhooks/event.js';
import { PROBLEM_TYPES, problemDetails } from './problems.js';
import { healthStatus, listQuery, requestList } from './schemas.js';

/** A description, or the metadata zod-openapi reads (description, example, format, id). */
type Meta = string | z.core.GlobalMeta;

const toMeta = (meta: Meta): z.core.GlobalMeta => (typeof meta === 'string' ? { description: meta } : meta);

/** Each documented copy and the runtime schema it copies, so a copy can only stand where its original stands. */
const originals = new WeakMap<z.core.$ZodType, z.core.$ZodType>();

/**
 * A copy of `schema` documented in the global registry, as classic zod's `.describe()` and `.meta()` make
 * it. A copy, because metadata belongs to one instance and one instance (`uuid`, `obsUrl`) stands in
 * several fields; not mini's `z.describe()` check, which travels with every schema derived from it.
 */
export function documented<T extends z.ZodMiniType>(schema: T, meta: Meta): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, toMeta(meta));
  originals.set(copy, schema);
  return copy;
}

const INSIDE = Symbol('inside');
interface Inside {
  [INSIDE]: Meta | z.ZodMiniType;
  outer: Meta | undefined;
}

/**
 * Documents what the field's optional, nullable, default and array wrappers hold (the field itself when it has
 * none): a description there (a header parameter, or one branch of a nullable's anyOf, shows it there), or a
 * documented copy of that schema (a component that must be the one instance named in the document). `outer`
 * describes the field as written too.
 */
const inside = (what: Meta | z.ZodMiniType, outer?: Meta): Inside => ({ [INSIDE]: what, outer });

/** How a field is shown: its description (on the field as written), `inside(...)`, or null for none. */
type FieldDoc = Meta | Inside | null;

/** One entry for every field of the shape, so a field added or renamed in the runtime schema fails typecheck. */
type FieldDocs<Shape extends z.core.$ZodShape> = { [K in keyof Shape]-?: FieldDoc };

type AnyObject = z.ZodMiniObject<z.core.$ZodShape, z.core.$ZodObjectConfig>;

const WRAPPED = { optional: 'innerType', nullable: 'innerType', default: 'innerType', array: 'element' } as const;

/** `schema` with the schema its wrappers hold replaced by `replace(held)`. */
function rewrapped(schema: z.core.$ZodType, replace: (held: z.core.$ZodType) => z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const key = WRAPPED[def.type as keyof typeof WRAPPED] as string | undefined;
  if (key === undefined) return replace(schema);
  return (schema as z.ZodMiniType).clone(z.core.util.mergeDefs(def, { [key]: rewrapped(def[key] as z.core.$ZodType, replace) }) as typeof def);
}

const isSchema = (what: Meta | z.ZodMiniType): what is z.ZodMiniType => typeof what === 'object' && '_zod' in what;

function documentedField(field: z.core.$ZodType, doc: FieldDoc, where: string): z.core.$ZodType {
  if (doc === null) return field;
  if (typeof doc === 'string' || !(INSIDE in doc)) return documented(field as z.ZodMiniType, doc);
  const what = doc[INSIDE];
  const held = rewrapped(field, (schema) => {
    if (!isSchema(what)) return documented(schema as z.ZodMiniType, what);
    if (originals.get(what) !== schema) throw new Error(`${where}: the documented schema given is not a copy of the one the field holds`);
    return what;
  });
  return doc.outer === undefined ? held : documented(held as z.ZodMiniType, doc.outer);
}

/** A copy of the object `schema` with each field documented as `fields` says, and the object itself by `meta`. */
function documentedObject<S extends AnyObject>(name: string, schema: S, fields: FieldDocs<S['shape']>, meta?: Meta): S {
  const runtimeShape: z.core.$ZodShape = schema._zod.def.shape;
  // The types say the same; this catches a table spread from another (a field dropped from the schema).
  const stale = Object.keys(fields).filter((key) => !(key in runtimeShape));
  if (stale.length > 0) throw new Error(`${name}: descriptions of fields it does not have: ${stale.join(', ')}`);
  const docs: Record<string, FieldDoc | undefined> = fields;
  const shape = Object.fromEntries(
    Object.entries(runtimeShape).map(([key, field]) => {
      const doc = docs[key];
      if (doc === undefined) throw new Error(`${name}.${key} is in no description table`);
      return [key, documentedField(field, doc, `${name}.${key}`)];
    }),
  );
  const copy = schema.clone(z.core.util.mergeDefs(schema._zod.def, { shape }) as S['_zod']['def']);
  originals.set(copy, schema);
  if (meta !== undefined) z.globalRegistry.add(copy, toMeta(meta));
  return copy;
}

// ---- request bodies (lib/requests/schemas.ts) ----

// Response-only schemas carry their component id as metadata: zod-openapi renders manually listed components as inputs too.
const fieldErrorDocs = documentedObject(
  'FieldError',
  fieldError,
  {
    path: 'dotted path of the field that breaks a rule ("" for the body itself)',
    message: 'what the rule is, in words',
  },
  { id: 'FieldError', description: 'one field that breaks a rule' },
);

// On the schema each field holds, where the runtime schemas kept them: the document shows them there.
const commonFields = {
  callback_url: inside('https URL that receives the completion webhook (Standard Webhooks); defaults to the tenant\'s URL'),
  region: inside('cloud region whose IMS endpoint runs the job, e.g. "eu-de" or "ap-southeast-1"; defaults from configuration'),
  project_id: inside('IAM project id (32 lower-case hex characters) that owns the image; defaults from configuration'),
  client_ref: inside('any caller reference up to 128 characters, echoed back in the record and every event'),
};

const exportTargetFields: FieldDocs<typeof exportTarget.shape> = {
  bucket_url: 'target file as "bucket:object" (OBS bucket of the Standard class in the image\'s region; the object may contain "/")',
  file_format: 'file format written: qcow2, vhd, zvhd or vmdk; required unless is_quick_export, forbidden with it',
  is_quick_export: 'fast export (required for images over 128 GB); writes ZVHD2 and takes no file_format',
};

const exportTargetDocs = documentedObject('ExportTarget', exportTarget, exportTargetFields, 'export of the captured image, started once it is active; recorded as a child request');

const imageFields = {
  name: 'image name: 1–128 letters, digits, "-", ".", "_" or spaces, not starting or ending with a space',
  description: 'at most 1024 characters, no carriage return, "<" or ">"',
  tags: 'tags as "key.value" (key 1–36, value 0–43 letters, digits, "_" or "-"); not with image_tags',
  image_tags: 'tags as {key, value} (key 1–36, value 0–43 characters); not with tags',
};

const exportRequestDocs = documentedObject(
  'ExportRequest',
  exportRequest,
  {
    image_id: 'IMS private image to export (UUID); full-ECS, ISO and some public-derived images cannot be exported',
    ...exportTargetFields,
    ...commonFields,
  },
  'Export an IMS image to an OBS bucket (POST /v1/cloudimages/{image_id}/file).',
);

const importRequestDocs = documentedObject(
  'ImportRequest',
  importRequest,
  {
    name: imageFields.name,
    image_url: 'source file as "bucket:object" (OBS bucket of the Standard class in the target region)',
    min_disk: 'minimum disk size in GB: 1–1024 for a system disk, 40–2048 for a data disk, 1–1024 with quick',
    disk: '"system" (POST /v2/cloudimages/action) or "data" (POST /v1/cloudimages/dataimages/action); with quick, both go to quick import',
    quick: 'quick import (POST /v2/cloudimages/quickimport/action) of a RAW (with bitmap) or ZVHD2 file; with disk "data" it imports type DataImage',
    description: imageFields.description,
    os_version: 'OS version as IMS lists it (values_of_related_parameters); required with quick on a system disk and with type IsoImage; system disks only',
    os_type: 'OS of a data disk image: Linux (default) or Windows; data disks only',
    is_config_init: 'whether initial configuration is complete; system disk without quick only',
    is_config: 'let IMS configure the image automatically; system disk without quick only',
    tags: imageFields.tags,
    image_tags: imageFields.image_tags,
    type: 'image type: ECS (default), BMS, FusionCompute, IsoImage or Ironic for a system disk; ECS or BMS with quick; DataImage (or left out) for disk "data" with quick; not taken by a data disk without quick',
    max_ram: 'maximum memory in MB (0: unrestricted); system disk without quick only',
    min_ram: 'minimum memory in MB (0: unrestricted), at most max_ram; system disk without quick only',
    cmk_id: 'KMS key id that encrypts the image; not with quick',
    ...commonFields,
  },
  'Import an image file from OBS as a system or data disk image, optionally by quick import.',
);

const captureRequestDocs = documentedObject(
  'CaptureRequest',
  captureRequest,
  {
    ...imageFields,
    instance_id: 'ECS to capture (UUID); it should be stopped',
    then_export: inside(exportTargetDocs),
    ...commonFields,
  },
  'Capture an ECS as an IMS private image (POST /v2/cloudimages/action), optionally exporting it afterwards.',
);

// ---- the record and its webhook (lib/requests/record.ts, lib/webhooks/event.ts) ----

const requestErrorDocs = documentedObject('RequestError', requestError, {
  code: 'IMS\'s own code (e.g. IMG.0070) when IMS gave one, else one of ours',
  message: null,
  source: null,
  hint: 'what to do about it, in one or two sentences',
});

const isoTime = { format: 'date-time', description: 'ISO 8601 UTC timestamp' };

const requestRecordFields: FieldDocs<typeof requestRecord.shape> = {
  id: null,
  kind: null,
  status: null,
  tenant: null,
  client_ref: null,
  params: 'the request fields of its kind, as accepted',
  region: null,
  project_id: null,
  ims_job_id: null,
  image_id: 'the image made by an import or capture (or exported)',
  progress: null,
  error: inside(requestErrorDocs),
  last_error: inside(requestErrorDocs, 'the latest transient error while the request waits to be submitted again; null once IMS took it or it ended'),
  attempts: 'IMS submissions made',
  parent_id: null,
  child_id: null,
  created_at: isoTime,
  submitted_at: inside(isoTime),
  updated_at: isoTime,
  completed_at: inside(isoTime),
  next_check_at: inside(isoTime),
  webhook: null,
  evidence:
    'what OBS could or could not show about the request: after an answer from IMS was lost, the evidence the outcome waits for (an export\'s object in OBS) or why it cannot be looked for (no OBS credentials); or that the OBS checks before submission were skipped. Absent or null otherwise',
};

const requestRecordDocs = documentedObject('RequestRecord', requestRecord, requestRecordFields, { id: 'RequestRecord', description: 'a request and where it stands' });

const { webhook: _deliveryState, ...endedRecordFields } = requestRecordFields;

const webhookEventDataDocs = documentedObject(
  'WebhookEventData',
  webhookEventData,
  {
    ...endedRecordFields,
    next_check_at: 'always null: an ended request is not checked again',
    updated_at: { format: 'date-time', description: 'when the request ended (its completed_at)' },
  },
  { id: 'WebhookEventData', description: 'the request record as it stood when the request ended (without its webhook state)' },
);

const webhookEventPayloadDocs = documentedObject(
  'WebhookEvent',
  webhookEventPayload,
  {
    type: null,
    timestamp: { format: 'date-time', description: 'when the request reached its outcome' },
    data: inside(webhookEventDataDocs),
  },
  { id: 'WebhookEvent', description: 'the body of a completion webhook (Standard Webhooks)' },
);

// ---- the other answers and the list query (lib/api/schemas.ts, lib/api/problems.ts, lib/store/deliveries.ts) ----

const listQueryDocs = documentedObject('listQuery', listQuery, {
  status: 'only requests in this status',
  kind: 'only requests of this kind',
  limit: 'page size, 1–100 (default 20)',
  cursor: 'next_cursor of the previous page',
});

const requestListDocs = documentedObject(
  'RequestList',
  requestList,
  {
    items: inside(requestRecordDocs, 'requests, newest first'),
    next_cursor: 'cursor of the next page; null on the last page',
  },
  { id: 'RequestList', description: 'one page of the tenant\'s requests' },
);

const healthStatusDocs = documentedObject('healthStatus', healthStatus, { status: null }, 'the service is ready');

const problemDetailsDocs = documentedObject(
  'ProblemDetails',
  problemDetails,
  {
    type: `problem type URI: ${Object.entries(PROBLEM_TYPES)
      .map(([type, { status, title }]) => `${type} (${status}, "${title}")`)
      .join(', ')}`,
    title: 'short summary of the problem type; the same for every occurrence',
    status: 'HTTP status code',
    detail: 'what went wrong in this occurrence, for humans',
    errors: inside(fieldErrorDocs, 'validation failures, one per field that breaks a rule'),
    instance: 'this occurrence (request path or correlation id)',
  },
  { id: 'ProblemDetails', description: 'RFC 9457 problem details (application/problem+json)' },
);

const deliveryAttemptDocs = documentedObject(
  'DeliveryAttempt',
  deliveryAttempt,
  {
    event_id: 'the `webhook-id` sent (webhooks), or the id of the chat message',
    type: 'the webhook event type (e.g. image.export.succeeded), or `chat`',
    attempt: 'the how-many-th attempt of this event_id, from 1',
    at: { format: 'date-time', description: 'RFC 3339 time the attempt started' },
    url_origin: 'scheme, host and port of the target only: paths and queries may carry tokens',
    status_code: 'the HTTP status the receiver answered; null when none came',
    error: 'why the attempt failed; null on success',
    duration_ms: null,
  },
  { id: 'DeliveryAttempt' },
);

const deliveryListDocs = documentedObject('deliveryList', deliveryList, { items: inside(deliveryAttemptDocs, 'oldest first, at most the latest 50') });

// ---- chat (lib/chatops/schemas.ts) ----

const slashCommandFormDocs = documentedObject(
  'slashCommandForm',
  slashCommandForm,
  {
    command: 'the slash command, e.g. /ims',
    text: 'what followed the command: export, import, capture, status, list or help with their arguments',
    team_id: 'workspace (Slack) or team (Mattermost); mapped to a tenant in configuration',
    user_id: 'who ran the command',
    user_name: 'their display name',
    channel_id: 'where it was run',
    response_url: 'where the outcome is posted later',
    trigger_id: 'Slack interaction trigger',
    token: 'Mattermost verification token (Slack requests are signed instead)',
  },
  'slash command form body; further fields the platform sends are ignored',
);

const slashCommandReplyDocs = documentedObject(
  'slashCommandReply',
  slashCommandReply,
  {
    response_type: 'who sees the reply',
    text: 'the reply, in Slack/Mattermost markdown',
  },
  'immediate answer to a slash command',
);

/** The runtime schemas the document shows, as documented copies: the same rules, with what the document says of them. */
export const documentedSchemas = {
  exportRequest: exportRequestDocs,
  importRequest: importRequestDocs,
  captureRequest: captureRequestDocs,
  exportTarget: exportTargetDocs,
  idempotencyKey: documented(idempotencyKey, 'repeat a request safely: the same key and body answer with the same request, never a second IMS job'),
  requestRecord: requestRecordDocs,
  webhookEventPayload: webhookEventPayloadDocs,
  listQuery: listQueryDocs,
  requestList: requestListDocs,
  healthStatus: healthStatusDocs,
  problemDetails: problemDetailsDocs,
  deliveryList: deliveryListDocs,
  slashCommandForm: slashCommandFormDocs,
  slashCommandReply: slashCommandReplyDocs,
};
