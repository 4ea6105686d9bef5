// The simulator's own field rules, read from the IMS and OBS docs a second time and on purpose apart from
// the client's (lib/ims): when one reading is wrong, the tests that run one against the other fail.
import { isIP } from 'node:net';
import { OS_VERSIONS_BY_TYPE } from './os-versions.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An IMS image, ECS or enterprise-project id: a UUID in its 8-4-4-4-12 hex form. */
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

/** Every `__os_version` value IMS takes (values_of_related_parameters.rst, Table 1). */
export const OS_VERSION_SET: ReadonlySet<string> = new Set(Object.values(OS_VERSIONS_BY_TYPE).flat());

/** The table's OS type (its left column) of a known `os_version`: `Windows`, `CentOS`, `RedHat`, ... */
export function osFamilyOf(osVersion: string): string | undefined {
  return Object.entries(OS_VERSIONS_BY_TYPE).find(([, versions]) => versions.includes(osVersion))?.[0];
}

/**
 * OBS bucket naming rules: 3–63 characters of lower-case letters, digits, `-` and `.`; starts and ends
 * with a letter or digit; no `..`, no `.-` or `-.`; not shaped like an IP address.
 */
export function isBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return false;
  return !looksLikeIp(name);
}

/** `192.168.5.4` and the like; OBS refuses such bucket names. */
export function looksLikeIp(name: string): boolean {
  return isIP(name) !== 0 || /^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * A `tags` entry `key.value` (image_tag_format.rst): key 1–36 and value 0–43 characters, each only
 * digits, letters, `_` and `-` (the first `.` separates them).
 */
export function isDotTag(tag: unknown): boolean {
  if (typeof tag !== 'string') return false;
  const dot = tag.indexOf('.');
  if (dot < 0) return false;
  const key = tag.slice(0, dot);
  const value = tag.slice(dot + 1);
  return /^[A-Za-z0-9_-]{1,36}$/.test(key) && /^[A-Za-z0-9_-]{0,43}$/.test(value);
}

/** Image name (image_attributes.rst): 1–128 letters, digits, `-`, `.`, `_` or spaces, no space at either end. */
export function nameProblem(v: string): 'long' | 'format' | undefined {
  if (v.length > 128) return 'long';
  if (!/^[A-Za-z0-9._\- ]+$/.test(v) || v.startsWith(' ') || v.endsWith(' ')) return 'format';
  return undefined;
}

/** Image file formats by file name extension, as IMS names them (`disk_format` values and the import pages). */
const FORMAT_BY_EXTENSION: Record<string, string> = {
  raw: 'raw',
  zvhd2: 'zvhd2',
  zvhd: 'zvhd',
  qcow2: 'qcow2',
  vhd: 'vhd',
  vmdk: 'vmdk',
  iso: 'iso',
  qed: 'qed',
  vdi: 'vdi',
  vhdx: 'vhdx',
};

/** The image format a file name announces, or undefined when its extension names none. */
export function formatFromName(objectKey: string): string | undefined {
  const dot = objectKey.lastIndexOf('.');
  if (dot < 0 || objectKey.lastIndexOf('/') > dot) return undefined;
  return FORMAT_BY_EXTENSION[objectKey.slice(dot + 1).toLowerCase()];
}

/** Quick import takes only these (importing_an_image_file_quickly.rst: "only ZVHD2 and RAW image files"). */
export const QUICK_IMPORT_FORMATS: ReadonlySet<string> = new Set(['raw', 'zvhd2']);
