// Request validation of each simulated IMS call, rule by rule, each refusal with the IMG code IMS gives
// (ims-docs/*.rst). Pure: a body in, the accepted values or the refusing code out.
import { SIM_DEFAULTS } from './defaults.js';
import type { ImsCode } from './errors.js';
import { isBucketName, isDotTag, isUuid, OS_VERSION_SET } from './rules.js';

export type Body = Record<string, unknown>;
export type Checked<T> = { ok: true; value: T } | { ok: false; code: ImsCode };

const refuse = (code: ImsCode): { ok: false; code: ImsCode } => ({ ok: false, code });
const absent = (v: unknown) => v === undefined || v === null;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export interface ObsTarget {
  bucket: string;
  object: string;
  /** `bucket:object`, the key of the simulated OBS object set. */
  key: string;
}

/** Fields every created image takes from its request (image_attributes.rst names). */
export interface NewImage {
  name: string;
  attrs: Record<string, unknown>;
}

function checkName(v: unknown): ImsCode | undefined {
  if (absent(v) || v === '') return 'IMG.0013'; // "The image name is not specified."
  if (typeof v !== 'string') return 'IMG.0003';
  if (v.length > 128) return 'IMG.0002'; // "The image name contains more than 128 characters."
  // 1–128 letters, digits, "-", ".", "_", spaces; no leading or trailing space (image_attributes.rst).
  if (!/^[A-Za-z0-9._\- ]+$/.test(v) || v.startsWith(' ') || v.endsWith(' ')) return 'IMG.0003';
  return undefined;
}

function checkDescription(v: unknown): ImsCode | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'string') return 'IMG.0054';
  if (v.length > 1024) return 'IMG.0004'; // "The description contains more than 1024 characters."
  if (/[\r<>]/.test(v)) return 'IMG.0054'; // no carriage returns, no angle brackets
  return undefined;
}

/** `tags` (`key.value`) or `image_tags` (`{key, value}`), never both (image_tag_format.rst): IMG.0115. */
function checkTags(body: Body): ImsCode | undefined {
  const { tags, image_tags: imageTags } = body;
  if (!absent(tags) && !absent(imageTags)) return 'IMG.0115';
  if (!absent(tags)) {
    if (!Array.isArray(tags)) return 'IMG.0115';
    if (tags.length > 50) return 'IMG.0116'; // "The number of image tags exceeds the quota."
    if (!tags.every(isDotTag)) return 'IMG.0115';
  }
  if (!absent(imageTags)) {
    if (!Array.isArray(imageTags)) return 'IMG.0115';
    if (imageTags.length > 50) return 'IMG.0116';
    for (const t of imageTags) {
      if (typeof t !== 'object' || t === null) return 'IMG.0115';
      const { key, value } = t as Body;
      if (typeof key !== 'string' || key.trim().length < 1 || key.trim().length > 36) return 'IMG.0115';
      if (!absent(value) && (typeof value !== 'string' || value.trim().length > 43)) return 'IMG.0115';
    }
  }
  return undefined;
}

/** Tags as the image query shows them (`key=value`, image_tag_format.rst's upgraded form). */
function imageTagsOf(body: Body): string[] {
  if (Array.isArray(body.tags))
    return (body.tags as string[]).map((t) => {
      const dot = t.indexOf('.');
      return dot < 0 ? t : `${t.slice(0, dot)}=${t.slice(dot + 1)}`;
    });
  if (Array.isArray(body.image_tags))
    return (body.image_tags as Body[]).map((t) => `${String(t.key).trim()}=${String(t.value ?? '').trim()}`);
  return [];
}

/** `bucket:object` (image_url, bucket_url); exports have their own codes for an empty or long file name. */
function checkObsUrl(v: unknown, forExport: boolean): Checked<ObsTarget> {
  if (absent(v) || v === '') return refuse(forExport ? 'IMG.0068' : 'IMG.0017');
  if (typeof v !== 'string') return refuse('IMG.0017');
  const colon = v.indexOf(':');
  if (colon < 0) return refuse('IMG.0017'); // "The URL format is incorrect."
  const bucket = v.slice(0, colon);
  const object = v.slice(colon + 1);
  if (bucket === '') return refuse('IMG.0068'); // "The specified bucket name is empty."
  if (!isBucketName(bucket)) return refuse('IMG.0109'); // OBS bucket naming rules, IP-shaped names included
  if (object === '') return refuse(forExport ? 'IMG.0073' : 'IMG.0017'); // "The name of the exported file is empty."
  if (object.length > 1024) return refuse(forExport ? 'IMG.0074' : 'IMG.0017'); // "The file name length exceeds the limit."
  if (object.includes(' ')) return refuse('IMG.0175'); // "...image file name cannot contain spaces."
  return { ok: true, value: { bucket, object, key: v } };
}

