// What IMS answers, as the IMS client reads it: lenient (IMS adds fields), with what our code needs
// named. Kept apart from the bodies we send (schemas.ts), which the API checks requests against:
// the API never reads an IMS answer, so it never builds these.
import * as z from '../zod.js';

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
