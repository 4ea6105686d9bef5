// What the OpenAPI document and the CLI's --help say about the request bodies callers send: documented
// copies of the schemas in lib/requests/schemas.ts. Apart from openapi-docs.ts so that the CLI, which needs
// only these, imports no other schema module (the delivery log's brings the DynamoDB client along).
// Build time only: no function bundles it.
//
// Each table names every field of its schema (FieldDocs is keyed by the schema's shape): a field added to
// or renamed in a request schema fails typecheck here until it is described (or marked null, shown bare).
import { captureRequest, exportRequest, exportTarget, fieldError, idempotencyKey, importRequest } from '../requests/schemas.js';
import { documented, documentedObject, inside, type FieldDocs } from './openapi-documented.js';

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

/** The request schemas the document shows, as documented copies: the same rules, with what the document says of them. */
export const documentedRequestSchemas = {
  exportRequest: exportRequestDocs,
  importRequest: importRequestDocs,
  captureRequest: captureRequestDocs,
  exportTarget: exportTargetDocs,
  fieldError: fieldErrorDocs,
  idempotencyKey: documented(idempotencyKey, 'repeat a request safely: the same key and body answer with the same request, never a second IMS job'),
};