function checkMinDisk(v: unknown, min: number, max: number): ImsCode | undefined {
  // "The memory or disk size is invalid."
  return isInt(v) && v >= min && v <= max ? undefined : 'IMG.0055';
}

function checkRam(body: Body): ImsCode | undefined {
  for (const field of ['min_ram', 'max_ram'] as const) {
    const v = body[field];
    if (!absent(v) && !(isInt(v) && v >= 0 && v <= 1024 * 1024)) return 'IMG.0055';
  }
  const { min_ram: minRam, max_ram: maxRam } = body;
  if (isInt(minRam) && isInt(maxRam) && maxRam > 0 && minRam > maxRam) return 'IMG.0055';
  return undefined;
}

function checkOsVersion(v: unknown, required: boolean, missingCode: ImsCode): ImsCode | undefined {
  if (absent(v) || v === '') return required ? missingCode : undefined;
  return typeof v === 'string' && OS_VERSION_SET.has(v) ? undefined : 'IMG.0056'; // "Invalid OS version."
}

function checkEnum(v: unknown, values: readonly string[], code: ImsCode): ImsCode | undefined {
  return absent(v) || (typeof v === 'string' && values.includes(v)) ? undefined : code;
}

function checkBooleans(body: Body, fields: readonly string[]): ImsCode | undefined {
  // A non-boolean flag makes the message malformed: "The request message format is invalid."
  return fields.some((f) => !absent(body[f]) && typeof body[f] !== 'boolean') ? 'IMG.0001' : undefined;
}

function checkStrings(body: Body, fields: readonly string[]): ImsCode | undefined {
  return fields.some((f) => !absent(body[f]) && typeof body[f] !== 'string') ? 'IMG.0001' : undefined;
}

function checkEnterpriseProject(v: unknown): ImsCode | undefined {
  // "0" or an enterprise project UUID; anything else fails EPS's check.
  if (absent(v) || v === '' || v === '0') return undefined;
  return isUuid(v) ? undefined : 'IMG.0155';
}

const SYSTEM_TYPES = ['ECS', 'BMS', 'FusionCompute', 'IsoImage', 'Ironic'] as const;
const VIRTUAL_ENV: Record<string, string> = {
  ECS: 'FusionCompute',
  FusionCompute: 'FusionCompute',
  BMS: 'Ironic',
  Ironic: 'Ironic',
  IsoImage: 'IsoImage',
  DataImage: 'DataImage',
};
const osTypeOf = (osVersion: unknown, fallback: unknown) =>
  typeof osVersion === 'string' && osVersion.startsWith('Windows') ? 'Windows' : typeof fallback === 'string' ? fallback : 'Linux';

function commonImageAttrs(body: Body, virtualEnv: string): Record<string, unknown> {
  const attrs: Record<string, unknown> = {
    __description: typeof body.description === 'string' ? body.description : '',
    tags: imageTagsOf(body),
    virtual_env_type: virtualEnv,
    enterprise_project_id: typeof body.enterprise_project_id === 'string' && body.enterprise_project_id !== '' ? body.enterprise_project_id : '0',
  };
  if (isInt(body.min_ram)) attrs.min_ram = body.min_ram;
  if (isInt(body.max_ram)) attrs.max_ram = String(body.max_ram);
  if (typeof body.hw_firmware_type === 'string') attrs.hw_firmware_type = body.hw_firmware_type;
  if (typeof body.cmk_id === 'string') attrs.__system__cmkid = body.cmk_id;
  return attrs;
}

/** Attributes of an image made from an OBS file; `__data_origin` is how a namesake is told apart. */
function fileImageAttrs(body: Body, virtualEnv: string, source: ObsTarget): Record<string, unknown> {
  const osVersion = typeof body.os_version === 'string' ? body.os_version : '';
  return {
    ...commonImageAttrs(body, virtualEnv),
    min_disk: body.min_disk,
    __os_version: osVersion,
    __os_type: osTypeOf(osVersion, body.os_type),
    __data_origin: `file,${source.key}`,
    __root_origin: 'file',
  };
}

export interface ExportRequest {
  target: ObsTarget;
  fileFormat?: string;
  quick: boolean;
}

