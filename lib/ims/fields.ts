// Field rules of IMS (ims-api.md, image_attributes.rst, image_tag_format.rst), written once.
// The IMS client's body schemas and the intake request schemas are both built from these.
import * as z from '../zod.js';
import { OS_VERSIONS } from './os-versions.js';

export { OS_VERSIONS };

/** A region name as it may go into a host name (it is spliced into a URL). */
export const REGION_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const regionName = z.string().check(z.regex(REGION_NAME, 'must be a region name such as eu-de'));

export const uuid = z.string().check(z.regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a UUID'));

/** Image name: 1–128 characters of letters, digits, `-`, `.`, `_` and space; no leading or trailing space. */
export const imageName = z.string().check(
  z.minLength(1, 'must have 1 to 128 characters'),
  z.maxLength(128, 'must have 1 to 128 characters'),
  z.regex(/^[A-Za-z0-9._\- ]+$/, 'may contain only letters, digits, "-", ".", "_" and spaces'),
  z.refine((s) => !s.startsWith(' ') && !s.endsWith(' '), 'must not start or end with a space'),
);

/** Description: at most 1024 characters, no carriage return, no angle brackets. */
export const imageDescription = z.string().check(
  z.maxLength(1024, 'must have at most 1024 characters'),
  z.regex(/^[^\r<>]*$/, 'must not contain carriage returns or angle brackets'),
);

const TAG_PART = /^[A-Za-z0-9_-]*$/;

/** `tags` entry: `key.value`; key 1–36, value 0–43 characters; digits, letters, `_`, `-`. */
export const tag = z.string().check(
  z.superRefine((s, ctx) => {
    const dot = s.indexOf('.');
    const key = dot < 0 ? s : s.slice(0, dot);
    const value = dot < 0 ? '' : s.slice(dot + 1);
    if (dot < 0) ctx.addIssue({ code: 'custom', message: 'must have the form "key.value"' });
    else if (key.length < 1 || key.length > 36) ctx.addIssue({ code: 'custom', message: 'tag key must have 1 to 36 characters' });
    else if (value.length > 43) ctx.addIssue({ code: 'custom', message: 'tag value must have at most 43 characters' });
    else if (!TAG_PART.test(key) || !TAG_PART.test(value))
      ctx.addIssue({ code: 'custom', message: 'tag may contain only letters, digits, "_" and "-"' });
  }),
);
export const tags = z.array(tag).check(z.maxLength(50, 'at most 50 tags'));

/** `image_tags` entry: `{ key, value }`, key 1–36, value 0–43 characters (IMS trims outer spaces). */
export const imageTag = z.strictObject({
  key: z.string().check(z.trim(), z.minLength(1, 'tag key must have 1 to 36 characters'), z.maxLength(36, 'tag key must have 1 to 36 characters')),
  value: z.string().check(z.trim(), z.maxLength(43, 'tag value must have at most 43 characters')),
});
export const imageTags = z.array(imageTag).check(z.maxLength(50, 'at most 50 tags'));

/** OBS bucket name: 3–63 characters of lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit. */
export const OBS_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `bucket:object` as IMS takes it for `bucket_url` and `image_url`; the object may contain `/`. */
export const obsUrl = z.string().check(
  z.maxLength(1024 + 64, 'is too long'),
  z.superRefine((s, ctx) => {
    const colon = s.indexOf(':');
    if (colon < 0) {
      ctx.addIssue({ code: 'custom', message: 'must have the form "bucket:object"' });
      return;
    }
    const bucket = s.slice(0, colon);
    const object = s.slice(colon + 1);
    if (!OBS_BUCKET.test(bucket) || bucket.includes('..'))
      ctx.addIssue({ code: 'custom', message: 'bucket must have 3 to 63 lower-case letters, digits, "-" or "."' });
    else if (object.length < 1 || object.length > 1024 || object.startsWith('/'))
      ctx.addIssue({ code: 'custom', message: 'object name must have 1 to 1024 characters and not start with "/"' });
    // IMS refuses folder and file names with spaces (IMG.0175).
    else if (object.includes(' ')) ctx.addIssue({ code: 'custom', message: 'folder and file names must not contain spaces' });
  }),
);

export const exportFileFormat = z.enum(['qcow2', 'vhd', 'zvhd', 'vmdk']);
export const osVersion = z.enum(OS_VERSIONS);
export const osType = z.enum(['Linux', 'Windows']);
export const systemImageType = z.enum(['ECS', 'BMS', 'FusionCompute', 'IsoImage', 'Ironic']);
export const quickImportType = z.enum(['ECS', 'BMS', 'DataImage']);
export const firmwareType = z.enum(['bios', 'uefi']);
export const architecture = z.enum(['x86', 'arm']);

/** min_disk ranges in GB, per call (see the conflicts section of ims-api.md for the data disk). */
export const MIN_DISK = {
  system: { min: 1, max: 1024 },
  quick: { min: 1, max: 1024 },
  data: { min: 40, max: 2048 },
} as const;

export const minDisk = (range: { min: number; max: number }) =>
  z.number().check(
    z.int('must be a whole number of GB'),
    z.gte(range.min, `must be between ${range.min} and ${range.max} GB`),
    z.lte(range.max, `must be between ${range.min} and ${range.max} GB`),
  );

/** Memory in MB (min_ram, max_ram); 0 means unrestricted. */
export const ramMb = z.number().check(z.int('must be a whole number of MB'), z.gte(0), z.lte(1024 * 1024));

/** Enterprise project: "0" (the default one) or the project's UUID. */
export const enterpriseProjectId = z.union([z.literal('0'), uuid], { error: 'must be "0" (the default enterprise project) or a UUID' });
export const cmkId = z.string().check(z.minLength(1), z.maxLength(255));

/** The lower-case extension of the object name in `bucket:object` (after its last "/"), or null. */
export function objectExtension(obsUrl: string): string | null {
  const object = obsUrl.slice(obsUrl.indexOf(':') + 1);
  const file = object.slice(object.lastIndexOf('/') + 1);
  const dot = file.lastIndexOf('.');
  return dot <= 0 || dot === file.length - 1 ? null : file.slice(dot + 1).toLowerCase();
}

/**
 * Quick import takes only RAW and ZVHD2 files (importing_an_image_file_quickly.rst). Judged by the
 * object name: an extension naming another image format, or an archive, is refused; a name without
 * an extension, or with one not listed here (`.img`), is left to IMS, since the file is never read.
 */
export const NOT_QUICK_IMPORTABLE_EXTENSIONS: readonly string[] = [
  'qcow2', 'qcow', 'vhd', 'vhdx', 'vmdk', 'vdi', 'zvhd', 'iso', 'ova', 'ovf', 'qed',
  'zip', 'gz', 'tgz', 'tar', 'bz2', 'xz', '7z',
];

/** Why quick import will refuse the file at `obsUrl`, or null when its name does not say. */
export function quickImportFileProblem(obsUrl: string): string | null {
  const ext = objectExtension(obsUrl);
  if (ext === null || !NOT_QUICK_IMPORTABLE_EXTENSIONS.includes(ext)) return null;
  return `quick import takes only RAW or ZVHD2 files, and a .${ext} file is neither; import it without quick import, or convert it first`;
}
