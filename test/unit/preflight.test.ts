import { describe, expect, it } from 'vitest';
import { objectExtension, quickImportFileProblem } from '../../lib/ims/fields.js';
import type { ImsImage } from '../../lib/ims/answers.js';
import {
  exportRefusal,
  type ExportChoice,
  parentToLookUp,
} from '../../lib/requests/preflight.js';

const PROJECT = '5e1a4ce8d9a54f0c9a3e7b2f1c6d8e90';
const GB = 1024 ** 3;

/** A private image imported from a file, as the image query shows it: exportable. */
const image = (extra: Record<string, unknown> = {}): ImsImage => ({
  id: 'bc6bed6e-ba3a-4447-afcc-449174a3eb52',
  name: 'golden',
  status: 'active',
  owner: PROJECT,
  visibility: 'private',
  __imagetype: 'private',
  disk_format: 'zvhd2',
  min_disk: 40,
  virtual_env_type: 'FusionCompute',
  __platform: 'CentOS',
  __os_version: 'CentOS 7.3 64bit',
  __whole_image: false,
  __originalimagename: '',
  __backup_id: '',
  __image_size: String(40 * GB),
  __data_origin: 'file,bucket:centos.qcow2',
  __root_origin: 'file',
  ...extra,
});
const normal = { is_quick_export: false };
const quick = { is_quick_export: true };
const refused = (img: ImsImage | null, choice: ExportChoice = normal, parent?: ImsImage | null) => exportRefusal(img, choice, PROJECT, parent);

