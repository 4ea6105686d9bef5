import { describe, expect, it } from 'vitest';
import type * as z from '../../lib/zod.js';
import {
  captureBody,
  dataImportBody,
  exportBody,
  quickImportBody,
  systemImportBody,
} from '../../lib/ims/schemas.js';
import { imageList, imsJob, jobResult } from '../../lib/ims/answers.js';

/** The field paths a schema complains about ([] when the value passes). */
function failingPaths(schema: z.ZodMiniType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

const system = { name: 'centos-7', image_url: 'ims-image:centos7.qcow2', min_disk: 40, os_version: 'CentOS 7.0 64bit' };
const data = { name: 'data-1', image_url: 'ims-image:data1.qcow2', min_disk: 40 };
const quick = { name: 'quick-1', image_url: 'ims-image:big.zvhd2', min_disk: 100, os_version: 'CentOS 7.0 64bit' };
const capture = { name: 'from-ecs', instance_id: '877a2cda-ba63-4e1e-b95f-e67e48b6129a' };

describe('export body', () => {
  it('accepts a file format without quick export and quick export without a format', () => {
    expect(failingPaths(exportBody, { bucket_url: 'ims-image:a.qcow2', file_format: 'qcow2' })).toEqual([]);
    expect(failingPaths(exportBody, { bucket_url: 'ims-image:a', is_quick_export: true })).toEqual([]);
  });
  it('refuses file_format together with is_quick_export', () => {
    expect(failingPaths(exportBody, { bucket_url: 'ims-image:a', file_format: 'vhd', is_quick_export: true })).toEqual(['file_format']);
  });
  it('requires file_format unless is_quick_export', () => {
    expect(failingPaths(exportBody, { bucket_url: 'ims-image:a', is_quick_export: false })).toEqual(['file_format']);
  });
  it('refuses formats other than qcow2, vhd, zvhd and vmdk', () => {
    expect(failingPaths(exportBody, { bucket_url: 'ims-image:a', file_format: 'raw' })).toEqual(['file_format']);
  });
  it('refuses a bucket_url without bucket:object and bucket names outside 3 to 63 characters', () => {
    expect(failingPaths(exportBody, { bucket_url: 'no-colon', file_format: 'vhd' })).toEqual(['bucket_url']);
    expect(failingPaths(exportBody, { bucket_url: 'ab:x', file_format: 'vhd' })).toEqual(['bucket_url']);
    expect(failingPaths(exportBody, { bucket_url: `${'b'.repeat(63)}:x`, file_format: 'vhd' })).toEqual([]);
    expect(failingPaths(exportBody, { bucket_url: `${'b'.repeat(64)}:x`, file_format: 'vhd' })).toEqual(['bucket_url']);
  });
  it('refuses object names with spaces, which IMS refuses (IMG.0175)', () => {
    expect(failingPaths(exportBody, { bucket_url: 'ims-image:my file.qcow2', file_format: 'vhd' })).toEqual(['bucket_url']);
    expect(failingPaths(exportBody, { bucket_url: 'ims-image:dir/file.qcow2', file_format: 'vhd' })).toEqual([]);
  });
  it('refuses unknown fields rather than sending them to IMS', () => {
    expect(failingPaths(exportBody, { bucket_url: 'ims-image:a', file_format: 'vhd', fileformat: 'vhd' })).toHaveLength(1);
  });
});

describe('system disk import body', () => {
  it('accepts the names of 1 and 128 characters and refuses 129 or a leading space', () => {
    expect(failingPaths(systemImportBody, { ...system, name: 'a' })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, name: 'a'.repeat(128) })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, name: 'a'.repeat(129) })).toEqual(['name']);
    expect(failingPaths(systemImportBody, { ...system, name: ' a' })).toEqual(['name']);
  });
  it('accepts min_disk 1 and 1024 GB and refuses 0 and 1025', () => {
    expect(failingPaths(systemImportBody, { ...system, min_disk: 1 })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, min_disk: 1024 })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, min_disk: 0 })).toEqual(['min_disk']);
    expect(failingPaths(systemImportBody, { ...system, min_disk: 1025 })).toEqual(['min_disk']);
  });
  it('accepts a description of 1024 characters and refuses 1025 or angle brackets', () => {
    expect(failingPaths(systemImportBody, { ...system, description: 'd'.repeat(1024) })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, description: 'd'.repeat(1025) })).toEqual(['description']);
    expect(failingPaths(systemImportBody, { ...system, description: '<b>' })).toEqual(['description']);
  });
  it('accepts tag keys of 36 and values of 43 characters and refuses one more', () => {
    expect(failingPaths(systemImportBody, { ...system, tags: [`${'k'.repeat(36)}.${'v'.repeat(43)}`] })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, tags: [`${'k'.repeat(37)}.v`] })).toEqual(['tags.0']);
    expect(failingPaths(systemImportBody, { ...system, tags: ['ok.1', `k.${'v'.repeat(44)}`] })).toEqual(['tags.1']);
    expect(failingPaths(systemImportBody, { ...system, image_tags: [{ key: 'k'.repeat(37), value: '' }] })).toEqual(['image_tags.0.key']);
  });
  it('refuses tags and image_tags together', () => {
    expect(failingPaths(systemImportBody, { ...system, tags: ['a.b'], image_tags: [{ key: 'a', value: 'b' }] })).toEqual(['image_tags']);
  });
  it('requires os_version for an ISO image and for a quick import', () => {
    const { os_version: _omitted, ...noOs } = system;
    expect(failingPaths(systemImportBody, noOs)).toEqual([]);
    expect(failingPaths(systemImportBody, { ...noOs, type: 'IsoImage' })).toEqual(['os_version']);
    expect(failingPaths(systemImportBody, { ...noOs, image_url: 'ims-image:big.raw', is_quick_import: true })).toEqual(['os_version']);
    expect(failingPaths(systemImportBody, { ...system, type: 'IsoImage' })).toEqual([]);
  });
  it('requires os_version to import an ISO file, whatever the type', () => {
    const { os_version: _omitted, ...noOs } = system;
    expect(failingPaths(systemImportBody, { ...noOs, image_url: 'ims-image:isos/centos7.ISO' })).toEqual(['os_version']);
    expect(failingPaths(systemImportBody, { ...system, image_url: 'ims-image:isos/centos7.iso', type: 'IsoImage' })).toEqual([]);
  });
  it('takes hw_firmware_type bios or uefi, os_type Linux, Windows or Other, and an enterprise project "0" or a UUID', () => {
    expect(failingPaths(systemImportBody, { ...system, hw_firmware_type: 'uefi', os_type: 'Other', enterprise_project_id: '0' })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, enterprise_project_id: '877a2cda-ba63-4e1e-b95f-e67e48b6129a' })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, hw_firmware_type: 'efi' })).toEqual(['hw_firmware_type']);
    expect(failingPaths(systemImportBody, { ...system, os_type: 'BSD' })).toEqual(['os_type']);
    expect(failingPaths(systemImportBody, { ...system, enterprise_project_id: 'prod' })).toEqual(['enterprise_project_id']);
  });
  it('refuses a quick import of a file that is not RAW or ZVHD2, for the image and each quick data_images entry', () => {
    expect(failingPaths(systemImportBody, { ...system, is_quick_import: true })).toEqual(['image_url']);
    const entry = { image_url: 'ims-image:d.vhd', min_disk: 40, is_quick_import: true };
    expect(failingPaths(systemImportBody, { ...system, data_images: [{ ...entry, image_url: 'ims-image:d.zvhd2' }, entry] })).toEqual(['data_images.1.image_url']);
    expect(failingPaths(systemImportBody, { ...system, data_images: [{ ...entry, is_quick_import: false }] })).toEqual([]);
  });
  it('refuses an os_version that is not in the documented list', () => {
    expect(failingPaths(systemImportBody, { ...system, os_version: 'CentOS 99 64bit' })).toEqual(['os_version']);
  });
  it('refuses a min_ram above a non-zero max_ram', () => {
    expect(failingPaths(systemImportBody, { ...system, min_ram: 2048, max_ram: 2048 })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, min_ram: 4096, max_ram: 0 })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, min_ram: 4096, max_ram: 2048 })).toEqual(['min_ram']);
  });
  it('accepts 3 data_images and refuses 4', () => {
    const disk = { image_url: 'ims-image:d.qcow2', min_disk: 10 };
    expect(failingPaths(systemImportBody, { ...system, data_images: [disk, disk, disk] })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, data_images: [disk, disk, disk, disk] })).toEqual(['data_images']);
  });
  it('checks a data_images entry against 1 to 2048 GB', () => {
    expect(failingPaths(systemImportBody, { ...system, data_images: [{ image_url: 'ims-image:d', min_disk: 2048 }] })).toEqual([]);
    expect(failingPaths(systemImportBody, { ...system, data_images: [{ image_url: 'ims-image:d', min_disk: 2049 }] })).toEqual([
      'data_images.0.min_disk',
    ]);
  });
});

