// The bodies the IMS client sends and the answers it reads, built from the field rules in fields.ts.
// Bodies are strict (a typo is refused before IMS sees it); answers are lenient (IMS adds fields).
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

// --- answers ----------------------------------------------------------------------------------

export const jobIdResponse = z.looseObject({ job_id: z.string().check(z.minLength(1)) });

export const jobStatus = z.enum(['INIT', 'RUNNING', 'SUCCESS', 'FAIL']);
export type JobStatus = z.infer<typeof jobStatus>;

const subJob = z.looseObject({
  job_id: z.optional(z.string()),
  job_type: z.optional(z.string()),
  status: z.optional(z.string()),
  error_code: z.nullish(z.string()),
  fail_reason: z.nullish(z.string()),
  entities: z.nullish(z.looseObject({ image_id: z.optional(z.string()), image_name: z.optional(z.string()) })),
});

export const jobEntities = z.looseObject({
  image_id: z.optional(z.string()),
  image_name: z.optional(z.string()),
  /** Only the progress call answers it: a fraction (0.24) on the OTC page, or a percentage. */
  process_percent: z.optional(z.number()),
  current_task: z.optional(z.string()),
  sub_jobs_result: z.optional(z.array(subJob)),
  sub_jobs_list: z.optional(z.array(z.string())),
});

/** A job as IMS answers it; `progress` (0–100 or null) is ours, read from `process_percent`. */
export const imsJob = z.pipe(
  z.looseObject({
    job_id: z.string(),
    status: jobStatus,
    job_type: z.nullish(z.string()),
    begin_time: z.nullish(z.string()),
    end_time: z.nullish(z.string()),
    error_code: z.nullish(z.string()),
    fail_reason: z.nullish(z.string()),
    entities: z.nullish(jobEntities),
  }),
  z.transform((job) => ({ ...job, progress: progressOf(job.status, job.entities?.process_percent) })),
);
export type ImsJob = z.infer<typeof imsJob>;

/**
 * What a finished job says, wherever it says it: at the top level, or (for jobs made of sub-jobs,
 * such as imsImportOvaImageJob) only in `entities.sub_jobs_result`. The top level wins; a failure's
 * code and reason come from the failed sub-job. Values are kept verbatim.
 */
export function jobResult(job: ImsJob): { imageId: string | null; errorCode: string | null; failReason: string | null } {
  const subJobs = job.entities?.sub_jobs_result ?? [];
  const failed = subJobs.filter((sub) => sub.status === 'FAIL');
  return {
    imageId: job.entities?.image_id ?? subJobs.map((sub) => sub.entities?.image_id).find((id) => typeof id === 'string') ?? null,
    errorCode: job.error_code ?? failed.map((sub) => sub.error_code).find((code) => typeof code === 'string') ?? null,
    failReason: job.fail_reason ?? failed.map((sub) => sub.fail_reason).find((reason) => typeof reason === 'string') ?? null,
  };
}

function progressOf(status: JobStatus, percent: number | undefined): number | null {
  if (status === 'SUCCESS') return 100;
  if (percent === undefined || !Number.isFinite(percent) || percent < 0) return null;
  // The OTC page shows a fraction (0.24), Huawei regions may send 0–100: a non-integer below 1 is a fraction.
  const value = percent < 1 && !Number.isInteger(percent) ? percent * 100 : percent;
  return Math.min(100, Math.round(value));
}

export const imsImage = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.optional(z.string()),
  min_disk: z.optional(z.number()),
  disk_format: z.optional(z.string()),
  visibility: z.optional(z.string()),
  owner: z.optional(z.string()),
  created_at: z.optional(z.string()),
  __imagetype: z.optional(z.string()),
  __os_version: z.optional(z.string()),
  __image_size: z.optional(z.union([z.string(), z.number()])),
  /** `file,bucket:object` or `instance,<id>`: tells an image of ours from a namesake. */
  __data_origin: z.nullish(z.string()),
  __backup_id: z.nullish(z.string()),
  /** The attributes pre-flight reads (querying_images.rst); booleans may come as strings. */
  __whole_image: z.nullish(z.union([z.boolean(), z.string()])),
  virtual_env_type: z.nullish(z.string()),
  __platform: z.nullish(z.string()),
  /** The parent image's id; empty for public images and images imported from a file. */
  __originalimagename: z.nullish(z.string()),
  __root_origin: z.nullish(z.string()),
});
export type ImsImage = z.infer<typeof imsImage>;

export const imageList = z.looseObject({ images: z.array(imsImage) });

/** Filters of GET /v2/cloudimages that findImages passes on (querying_images.rst). */
export const imageFilter = z.strictObject({
  name: z.optional(z.string().check(z.minLength(1))),
  id: z.optional(z.string().check(z.minLength(1))),
  status: z.optional(z.enum(['queued', 'saving', 'deleted', 'killed', 'active'])),
  __imagetype: z.optional(z.enum(['gold', 'private', 'shared'])),
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  marker: z.optional(z.string().check(z.minLength(1))),
});
export type ImageFilter = z.infer<typeof imageFilter>;