/** `POST /v1/cloudimages/{image_id}/file` body (exporting_an_image.rst). */
export function validateExport(body: Body): Checked<ExportRequest> {
  const flags = checkBooleans(body, ['is_quick_export']);
  if (flags) return refuse(flags);
  const quick = body.is_quick_export === true;
  const target = checkObsUrl(body.bucket_url, true);
  if (!target.ok) return target;
  if (quick) {
    // "If fast export is enabled, file_format cannot be specified."
    if (!absent(body.file_format)) return refuse('IMG.0001');
    return { ok: true, value: { target: target.value, quick } };
  }
  if (absent(body.file_format)) return refuse('IMG.0001'); // required without fast export
  // "The value can be qcow2, vhd, zvhd, or vmdk." Otherwise: "The specified image format is not supported."
  const formatCode = checkEnum(body.file_format, ['qcow2', 'vhd', 'zvhd', 'vmdk'], 'IMG.0072');
  if (formatCode) return refuse(formatCode);
  return { ok: true, value: { target: target.value, fileFormat: body.file_format as string, quick } };
}

export interface ImportRequest extends NewImage {
  source: ObsTarget;
  /** The job type that runs it, and the sub-job type of a quick import. */
  jobType: 'imsImportImageJob' | 'imsImportDataImageJob';
  subJobType?: string;
  /** Quick import (its own call, or `is_quick_import`): only RAW and ZVHD2 files. */
  quick: boolean;
}

function checkDataImages(v: unknown): ImsCode | undefined {
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) return 'IMG.0001';
  // "An external image file can contain a maximum of three data disks."
  if (v.length > 3) return 'IMG.0194';
  for (const entry of v) {
    if (typeof entry !== 'object' || entry === null) return 'IMG.0001';
    const d = entry as Body;
    const source = checkObsUrl(d.image_url, false);
    if (!source.ok) return source.code;
    const code =
      (absent(d.name) ? undefined : checkName(d.name)) ??
      checkDescription(d.description) ??
      checkMinDisk(d.min_disk, 1, 2048) ?? // data_images entries: 1–2048 GB (creating_an_image.rst, Table 2)
      checkTags(d) ??
      checkBooleans(d, ['is_quick_import']);
    if (code) return code;
  }
  return undefined;
}

/** `POST /v2/cloudimages/action` with `image_url`: system disk image from a file (creating_an_image.rst). */
export function validateSystemImport(body: Body): Checked<ImportRequest> {
  const source = checkObsUrl(body.image_url, false);
  const type = absent(body.type) ? 'ECS' : body.type;
  const quick = body.is_quick_import === true;
  const code =
    checkName(body.name) ??
    checkDescription(body.description) ??
    (source.ok ? undefined : source.code) ??
    checkMinDisk(body.min_disk, 1, 1024) ?? // "The value ranges from 1 GB to 1,024 GB."
    checkEnum(body.os_type, ['Linux', 'Windows', 'Other'], 'IMG.0122') ??
    checkEnum(body.type, SYSTEM_TYPES, 'IMG.0024') ??
    // Mandatory for ISO files ("OS information must be contained in the ISO files") and for quick import.
    checkOsVersion(body.os_version, type === 'IsoImage' || quick, type === 'IsoImage' ? 'IMG.0166' : 'IMG.0056') ??
    checkTags(body) ??
    checkRam(body) ??
    checkEnum(body.hw_firmware_type, ['bios', 'uefi'], 'IMG.0141') ??
    checkBooleans(body, ['is_config', 'is_config_init', 'is_quick_import']) ??
    checkStrings(body, ['cmk_id', 'os_version']) ??
    checkEnterpriseProject(body.enterprise_project_id) ??
    checkDataImages(body.data_images);
  if (code) return refuse(code);
  if (!source.ok) return source;
  // "The image file address in the request is duplicate."
  const urls = [source.value.key, ...(Array.isArray(body.data_images) ? (body.data_images as Body[]).map((d) => d.image_url) : [])];
  if (new Set(urls).size !== urls.length) return refuse('IMG.0123');
  const attrs: Record<string, unknown> = {
    ...fileImageAttrs(body, VIRTUAL_ENV[type as string] ?? 'FusionCompute', source.value),
    __is_config_init: body.is_config === true ? 'true' : 'false',
    disk_format: type === 'IsoImage' ? 'iso' : 'zvhd2',
  };
  return {
    ok: true,
    value: {
      name: body.name as string,
      attrs,
      source: source.value,
      jobType: 'imsImportImageJob',
      ...(quick ? { subJobType: 'imsImportBigFileImageJob' } : {}),
      quick,
    },
  };
}