describe('data disk import body', () => {
  it('accepts min_disk 40 and 2048 GB and refuses 39 and 2049', () => {
    expect(failingPaths(dataImportBody, { ...data, min_disk: 40 })).toEqual([]);
    expect(failingPaths(dataImportBody, { ...data, min_disk: 2048 })).toEqual([]);
    expect(failingPaths(dataImportBody, { ...data, min_disk: 39 })).toEqual(['min_disk']);
    expect(failingPaths(dataImportBody, { ...data, min_disk: 2049 })).toEqual(['min_disk']);
  });
  it('takes os_type Linux or Windows only', () => {
    expect(failingPaths(dataImportBody, { ...data, os_type: 'Windows' })).toEqual([]);
    expect(failingPaths(dataImportBody, { ...data, os_type: 'Other' })).toEqual(['os_type']);
  });
  it('refuses tags and image_tags together', () => {
    expect(failingPaths(dataImportBody, { ...data, tags: ['a.b'], image_tags: [{ key: 'a', value: 'b' }] })).toEqual(['image_tags']);
  });
});

describe('quick import body', () => {
  it('requires os_version for a system disk but not for a data disk', () => {
    const { os_version: _omitted, ...noOs } = quick;
    expect(failingPaths(quickImportBody, noOs)).toEqual(['os_version']);
    expect(failingPaths(quickImportBody, { ...noOs, type: 'DataImage', os_type: 'Linux' })).toEqual([]);
  });
  it('accepts min_disk 1 and 1024 GB and refuses 1025', () => {
    expect(failingPaths(quickImportBody, { ...quick, min_disk: 1 })).toEqual([]);
    expect(failingPaths(quickImportBody, { ...quick, min_disk: 1024 })).toEqual([]);
    expect(failingPaths(quickImportBody, { ...quick, min_disk: 1025 })).toEqual(['min_disk']);
  });
  it('refuses a .qcow2, .vhd, .vmdk or .iso file and takes .raw, .zvhd2 and names without an extension', () => {
    for (const ext of ['qcow2', 'vhd', 'vmdk', 'iso']) expect(failingPaths(quickImportBody, { ...quick, image_url: `ims-image:f.${ext}` })).toEqual(['image_url']);
    for (const url of ['ims-image:f.raw', 'ims-image:f.zvhd2', 'ims-image:dir.v2/f']) expect(failingPaths(quickImportBody, { ...quick, image_url: url })).toEqual([]);
  });
  it('takes architecture x86 or arm, an enterprise project and, for a data disk, os_type', () => {
    expect(failingPaths(quickImportBody, { ...quick, architecture: 'arm', hw_firmware_type: 'uefi', enterprise_project_id: '0' })).toEqual([]);
    expect(failingPaths(quickImportBody, { ...quick, architecture: 'aarch64' })).toEqual(['architecture']);
    const { os_version: _omitted, ...dataDisk } = quick;
    expect(failingPaths(quickImportBody, { ...dataDisk, type: 'DataImage', os_type: 'Windows' })).toEqual([]);
  });
  it('refuses bios boot for an Arm image', () => {
    expect(failingPaths(quickImportBody, { ...quick, architecture: 'arm', hw_firmware_type: 'uefi' })).toEqual([]);
    expect(failingPaths(quickImportBody, { ...quick, architecture: 'arm', hw_firmware_type: 'bios' })).toEqual(['hw_firmware_type']);
  });
  it('refuses the types of a normal import (IsoImage)', () => {
    expect(failingPaths(quickImportBody, { ...quick, type: 'IsoImage' })).toEqual(['type']);
  });
});

