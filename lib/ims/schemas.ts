// The bodies the IMS client sends, built from the field rules in fields.ts: strict, so a typo is
// refused before IMS sees it. The answers IMS gives are read with answers.ts.
import * as z from '../zod.js';
import {
  architecture,
  cmkId,
  enterpriseProjectId,
  exportFileFormat,
  firmwareType,
  imageDescription,
  imageName,
  imageTags,
  MIN_DISK,
  minDisk,
  objectExtension,
  obsUrl,
  osType,
  osVersion,
  quickImportFileProblem,
  quickImportType,
  ramMb,
  systemImageType,
  tags,
  uuid,
} from './fields.js';

type Issues = { addIssue: (issue: { code: 'custom'; message: string; path: PropertyKey[] }) => void };

/** IMS takes one of `tags` and `image_tags`, never both. */
function oneTagStyle(body: { tags?: unknown; image_tags?: unknown }, ctx: Issues): void {
  if (body.tags !== undefined && body.image_tags !== undefined)
    ctx.addIssue({ code: 'custom', message: 'use either tags or image_tags, not both', path: ['image_tags'] });
}

/** A quick import (of the body or of a data_images entry) of a file that is not RAW or ZVHD2 (IMG.0057). */
function quickImportable(imageUrl: string | undefined, ctx: Issues, path: PropertyKey[] = ['image_url']): void {
  const problem = imageUrl === undefined ? null : quickImportFileProblem(imageUrl);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, path });
}

/** min_ram above a non-zero max_ram is a memory size IMS refuses (IMG.0055). */
function ramInOrder(body: { min_ram?: number | undefined; max_ram?: number | undefined }, ctx: Issues): void {
  if (body.min_ram !== undefined && body.max_ram !== undefined && body.max_ram > 0 && body.min_ram > body.max_ram)
    ctx.addIssue({ code: 'custom', message: 'must not exceed max_ram', path: ['min_ram'] });
}

// --- export: POST /v1/cloudimages/{image_id}/file -------------------------------------------

export const exportBody = z.strictObject({
  bucket_url: obsUrl,
  file_format: z.optional(exportFileFormat),
  is_quick_export: z.optional(z.boolean()),
}).check(
  z.superRefine((body, ctx) => {
    if (body.is_quick_export === true && body.file_format !== undefined)
      ctx.addIssue({ code: 'custom', message: 'must not be given with is_quick_export (the file is ZVHD2)', path: ['file_format'] });
    if (body.is_quick_export !== true && body.file_format === undefined)
      ctx.addIssue({ code: 'custom', message: 'is required unless is_quick_export is true', path: ['file_format'] });
  }),
);
export type ExportBody = z.infer<typeof exportBody>;

// --- system disk import: POST /v2/cloudimages/action with image_url -------------------------

/** An extra data disk imported with a system disk (Table 2 of creating_an_image.rst). */
export const importedDataImage = z.strictObject({
  name: z.optional(imageName),
  description: z.optional(imageDescription),
  image_url: obsUrl,
  min_disk: minDisk({ min: 1, max: 2048 }),
  is_quick_import: z.optional(z.boolean()),
  tags: z.optional(tags),
  image_tags: z.optional(imageTags),
}).check(
  z.superRefine((entry, ctx) => {
    oneTagStyle(entry, ctx);
    if (entry.is_quick_import === true) quickImportable(entry.image_url, ctx);
  }),
);

/** creating_an_image.rst allows `Other` besides the data-disk page's Linux and Windows. */
export const systemOsType = z.enum(['Linux', 'Windows', 'Other']);