/** `POST /v1/cloudimages/dataimages/action` (creating_a_data_disk_image_from_an_external_image_file.rst). */
export function validateDataImport(body: Body): Checked<ImportRequest> {
  const source = checkObsUrl(body.image_url, false);
  const code =
    checkName(body.name) ??
    checkDescription(body.description) ??
    (source.ok ? undefined : source.code) ??
    checkMinDisk(body.min_disk, 40, 2048) ?? // "Value range: 40 GB to 2048 GB"
    checkEnum(body.os_type, ['Linux', 'Windows'], 'IMG.0122') ??
    checkTags(body) ??
    checkStrings(body, ['cmk_id']) ??
    checkEnterpriseProject(body.enterprise_project_id);
  if (code) return refuse(code);
  if (!source.ok) return source;
  const attrs = { ...fileImageAttrs(body, 'DataImage', source.value), __platform: 'Other' };
  return { ok: true, value: { name: body.name as string, attrs, source: source.value, jobType: 'imsImportDataImageJob', quick: false } };
}

/** `POST /v2/cloudimages/quickimport/action` (importing_an_image_file_quickly.rst). */
export function validateQuickImport(body: Body): Checked<ImportRequest> {
  const source = checkObsUrl(body.image_url, false);
  const type = absent(body.type) ? 'ECS' : body.type;
  const isData = type === 'DataImage';
  const code =
    checkName(body.name) ??
    checkDescription(body.description) ??
    checkEnum(body.type, ['ECS', 'BMS', 'DataImage'], 'IMG.0024') ??
    checkOsVersion(body.os_version, !isData, 'IMG.0056') ?? // mandatory for system disk images only
    (source.ok ? undefined : source.code) ??
    checkMinDisk(body.min_disk, 1, 1024) ?? // "The value ranges from 1 to 1024"
    checkEnum(body.os_type, ['Linux', 'Windows'], 'IMG.0122') ??
    checkEnum(body.architecture, ['x86', 'arm'], 'IMG.0212') ??
    checkEnum(body.hw_firmware_type, ['bios', 'uefi'], 'IMG.0141') ??
    checkTags(body) ??
    checkEnterpriseProject(body.enterprise_project_id);
  if (code) return refuse(code);
  if (!source.ok) return source;
  const attrs: Record<string, unknown> = {
    ...fileImageAttrs(body, VIRTUAL_ENV[type as string] ?? 'FusionCompute', source.value),
    __lazyloading: 'true',
  };
  if (body.architecture === 'arm') attrs.hw_firmware_type = 'uefi'; // "If the image architecture is Arm, the boot mode is automatically changed to UEFI."
  return {
    ok: true,
    value: {
      name: body.name as string,
      attrs,
      source: source.value,
      jobType: isData ? 'imsImportDataImageJob' : 'imsImportImageJob',
      subJobType: 'imsImportBigFileImageJob',
      quick: true,
    },
  };
}

export interface CaptureRequest extends NewImage {
  instanceId: string;
}

/** `POST /v2/cloudimages/action` with `instance_id`: system disk image from an ECS (creating_an_image.rst). */
export function validateCapture(body: Body): Checked<CaptureRequest> {
  const code =
    checkName(body.name) ??
    checkDescription(body.description) ??
    checkTags(body) ??
    checkRam(body) ??
    checkEnterpriseProject(body.enterprise_project_id) ??
    checkCaptureDataImages(body.data_images);
  if (code) return refuse(code);
  const instanceId = body.instance_id;
  if (absent(instanceId) || instanceId === '') return refuse('IMG.0012'); // "The ECS ID is not specified."
  if (!isUuid(instanceId)) return refuse('IMG.0005'); // no ECS has such an id
  const ecs = ecsState(instanceId as string);
  if (ecs) return refuse(ecs);
  const attrs: Record<string, unknown> = {
    ...commonImageAttrs(body, 'FusionCompute'),
    min_disk: 40,
    __data_origin: `instance,${instanceId as string}`,
  };
  return { ok: true, value: { name: body.name as string, attrs, instanceId: instanceId as string } };
}

function checkCaptureDataImages(v: unknown): ImsCode | undefined {
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) return 'IMG.0001';
  for (const entry of v) {
    if (typeof entry !== 'object' || entry === null) return 'IMG.0001';
    const d = entry as Body;
    const code = checkName(d.name) ?? checkDescription(d.description) ?? checkTags(d);
    if (code) return code;
    if (!isUuid(d.volume_id)) return 'IMG.0120'; // "The specified data disk ID is unavailable."
  }
  return undefined;
}

/** Why the simulated ECS cannot be captured now, if it cannot (SIM_DEFAULTS.instances). */
function ecsState(instanceId: string): ImsCode | undefined {
  const id = instanceId.toLowerCase();
  if (id === SIM_DEFAULTS.instances.missing) return 'IMG.0005';
  if (id === SIM_DEFAULTS.instances.running) return 'IMG.0008';
  if (id === SIM_DEFAULTS.instances.busy) return 'IMG.0010';
  return undefined;
}