describe('capture body', () => {
  it('takes data_images entries with name, volume_id, description and tags or image_tags', () => {
    const disk = { name: 'data-1', volume_id: 'c5dfbd0c-bf0a-4798-a453-61dc6b54aa30', description: 'disk 1' };
    expect(failingPaths(captureBody, { ...capture, data_images: [{ ...disk, tags: ['a.b'] }, { ...disk, image_tags: [{ key: 'k', value: 'v' }] }] })).toEqual([]);
    expect(failingPaths(captureBody, { ...capture, data_images: [{ ...disk, tags: ['a.b'], image_tags: [{ key: 'k', value: 'v' }] }] })).toEqual(['data_images.0.image_tags']);
    expect(failingPaths(captureBody, { ...capture, data_images: [{ ...disk, volume_id: 'vol-1' }] })).toEqual(['data_images.0.volume_id']);
    expect(failingPaths(captureBody, { ...capture, data_images: [{ volume_id: disk.volume_id }] })).toEqual(['data_images.0.name']);
  });
  it('takes an enterprise project, max_ram and min_ram', () => {
    expect(failingPaths(captureBody, { ...capture, enterprise_project_id: '0', max_ram: 4096, min_ram: 1024 })).toEqual([]);
  });
  it('requires a UUID instance_id and a name', () => {
    expect(failingPaths(captureBody, capture)).toEqual([]);
    expect(failingPaths(captureBody, { ...capture, instance_id: 'not-a-uuid' })).toEqual(['instance_id']);
    expect(failingPaths(captureBody, { instance_id: capture.instance_id })).toEqual(['name']);
  });
  it('refuses tags and image_tags together', () => {
    expect(failingPaths(captureBody, { ...capture, tags: ['a.b'], image_tags: [{ key: 'a', value: 'b' }] })).toEqual(['image_tags']);
  });
});