describe('export pre-flight', () => {
  it('lets an active private image of the project through, normally and quickly', () => {
    expect(refused(image())).toBeNull();
    expect(refused(image(), quick)).toBeNull();
  });

  it('refuses an image IMS does not know (IMG.0027)', () => {
    expect(refused(null)).toMatchObject({ code: 'IMG.0027', rule: 'image-not-found' });
  });

  it('refuses a public image, by its type or its visibility (IMG.0077)', () => {
    expect(refused(image({ __imagetype: 'gold' }))).toMatchObject({ code: 'IMG.0077', rule: 'image-public' });
    expect(refused(image({ visibility: 'public' }))).toMatchObject({ code: 'IMG.0077' });
  });

  it('refuses an image another project owns and shares with this one (IMG.0047), not one this project shares out', () => {
    expect(refused(image({ __imagetype: 'shared', visibility: 'shared', owner: 'f'.repeat(32) }))).toMatchObject({
      code: 'IMG.0047',
      rule: 'image-not-owned',
    });
    expect(refused(image({ __imagetype: 'shared', visibility: 'shared' }))).toBeNull();
  });

  it.each(['queued', 'saving', 'killed', 'deleted'])('refuses an image whose status is %s (IMG.0046)', (status) => {
    expect(refused(image({ status }))).toMatchObject({ code: 'IMG.0046', rule: 'image-not-active' });
  });

  it('refuses a full-ECS image, whether the flag comes as a boolean or a string (IMG.0128)', () => {
    expect(refused(image({ __whole_image: true }))).toMatchObject({ code: 'IMG.0128', rule: 'image-full-ecs' });
    expect(refused(image({ __whole_image: 'true' }))).toMatchObject({ code: 'IMG.0128' });
    expect(refused(image({ __whole_image: 'false' }))).toBeNull();
  });

  it('refuses an ISO image (IMG.0167)', () => {
    expect(refused(image({ virtual_env_type: 'IsoImage' }))).toMatchObject({ code: 'IMG.0167', rule: 'image-iso' });
  });

  it('refuses an image created from a backup (IMG.0080)', () => {
    expect(refused(image({ __backup_id: 'b2f7c6c4-2a1d-4a8f-9f3e-0c5a1e9d7b11' }))).toMatchObject({ code: 'IMG.0080', rule: 'image-from-backup' });
  });

  it('refuses an image from a marketplace image, which carries a product code (IMG.0079)', () => {
    expect(refused(image({ __productcode: 'kg-12345', __originalimagename: 'a0a0a0a0-0000-4000-8000-000000000001' }))).toMatchObject({
      code: 'IMG.0079',
      rule: 'image-from-marketplace',
    });
  });

  it.each(['Windows', 'SUSE', 'Red Hat', 'Ubuntu', 'Oracle Linux'])('refuses an image made from a %s public image (IMG.0071)', (platform) => {
    const fromPublic = image({ __platform: platform, __originalimagename: 'a0a0a0a0-0000-4000-8000-000000000001', __root_origin: '' });
    expect(refused(fromPublic)).toMatchObject({ code: 'IMG.0071', rule: 'image-from-licensed-public-image' });
    // A parent that is gone (null) may be a retired public image: still refused.
    expect(refused(fromPublic, normal, null)).toMatchObject({ rule: 'image-from-licensed-public-image' });
    expect(refused(fromPublic, normal, image({ id: 'a0a0a0a0-0000-4000-8000-000000000001', __imagetype: 'gold', visibility: 'public', __platform: platform }))).toMatchObject({
      rule: 'image-from-licensed-public-image',
    });
  });

  it('lets through a licensed platform imported from the tenant\u2019s own file, or made from such a private image', () => {
    expect(refused(image({ __platform: 'Windows' }))).toBeNull();
    const fromOwn = image({ __platform: 'Windows', __originalimagename: 'a0a0a0a0-0000-4000-8000-000000000001' });
    expect(refused(fromOwn, normal, image({ id: 'a0a0a0a0-0000-4000-8000-000000000001', __platform: 'Windows' }))).toBeNull();
  });

  it('asks for the parent image only when it can clear a licence refusal', () => {
    expect(parentToLookUp(image({ __platform: 'Windows', __originalimagename: 'a0a0a0a0-0000-4000-8000-000000000001' }))).toBe(
      'a0a0a0a0-0000-4000-8000-000000000001',
    );
    expect(parentToLookUp(image({ __platform: 'CentOS', __originalimagename: 'a0a0a0a0-0000-4000-8000-000000000001' }))).toBeNull();
    expect(parentToLookUp(image({ __platform: 'Windows' }))).toBeNull();
    expect(parentToLookUp(null)).toBeNull();
  });

  it('refuses an image of 1 TB or more, even with quick export (IMG.0071)', () => {
    expect(refused(image({ __image_size: String(1024 * GB) }), quick)).toMatchObject({ code: 'IMG.0071', rule: 'image-too-large' });
    expect(refused(image({ __image_size: 1024 * GB - 1 }), quick)).toBeNull();
  });

  it('refuses an image over 128 GB without quick export (IMG.0160), and lets it through with it', () => {
    expect(refused(image({ __image_size: String(128 * GB + 1) }))).toMatchObject({ code: 'IMG.0160', rule: 'image-needs-quick-export' });
    expect(refused(image({ __image_size: String(128 * GB + 1) }), {})).toMatchObject({ code: 'IMG.0160' });
    expect(refused(image({ __image_size: String(128 * GB) }))).toBeNull();
    expect(refused(image({ __image_size: String(200 * GB) }), quick)).toBeNull();
  });

  it('leaves the size to IMS when the image does not show it', () => {
    expect(refused(image({ __image_size: undefined, min_disk: 2000 }))).toBeNull();
    expect(refused(image({ __image_size: 'unknown' }))).toBeNull();
  });

  it('names a refusal no wait can cure before the status, so that waiting never ends in another refusal', () => {
    expect(refused(image({ status: 'saving', virtual_env_type: 'IsoImage' }))).toMatchObject({ rule: 'image-iso' });
  });
});

describe('quick-import format rule', () => {
  it('reads the extension of the object name, after its last folder', () => {
    expect(objectExtension('bucket:images/centos.QCOW2')).toBe('qcow2');
    expect(objectExtension('bucket:v1.2/disk')).toBeNull();
    expect(objectExtension('bucket:disk.')).toBeNull();
    expect(objectExtension('bucket:.hidden')).toBeNull();
    expect(objectExtension('bucket:a/b.raw')).toBe('raw');
  });

  it.each(['qcow2', 'vhd', 'vmdk', 'iso', 'zvhd', 'vhdx', 'gz'])('refuses a .%s file', (ext) => {
    expect(quickImportFileProblem(`bucket:images/disk.${ext}`)).toContain(`.${ext} file is neither`);
  });

  it.each(['bucket:disk.raw', 'bucket:disk.zvhd2', 'bucket:disk.ZVHD2', 'bucket:disk', 'bucket:disk.img'])('lets %s through', (url) => {
    expect(quickImportFileProblem(url)).toBeNull();
  });

});
