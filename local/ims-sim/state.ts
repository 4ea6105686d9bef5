// What the simulated IMS remembers (images, jobs, exported OBS objects) and the pure views of it at a
// given instant: job and image status are computed from elapsed time, never advanced by timers.
import { randomBytes, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { SIM_DEFAULTS } from './defaults.js';
import type { ImsCode } from './errors.js';

export const jobType = z.enum([
  'imsNativeExportImageJob',
  'imsImportImageJob',
  'imsImportDataImageJob',
  'imsCreateImageByInstance',
]);
export type JobType = z.infer<typeof jobType>;

export const simJob = z.object({
  id: z.string(),
  type: jobType,
  projectId: z.string(),
  createdMs: z.number(),
  imageId: z.string(),
  /** Set for imports and captures: the image the job makes, shown in `entities.image_name`. */
  imageName: z.string().optional(),
  /** Set for exports: the `bucket:object` the job writes. */
  objectKey: z.string().optional(),
  /** Set for exports: the file format written (`zvhd2` for a quick export). */
  exportFormat: z.string().optional(),
  /** Quick imports run as a sub-job of this type (querying_the_status_of_an_asynchronous_job.rst, Table 4). */
  subJobType: z.string().optional(),
  failure: z.object({ code: z.string(), reason: z.string() }).optional(),
});
export type SimJob = z.infer<typeof simJob>;

export const simImage = z.object({
  /** IMS attributes as querying_images.rst lists them; status is computed when the image belongs to a job. */
  attrs: z.record(z.string(), z.unknown()),
  jobId: z.string().optional(),
});
export type SimImage = z.infer<typeof simImage>;

export type JobStatus = 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL';

/** Job status at `nowMs`: INIT for the first tenth of its run, then RUNNING, then SUCCESS or FAIL. */
export function jobProgress(job: SimJob, nowMs: number, jobMs: number): { status: JobStatus; percent: number; endMs?: number } {
  const elapsed = nowMs - job.createdMs;
  if (elapsed >= jobMs) return { status: job.failure ? 'FAIL' : 'SUCCESS', percent: job.failure ? 0 : 100, endMs: job.createdMs + jobMs };
  if (elapsed < jobMs / 10) return { status: 'INIT', percent: 0 };
  return { status: 'RUNNING', percent: Math.min(99, Math.max(1, Math.floor((elapsed / jobMs) * 100))) };
}

/** ISO time with milliseconds, as job records carry it ("2024-11-06T06:19:43.195Z"). */
export const isoMs = (ms: number) => new Date(ms).toISOString();
/** ISO time without milliseconds, as image records carry it ("2018-09-06T14:03:27Z"). */
export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const newJobId = () => randomBytes(16).toString('hex');
export const newImageId = () => randomUUID();

/** The job record as `GET /v1/{project_id}/jobs/{job_id}` answers it; `withProgress` adds Huawei's progress fields. */
export function jobBody(job: SimJob, nowMs: number, jobMs: number, withProgress: boolean): Record<string, unknown> {
  const p = jobProgress(job, nowMs, jobMs);
  const failed = p.status === 'FAIL';
  const entities: Record<string, unknown> = { image_id: job.imageId };
  if (job.imageName !== undefined) entities.image_name = job.imageName;
  if (withProgress) {
    entities.process_percent = p.percent;
    entities.current_task = p.status === 'INIT' ? 'init' : p.status === 'RUNNING' ? job.subJobType ?? job.type : 'finish';
  }
  if (job.subJobType !== undefined) {
    const subId = `${job.id.slice(0, 24)}${'0'.repeat(8)}`;
    entities.sub_jobs_list = [subId];
    entities.sub_jobs_result = [
      {
        job_id: subId,
        job_type: job.subJobType,
        status: p.status,
        begin_time: isoMs(job.createdMs),
        end_time: p.endMs === undefined ? null : isoMs(p.endMs),
        error_code: failed ? job.failure?.code ?? null : null,
        fail_reason: failed ? job.failure?.reason ?? null : null,
        entities: { image_id: job.imageId, image_name: job.imageName ?? null },
      },
    ];
  }
  return {
    job_id: job.id,
    job_type: job.type,
    begin_time: isoMs(job.createdMs),
    end_time: p.endMs === undefined ? null : isoMs(p.endMs),
    status: p.status,
    error_code: failed ? job.failure?.code ?? null : null,
    fail_reason: failed ? job.failure?.reason ?? null : null,
    entities,
  };
}

const IMAGE_STATUS: Record<JobStatus, string> = { INIT: 'queued', RUNNING: 'saving', SUCCESS: 'active', FAIL: 'killed' };

/** The image as IMS shows it at `nowMs`: an image made by a job is queued, saving, then active or killed. */
export function imageView(image: SimImage, job: SimJob | undefined, nowMs: number, jobMs: number): Record<string, unknown> {
  if (!job) return { ...image.attrs };
  const p = jobProgress(job, nowMs, jobMs);
  const status = IMAGE_STATUS[p.status];
  const view: Record<string, unknown> = { ...image.attrs, status };
  if (p.endMs !== undefined) view.updated_at = isoSeconds(p.endMs);
  if (status === 'active') {
    view.active_at = isoSeconds(p.endMs ?? nowMs);
    view.__image_size = String(Number(image.attrs.min_disk ?? 0) * 1024 ** 3);
  }
  return view;
}

const GB = 1;
const TB = 1024 * GB;
const CHARGED_PLATFORMS = ['Windows', 'SUSE', 'Red Hat', 'Oracle Linux'];

/**
 * Why IMS refuses to export this image, if it does (exporting_an_image.rst, error_codes.rst).
 * Checked in this order; `status` is the image's status at the time of the call.
 */
export function exportRefusal(image: Record<string, unknown>, isQuickExport: boolean): ImsCode | undefined {
  const str = (k: string) => (image[k] === undefined || image[k] === null ? '' : String(image[k]));
  // Public images themselves: "The public image cannot be exported."
  if (str('__imagetype') === 'gold' || str('visibility') === 'public') return 'IMG.0077';
  // Full-ECS images: "The full-ECS image cannot be exported."
  if (str('__whole_image') === 'true') return 'IMG.0128';
  // ISO images are made from an ISO file: "cannot be exported because it is created from an image file."
  if (str('virtual_env_type') === 'IsoImage') return 'IMG.0081';
  // Images made from a CSBS/CBR backup.
  if (str('__backup_id') !== '') return 'IMG.0080';
  // Made from a charged public image (Windows, SUSE, Red Hat, Oracle Linux) or a marketplace image.
  if (str('__originalimagename') !== '' && (CHARGED_PLATFORMS.includes(str('__platform')) || str('__productcode') !== ''))
    return 'IMG.0079';
  // Made from another non-exportable public image (Ubuntu): only the generic refusal fits.
  if (str('__originalimagename') !== '' && str('__platform') === 'Ubuntu') return 'IMG.0071';
  // Only active images can be exported: "The image is unavailable."
  if (str('status') !== 'active') return 'IMG.0046';
  const sizeGb = Number(image.min_disk ?? 0);
  // "The image size must be less than 1 TB": no code names it, so the generic refusal.
  if (sizeGb >= TB) return 'IMG.0071';
  // "Images larger than 128 GB support only fast export."
  if (sizeGb > 128 * GB && !isQuickExport) return 'IMG.0160';
  return undefined;
}

/** `__platform` as IMS derives it from `__os_version` (values_of_related_parameters.rst). */
export function platformOf(osVersion: string | undefined): string {
  if (!osVersion) return 'Other';
  const prefixes: [string, string][] = [
    ['Windows', 'Windows'],
    ['SUSE', 'SUSE'],
    ['Oracle', 'Oracle Linux'],
    ['Redhat', 'Red Hat'],
    ['Ubuntu', 'Ubuntu'],
    ['openSUSE', 'OpenSUSE'],
    ['CentOS', 'CentOS'],
    ['Debian', 'Debian'],
    ['Fedora', 'Fedora'],
    ['EulerOS', 'EulerOS'],
    ['CoreOS', 'CoreOS'],
  ];
  return prefixes.find(([prefix]) => osVersion.startsWith(prefix))?.[1] ?? 'Other';
}

/** The attributes every image carries, filled for a private image of `projectId`. */
export function baseImageAttrs(input: { id: string; name: string; projectId: string; nowMs: number }): Record<string, unknown> {
  const at = isoSeconds(input.nowMs);
  return {
    id: input.id,
    name: input.name,
    status: 'active',
    visibility: 'private',
    __imagetype: 'private',
    owner: input.projectId,
    protected: false,
    container_format: 'bare',
    disk_format: 'zvhd2',
    min_disk: 40,
    min_ram: 0,
    max_ram: '',
    size: 0,
    virtual_size: null,
    checksum: 'd41d8cd98f00b204e9800998ecf8427e',
    file: `/v2/images/${input.id}/file`,
    self: `/v2/images/${input.id}`,
    schema: '/v2/schemas/image',
    tags: [],
    __isregistered: 'true',
    __image_source_type: 'uds',
    __os_bit: '64',
    __os_type: 'Linux',
    __os_version: 'CentOS 7.6 64bit',
    __platform: 'CentOS',
    __description: '',
    __data_origin: '',
    __originalimagename: '',
    __backup_id: '',
    __whole_image: false,
    __image_size: String(40 * 1024 ** 3),
    virtual_env_type: 'FusionCompute',
    __support_kvm: 'true',
    hw_firmware_type: 'bios',
    enterprise_project_id: '0',
    created_at: at,
    updated_at: at,
    active_at: at,
  };
}

/** The images present at every start and reset (ids in SIM_DEFAULTS.images). */
export function seedImages(projectId: string, nowMs: number): SimImage[] {
  const ids = SIM_DEFAULTS.images;
  const base = (id: string, name: string, extra: Record<string, unknown>): SimImage => ({
    attrs: { ...baseImageAttrs({ id, name, projectId, nowMs }), ...extra },
  });
  const windows = { __os_version: 'Windows Server 2016 Standard 64bit', __os_type: 'Windows', __platform: 'Windows' };
  return [
    base(ids.exportable, 'sim-exportable-centos', { __data_origin: 'file,sim-seed-bucket:centos7.qcow2', __root_origin: 'file' }),
    base(ids.large, 'sim-large-200g', { min_disk: 200, __image_size: String(200 * 1024 ** 3), __data_origin: 'file,sim-seed-bucket:large.raw' }),
    base(ids.huge, 'sim-huge-1t-data', {
      min_disk: 1024,
      __image_size: String(1024 * 1024 ** 3),
      virtual_env_type: 'DataImage',
      __data_origin: 'file,sim-seed-bucket:huge.raw',
    }),
    base(ids.wholeImage, 'sim-whole-ecs', { __whole_image: true, __data_origin: `instance,${randomUUID()}` }),
    base(ids.iso, 'sim-iso', { virtual_env_type: 'IsoImage', disk_format: 'iso', __data_origin: 'file,sim-seed-bucket:centos7.iso' }),
    base(ids.fromPublicWindows, 'sim-from-public-windows', {
      ...windows,
      __originalimagename: ids.publicImage,
      __data_origin: `instance,${randomUUID()}`,
    }),
    base(ids.fromPublicUbuntu, 'sim-from-public-ubuntu', {
      __os_version: 'Ubuntu 18.04 server 64bit',
      __platform: 'Ubuntu',
      __originalimagename: randomUUID(),
      __data_origin: `instance,${randomUUID()}`,
    }),
    base(ids.fromBackup, 'sim-from-backup', { __backup_id: randomUUID(), __data_origin: `backup,${randomUUID()}` }),
    base(ids.publicImage, 'Standard_Windows_Server_2016_Standard', {
      ...windows,
      visibility: 'public',
      __imagetype: 'gold',
      protected: true,
      owner: 'bb9b2a4e8aa64c3a8e2e9d6e3d1c2b1a',
      __data_origin: '',
    }),
    base(ids.notActive, 'sim-not-active', { status: 'saving', active_at: null, __data_origin: 'file,sim-seed-bucket:slow.qcow2' }),
  ];
}