describe('job answer', () => {
  const job = {
    job_id: '9a175ac892fa134201930039db1a27b1',
    job_type: 'imsNativeExportImageJob',
    begin_time: '2024-11-06T06:46:51.929Z',
    end_time: null,
    status: 'RUNNING',
    error_code: null,
    fail_reason: null,
    entities: { image_id: '1ab4df10-fe18-48b7-91c9-53695fcd9df5', process_percent: 0.24, current_task: 'ExportTask' },
    some_new_field: 'kept',
  };
  it('reads the progress call fraction as a percentage and keeps fields IMS adds', () => {
    const parsed = imsJob.parse(job);
    expect(parsed.progress).toBe(24);
    expect(parsed.entities?.image_id).toBe('1ab4df10-fe18-48b7-91c9-53695fcd9df5');
    expect((parsed as Record<string, unknown>).some_new_field).toBe('kept');
  });
  it('reads a whole number from 1 to 100 as a percentage', () => {
    expect(imsJob.parse({ ...job, entities: { process_percent: 1 } }).progress).toBe(1);
    expect(imsJob.parse({ ...job, entities: { process_percent: 37 } }).progress).toBe(37);
  });
  it('has no progress when IMS gives none, and 100 once the job succeeded', () => {
    expect(imsJob.parse({ ...job, entities: {} }).progress).toBeNull();
    expect(imsJob.parse({ ...job, status: 'SUCCESS', entities: {} }).progress).toBe(100);
  });
  it('keeps a failed job\'s error_code and fail_reason verbatim', () => {
    const failed = imsJob.parse({ ...job, status: 'FAIL', error_code: 'IMG.0070', fail_reason: 'The file already exists.' });
    expect([failed.error_code, failed.fail_reason]).toEqual(['IMG.0070', 'The file already exists.']);
  });
  it('refuses a status IMS does not document', () => {
    expect(imsJob.safeParse({ ...job, status: 'DONE' }).success).toBe(false);
  });
});

