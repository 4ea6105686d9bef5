// Pre-flight: what IMS documents it will refuse, decided before anything is submitted, from the
// image as IMS's image query shows it (exports). The quick-import file rule needs the request alone,
// so intake applies it (lib/ims/schemas.ts, a 422 naming image_url) and nothing reaches the worker.
//
// Decisions worth knowing:
// - Each rule is one documented refusal (the export page's constraints, the error table's codes).
//   A rule fires only on what the image's details show; when they are silent, IMS decides.
// - "Image size" is `__image_size` (bytes of the image file), not `min_disk` (the disk it needs):
//   IMS documents both the < 1 TB and the > 128 GB rule on the image size. GB here is 1024³ bytes.
// - A private image made from a Windows, SUSE, Red Hat, Ubuntu or Oracle Linux public image shows
//   the platform and a parent image (`__originalimagename`); a parent that is known to be a private
//   image imported from a file (a tenant's own licence) clears it, an unknown or gone parent does not
//   (public images are retired over time, so a missing parent proves nothing).
import type { ImsClient, ImsTarget } from '../ims/client.js';
import type { ImsImage } from '../ims/answers.js';

/** Why a request is refused before submission: IMS's documented code, our rule and a message. */
export interface PreflightRefusal {
  /** IMS's own code for this refusal (error_codes.rst). */
  code: string;
  /** Our name of the rule, stable for hints and tests. */
  rule: PreflightRule;
  message: string;
}

export type PreflightRule =
  | 'image-not-found'
  | 'image-public'
  | 'image-not-owned'
  | 'image-not-active'
  | 'image-full-ecs'
  | 'image-iso'
  | 'image-from-backup'
  | 'image-from-marketplace'
  | 'image-from-licensed-public-image'
  | 'image-too-large'
  | 'image-needs-quick-export';

/** The export request's choices that the rules depend on. */
export interface ExportChoice {
  is_quick_export?: boolean | undefined;
}

const GiB = 1024 ** 3;
/** "The image size must be less than 1 TB." */
export const MAX_EXPORT_BYTES = 1024 * GiB;
/** "Images larger than 128 GB support only fast export." */
export const MAX_NORMAL_EXPORT_BYTES = 128 * GiB;

/** Public images whose licences forbid exporting them or the private images made from them. */
export const LICENSED_PLATFORMS: readonly string[] = ['Windows', 'SUSE', 'Red Hat', 'Ubuntu', 'Oracle Linux'];

type ImageDetails = ImsImage & Record<string, unknown>;

const text = (image: ImageDetails, key: string): string => {
  const value = image[key];
  return value === undefined || value === null ? '' : String(value).trim();
};
// Boolean attributes come as booleans or as the strings "true"/"True" (querying_images.rst shows both).
const flag = (image: ImageDetails, key: string): boolean => text(image, key).toLowerCase() === 'true';

function sizeInBytes(image: ImageDetails): number | null {
  const raw = text(image, '__image_size');
  if (raw === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

const gib = (bytes: number) => `${Math.round((bytes / GiB) * 10) / 10} GB`;

/** A public image: IMS lists it as `gold` or visible to everyone. */
const isPublic = (image: ImageDetails) => text(image, '__imagetype') === 'gold' || text(image, 'visibility') === 'public';

/** A private image the project imported from a file: no parent image, not public. */
const isOwnImport = (image: ImageDetails) => !isPublic(image) && text(image, '__originalimagename') === '';

/**
 * Why IMS will refuse to export `image` (as `GET /v2/cloudimages?id=` shows it; null when IMS does
 * not know it) into `projectId`'s bucket, or null when nothing in its details says so. `parent` is
 * the image named by `__originalimagename` when the caller looked it up (null: not found).
 */
export function exportRefusal(
  image: ImsImage | null,
  choice: ExportChoice,
  projectId: string,
  parent?: ImsImage | null,
): PreflightRefusal | null {
  if (image === null)
    return { code: 'IMG.0027', rule: 'image-not-found', message: 'the image does not exist in this project, or it is not visible to it' };
  const img = image as ImageDetails;
  if (isPublic(img)) return { code: 'IMG.0077', rule: 'image-public', message: 'the image is a public image; only private images can be exported' };
  const owner = text(img, 'owner');
  if (owner !== '' && owner !== projectId)
    return { code: 'IMG.0047', rule: 'image-not-owned', message: 'the image belongs to another project (it is shared with this one); only its owner can export it' };
  if (flag(img, '__whole_image'))
    return { code: 'IMG.0128', rule: 'image-full-ecs', message: 'the image is a full-ECS image; full-ECS images cannot be exported' };
  if (text(img, 'virtual_env_type') === 'IsoImage')
    return { code: 'IMG.0167', rule: 'image-iso', message: 'the image is an ISO image; ISO images cannot be exported' };
  if (text(img, '__backup_id') !== '')
    return { code: 'IMG.0080', rule: 'image-from-backup', message: 'the image was created from a cloud server backup; such images cannot be exported' };
  if (text(img, '__productcode') !== '')
    return { code: 'IMG.0079', rule: 'image-from-marketplace', message: 'the image comes from a marketplace image; such images cannot be exported' };
  const platform = text(img, '__platform');
  const fromImage = text(img, '__originalimagename') !== '';
  const parentClears = parent !== undefined && parent !== null && isOwnImport(parent as ImageDetails);
  if (fromImage && LICENSED_PLATFORMS.includes(platform) && !parentClears)
    return {
      code: 'IMG.0071',
      rule: 'image-from-licensed-public-image',
      message: `the image was made from a ${platform} public image, whose licence forbids exporting it`,
    };
  // After the refusals that no wait can cure, so that waiting for an image never ends in another refusal.
  const status = text(img, 'status');
  if (status !== 'active')
    return { code: 'IMG.0046', rule: 'image-not-active', message: `the image is ${status || 'in an unknown state'}, not active` };
  const size = sizeInBytes(img);
  if (size !== null && size >= MAX_EXPORT_BYTES)
    return { code: 'IMG.0071', rule: 'image-too-large', message: `the image is ${gib(size)}; only images smaller than 1 TB can be exported` };
  if (size !== null && size > MAX_NORMAL_EXPORT_BYTES && choice.is_quick_export !== true)
    return {
      code: 'IMG.0160',
      rule: 'image-needs-quick-export',
      message: `the image is ${gib(size)}; images over 128 GB can be exported only with is_quick_export`,
    };
  return null;
}

/** The parent image id worth looking up before `exportRefusal`: only when it can clear a licence refusal. */
export function parentToLookUp(image: ImsImage | null): string | null {
  if (image === null) return null;
  const img = image as ImageDetails;
  const parentId = text(img, '__originalimagename');
  return parentId !== '' && LICENSED_PLATFORMS.includes(text(img, '__platform')) ? parentId : null;
}

/**
 * The worker's pre-flight of an export: looks the image up (and its parent image, when only the
 * parent can clear a licence refusal) and answers the refusal or null. IMS errors of the look-ups
 * (auth, retryable, ...) are thrown as they are, for the caller to handle like a submission's.
 */
export async function preflightExport(
  ims: Pick<ImsClient, 'getImage'>,
  target: ImsTarget,
  imageId: string,
  choice: ExportChoice,
): Promise<PreflightRefusal | null> {
  const image = await ims.getImage(target, imageId);
  const parentId = parentToLookUp(image);
  const parent = parentId !== null && UUID.test(parentId) ? await ims.getImage(target, parentId) : undefined;
  return exportRefusal(image, choice, target.projectId, parent);
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// ---- quick import: the file format rule --------------------------------------------------------