export const systemImportBody = z.strictObject({
  name: imageName,
  image_url: obsUrl,
  min_disk: minDisk(MIN_DISK.system),
  description: z.optional(imageDescription),
  os_type: z.optional(systemOsType),
  os_version: z.optional(osVersion),
  is_config: z.optional(z.boolean()),
  is_config_init: z.optional(z.boolean()),
  cmk_id: z.optional(cmkId),
  tags: z.optional(tags),
  image_tags: z.optional(imageTags),
  type: z.optional(systemImageType),
  enterprise_project_id: z.optional(enterpriseProjectId),
  max_ram: z.optional(ramMb),
  min_ram: z.optional(ramMb),
  data_images: z.optional(z.array(importedDataImage).check(z.maxLength(3, 'at most 3 data disks'))),
  is_quick_import: z.optional(z.boolean()),
  hw_firmware_type: z.optional(firmwareType),
}).check(
  z.superRefine((body, ctx) => {
    oneTagStyle(body, ctx);
    ramInOrder(body, ctx);
    if (body.os_version === undefined && body.type === 'IsoImage')
      ctx.addIssue({ code: 'custom', message: 'is required for an ISO image (type IsoImage)', path: ['os_version'] });
    // "If the uploaded file is in ISO format, this parameter is mandatory" (IMG.0166).
    else if (body.os_version === undefined && objectExtension(body.image_url) === 'iso')
      ctx.addIssue({ code: 'custom', message: 'is required to import an ISO file', path: ['os_version'] });
    else if (body.os_version === undefined && body.is_quick_import === true)
      ctx.addIssue({ code: 'custom', message: 'is required for a quick import (is_quick_import)', path: ['os_version'] });
    if (body.is_quick_import === true) quickImportable(body.image_url, ctx);
  }),
);
export type SystemImportBody = z.infer<typeof systemImportBody>;

// --- data disk import: POST /v1/cloudimages/dataimages/action -------------------------------

export const dataImportBody = z.strictObject({
  name: imageName,
  image_url: obsUrl,
  min_disk: minDisk(MIN_DISK.data),
  description: z.optional(imageDescription),
  os_type: z.optional(osType),
  cmk_id: z.optional(cmkId),
  tags: z.optional(tags),
  image_tags: z.optional(imageTags),
  enterprise_project_id: z.optional(enterpriseProjectId),
}).check(z.superRefine(oneTagStyle));
export type DataImportBody = z.infer<typeof dataImportBody>;

// --- quick import: POST /v2/cloudimages/quickimport/action ----------------------------------

export const quickImportBody = z.strictObject({
  name: imageName,
  image_url: obsUrl,
  min_disk: minDisk(MIN_DISK.quick),
  os_version: z.optional(osVersion),
  description: z.optional(imageDescription),
  tags: z.optional(tags),
  image_tags: z.optional(imageTags),
  type: z.optional(quickImportType),
  enterprise_project_id: z.optional(enterpriseProjectId),
  architecture: z.optional(architecture),
  hw_firmware_type: z.optional(firmwareType),
  /** Only for a data disk (type DataImage). */
  os_type: z.optional(osType),
}).check(
  z.superRefine((body, ctx) => {
    oneTagStyle(body, ctx);
    const dataDisk = body.type === 'DataImage';
    if (!dataDisk && body.os_version === undefined)
      ctx.addIssue({ code: 'custom', message: 'is required for a quick import of a system disk', path: ['os_version'] });
    if (!dataDisk && body.os_type !== undefined)
      ctx.addIssue({ code: 'custom', message: 'is only for a data disk (type DataImage); use os_version', path: ['os_type'] });
    if (body.architecture === 'arm' && body.hw_firmware_type === 'bios')
      ctx.addIssue({ code: 'custom', message: 'an Arm image boots only with uefi', path: ['hw_firmware_type'] });
    quickImportable(body.image_url, ctx);
  }),
);
export type QuickImportBody = z.infer<typeof quickImportBody>;

// --- capture from an ECS: POST /v2/cloudimages/action with instance_id ----------------------

export const capturedDataImage = z.strictObject({
  name: imageName,
  volume_id: uuid,
  description: z.optional(imageDescription),
  tags: z.optional(tags),
  /** Not in the page's table, but in its example of a data disk image with image_tags. */
  image_tags: z.optional(imageTags),
}).check(z.superRefine(oneTagStyle));

export const captureBody = z.strictObject({
  name: imageName,
  instance_id: uuid,
  description: z.optional(imageDescription),
  data_images: z.optional(z.array(capturedDataImage)),
  tags: z.optional(tags),
  image_tags: z.optional(imageTags),
  enterprise_project_id: z.optional(enterpriseProjectId),
  max_ram: z.optional(ramMb),
  min_ram: z.optional(ramMb),
}).check(
  z.superRefine((body, ctx) => {
    oneTagStyle(body, ctx);
    ramInOrder(body, ctx);
  }),
);
export type CaptureBody = z.infer<typeof captureBody>;