describe('image list answer', () => {
  it('keeps __data_origin and unknown fields of each image', () => {
    const list = imageList.parse({
      images: [{ id: 'x', name: 'n', status: 'active', __data_origin: 'file,ims-image:a.qcow2', __lazyloading: 'true' }],
    });
    expect(list.images[0]?.__data_origin).toBe('file,ims-image:a.qcow2');
    expect((list.images[0] as Record<string, unknown>).__lazyloading).toBe('true');
  });
});

describe('job results', () => {
  // The documented imsImportOvaImageJob answer: the image id only inside a sub-job.
  const ova = {
    job_id: '9a175ac792fa12d20193002100dd2762',
    job_type: 'imsImportOvaImageJob',
    begin_time: '2024-11-06T07:41:48.896Z',
    end_time: '2024-11-06T07:49:45.814Z',
    status: 'SUCCESS',
    error_code: null,
    fail_reason: null,
    entities: {
      sub_jobs_result: [
        {
          job_id: '9a175ac892fa13420193006c29e133f0',
          job_type: 'imsImportImageJob',
          status: 'SUCCESS',
          error_code: null,
          fail_reason: null,
          entities: { image_name: 'test', image_id: 'fc496c19-40c2-4220-8b1a-eba9d53fca7b' },
        },
      ],
      sub_jobs_list: ['9a175ac892fa13420193006c29e133f0'],
    },
  };

  it('finds the image of a job that names it only in a sub-job', () => {
    expect(jobResult(imsJob.parse(ova))).toEqual({ imageId: 'fc496c19-40c2-4220-8b1a-eba9d53fca7b', errorCode: null, failReason: null });
  });

  it('takes a failure\'s code and reason from the failed sub-job, verbatim, and the top level first', () => {
    const failedSub = { ...ova.entities.sub_jobs_result[0], status: 'FAIL', error_code: 'IMG.0193', fail_reason: 'The OVA file is damaged.', entities: {} };
    const failed = imsJob.parse({ ...ova, status: 'FAIL', entities: { sub_jobs_result: [ova.entities.sub_jobs_result[0], failedSub] } });
    expect(jobResult(failed)).toMatchObject({ errorCode: 'IMG.0193', failReason: 'The OVA file is damaged.' });
    const top = imsJob.parse({ ...ova, status: 'FAIL', error_code: 'IMG.0001', fail_reason: 'top', entities: { sub_jobs_result: [failedSub] } });
    expect(jobResult(top)).toMatchObject({ errorCode: 'IMG.0001', failReason: 'top' });
  });

  it('reads a plain job\'s own entities', () => {
    const plain = imsJob.parse({ job_id: 'j', status: 'SUCCESS', entities: { image_id: 'img-1' } });
    expect(jobResult(plain)).toEqual({ imageId: 'img-1', errorCode: null, failReason: null });
  });
});
