// The IMS simulator over real sockets: IAM, AK/SK, each validation rule's IMS code, export refusals,
// jobs on an injected clock, faults, reset and the calls log.
import { stringify as stringifyQuery } from 'node:querystring';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startImsSimulator, type ImsSimulator } from '../../local/ims-sim/server.js';
import { registerSecret } from '../helpers/secrets.js';

const JOB_MS = 10_000;
const TTL_MS = 60 * 60 * 1000;
const P = SIM_DEFAULTS.projectId;
const IMG = SIM_DEFAULTS.images;

let clock = Date.now();
let sim: ImsSimulator;

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; json: any }

async function call(method: string, path: string, opts: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await request(`${sim.url}${path}`, {
    method: method as 'GET',
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

function tokenBody(over: { password?: string; project?: Record<string, string> } = {}) {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: { name: SIM_DEFAULTS.user, password: over.password ?? SIM_DEFAULTS.password, domain: { name: SIM_DEFAULTS.domain } },
        },
      },
      scope: { project: over.project ?? { id: P } },
    },
  };
}

async function token(): Promise<string> {
  const res = await call('POST', '/v3/auth/tokens', { body: tokenBody() });
  return String(res.headers['x-subject-token']);
}

/** An IMS call authenticated with a fresh IAM token. */
async function ims(method: string, path: string, body?: unknown): Promise<Reply> {
  return call(method, path, { headers: { 'X-Auth-Token': await token() }, ...(body === undefined ? {} : { body }) });
}

const exportTo = (imageId: string, bucketUrl: string, extra: Record<string, unknown> = { file_format: 'qcow2' }) =>
  ims('POST', `/v1/cloudimages/${imageId}/file`, { bucket_url: bucketUrl, ...extra });

const jobOf = (jobId: string) => ims('GET', `/v1/${P}/jobs/${jobId}`);

const systemImport = (over: Record<string, unknown> = {}) => ({
  name: 'imported-centos',
  image_url: 'ims-image:centos7.qcow2',
  min_disk: 40,
  os_version: 'CentOS 7.6 64bit',
  ...over,
});

beforeAll(async () => {
  sim = await startImsSimulator({ jobMs: JOB_MS, tokenTtlMs: TTL_MS, now: () => clock });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  clock = Date.now();
});

describe('IAM password tokens', () => {
  it('issues a project-scoped token in X-Subject-Token with ISO times that end after the TTL', async () => {
    const res = await call('POST', '/v3/auth/tokens', { body: tokenBody() });
    expect(res.status).toBe(201);
    expect(String(res.headers['x-subject-token']).length).toBeGreaterThan(100);
    const t = res.json.token;
    expect(t.issued_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(t.expires_at) - Date.parse(t.issued_at)).toBe(TTL_MS);
    expect(t.project).toMatchObject({ id: P, name: 'eu-de', domain: { name: SIM_DEFAULTS.domain } });
    expect(t.methods).toEqual(['password']);
    expect(t.catalog).toEqual([]);
  });

  it('scopes a token by the region-named project as well', async () => {
    const res = await call('POST', '/v3/auth/tokens', { body: tokenBody({ project: { name: 'eu-de' } }) });
    expect(res.status).toBe(201);
    expect(res.json.token.project.id).toBe(P);
  });

  it('refuses a wrong password with 401 in IAM\'s error shape and no token', async () => {
    const res = await call('POST', '/v3/auth/tokens', { body: tokenBody({ password: 'nope' }) });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: 401, title: 'Unauthorized' });
    expect(res.headers['x-subject-token']).toBeUndefined();
  });

  it('refuses a project that is not the simulated one', async () => {
    const res = await call('POST', '/v3/auth/tokens', { body: tokenBody({ project: { name: 'eu-nl' } }) });
    expect(res.status).toBe(401);
  });

  it('accepts a token until it expires on the clock, then answers 401', async () => {
    const t = await token();
    expect((await call('GET', '/v2/cloudimages?limit=1', { headers: { 'X-Auth-Token': t } })).status).toBe(200);
    clock += TTL_MS;
    const expired = await call('GET', '/v2/cloudimages?limit=1', { headers: { 'X-Auth-Token': t } });
    expect(expired.status).toBe(401);
    expect(expired.json.error_code).toBe('APIGW.0307');
  });

  it('answers 401 to an unknown token and to a call with no authentication', async () => {
    expect((await call('GET', '/v2/cloudimages', { headers: { 'X-Auth-Token': 'MIIbogus' } })).status).toBe(401);
    const none = await call('GET', '/v2/cloudimages');
    expect(none.status).toBe(401);
    expect(none.json.error_code).toBe('APIGW.0301');
  });

  it('answers 403 when the job path names another project', async () => {
    const res = await ims('GET', `/v1/${'f'.repeat(32)}/jobs/${'a'.repeat(32)}`);
    expect(res.status).toBe(403);
  });
});

describe('AK/SK signatures', () => {
  const credential = { getAk: () => SIM_DEFAULTS.ak, getSk: () => SIM_DEFAULTS.sk } as never;

  /** Signs with Huawei's own AKSKSigner and sends exactly what it signed. */
  async function signed(
    method: string,
    path: string,
    opts: { query?: Record<string, string>; data?: Record<string, unknown>; project?: string | null; tamper?: (h: Record<string, string>, req: { path: string; body?: string }) => void } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (opts.data) headers['content-type'] = 'application/json';
    if (opts.project !== null) headers['X-Project-Id'] = opts.project ?? P;
    const signedHeaders = AKSKSigner.sign(
      { endpoint: `${sim.url}${path}`, method, headers, queryParams: opts.query ?? {}, ...(opts.data ? { data: opts.data } : {}) },
      credential,
    ) as Record<string, string>;
    const { host: _host, ...sendHeaders } = signedHeaders;
    const req = { path: opts.query ? `${path}?${stringifyQuery(opts.query)}` : path, ...(opts.data ? { body: JSON.stringify(opts.data) } : {}) };
    opts.tamper?.(sendHeaders, req);
    return call(method, req.path, { headers: sendHeaders, ...(req.body === undefined ? {} : { body: req.body }) });
  }

  it('accepts a POST with a JSON body signed by the SDK signer', async () => {
    const res = await signed('POST', `/v1/cloudimages/${IMG.exportable}/file`, { data: { bucket_url: 'ims-image:aksk.qcow2', file_format: 'qcow2' } });
    expect(res.status).toBe(200);
    expect(res.json.job_id).toMatch(/^[0-9a-f]{32}$/);
    expect(sim.calls().at(-1)?.auth).toBe('aksk');
  });

  it('accepts a GET with a query string that needs encoding', async () => {
    const res = await signed('GET', '/v2/cloudimages', { query: { name: 'sim-exportable-centos', __imagetype: 'private', limit: '5', tag: 'a=b c' } });
    expect(res.status).toBe(200);
    const plain = await signed('GET', '/v2/cloudimages', { query: { name: 'sim-exportable-centos', __imagetype: 'private' } });
    expect(plain.json.images.map((i: { id: string }) => i.id)).toEqual([IMG.exportable]);
  });

  it('accepts a path segment that needs encoding (the job is unknown, so IMS, not the gateway, answers)', async () => {
    const res = await signed('GET', '/v1/cloudimages/job/no such:job');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('IMG.0031');
  });

  it('refuses the same request with its body changed after signing', async () => {
    const res = await signed('POST', `/v1/cloudimages/${IMG.exportable}/file`, {
      data: { bucket_url: 'ims-image:aksk.qcow2', file_format: 'qcow2' },
      tamper: (_h, req) => {
        req.body = JSON.stringify({ bucket_url: 'ims-image:other.qcow2', file_format: 'qcow2' });
      },
    });
    expect(res.status).toBe(401);
    expect(res.json.error_code).toBe('APIGW.0301');
  });

  it('refuses the same request sent to another path', async () => {
    const res = await signed('POST', `/v1/cloudimages/${IMG.exportable}/file`, {
      data: { bucket_url: 'ims-image:aksk.qcow2', file_format: 'qcow2' },
      tamper: (_h, req) => {
        req.path = `/v1/cloudimages/${IMG.large}/file`;
      },
    });
    expect(res.status).toBe(401);
  });

  it('refuses the same request with its X-Sdk-Date changed', async () => {
    const res = await signed('GET', '/v2/cloudimages', {
      tamper: (h) => {
        const date = new Date(clock - 60_000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
        h['X-Sdk-Date'] = date;
      },
    });
    expect(res.status).toBe(401);
  });

  it('refuses a signature whose date is more than 15 minutes from the clock', async () => {
    clock += 16 * 60 * 1000;
    const res = await signed('GET', '/v2/cloudimages');
    expect(res.status).toBe(401);
  });

  it('refuses a signed call without X-Project-Id, and one naming another project with 403', async () => {
    expect((await signed('GET', '/v2/cloudimages', { project: null })).status).toBe(401);
    expect((await signed('GET', '/v2/cloudimages', { project: 'e'.repeat(32) })).status).toBe(403);
  });
});

describe('validation: each rule answers 400 with its IMS code', () => {
  const exp = `/v1/cloudimages/${IMG.exportable}/file`;
  const sys = '/v2/cloudimages/action';
  const data = '/v1/cloudimages/dataimages/action';
  const quick = '/v2/cloudimages/quickimport/action';
  const dataBody = { name: 'data-disk', image_url: 'ims-image:data.qcow2', min_disk: 40 };
  const quickBody = { name: 'quick', image_url: 'ims-image:disk.zvhd2', min_disk: 40, os_version: 'CentOS 7.6 64bit' };
  const capture = (over: Record<string, unknown>) => ({ name: 'captured', instance_id: '7c1b2c3d-1111-4222-8333-944455556666', ...over });

  it.each([
    ['an export URL without a colon', exp, { bucket_url: 'ims-image-centos', file_format: 'qcow2' }, 'IMG.0017'],
    ['an export URL with an empty bucket', exp, { bucket_url: ':centos.qcow2', file_format: 'qcow2' }, 'IMG.0068'],
    ['an export without bucket_url', exp, { file_format: 'qcow2' }, 'IMG.0068'],
    ['a bucket name with capitals', exp, { bucket_url: 'IMS-Image:centos.qcow2', file_format: 'qcow2' }, 'IMG.0109'],
    ['a bucket named like an IP address', exp, { bucket_url: '192.168.5.4:centos.qcow2', file_format: 'qcow2' }, 'IMG.0109'],
    ['a bucket name with a period next to a hyphen', exp, { bucket_url: 'my-.bucket:centos.qcow2', file_format: 'qcow2' }, 'IMG.0109'],
    ['an import from a bucket named like an IP address', sys, systemImport({ image_url: '10.0.0.1:centos.qcow2' }), 'IMG.0109'],
    ['an export with an empty file name', exp, { bucket_url: 'ims-image:', file_format: 'qcow2' }, 'IMG.0073'],
    ['an export file name over 1024 characters', exp, { bucket_url: `ims-image:${'a'.repeat(1025)}`, file_format: 'qcow2' }, 'IMG.0074'],
    ['a file name with a space', exp, { bucket_url: 'ims-image:my disk.qcow2', file_format: 'qcow2' }, 'IMG.0175'],
    ['an export format IMS does not write', exp, { bucket_url: 'ims-image:c.raw', file_format: 'raw' }, 'IMG.0072'],
    ['an export without file_format', exp, { bucket_url: 'ims-image:c.qcow2' }, 'IMG.0001'],
    ['a quick export that names a file_format', exp, { bucket_url: 'ims-image:c.zvhd2', file_format: 'zvhd', is_quick_export: true }, 'IMG.0001'],
    ['a non-boolean is_quick_export', exp, { bucket_url: 'ims-image:c.zvhd2', is_quick_export: 'yes' }, 'IMG.0001'],
    ['an export of an id that is not a UUID', '/v1/cloudimages/not-a-uuid/file', { bucket_url: 'b-1:c', file_format: 'vhd' }, 'IMG.0066'],
    ['an export of an unknown image', `/v1/cloudimages/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/file`, { bucket_url: 'b-1:c', file_format: 'vhd' }, 'IMG.0027'],
    ['an import without a name', sys, systemImport({ name: undefined }), 'IMG.0013'],
    ['a name over 128 characters', sys, systemImport({ name: 'n'.repeat(129) }), 'IMG.0002'],
    ['a name with a slash', sys, systemImport({ name: 'a/b' }), 'IMG.0003'],
    ['a name starting with a space', sys, systemImport({ name: ' centos' }), 'IMG.0003'],
    ['a description with angle brackets', sys, systemImport({ description: '<b>' }), 'IMG.0054'],
    ['a description over 1024 characters', sys, systemImport({ description: 'd'.repeat(1025) }), 'IMG.0004'],
    ['both tags and image_tags', sys, systemImport({ tags: ['a.b'], image_tags: [{ key: 'a', value: 'b' }] }), 'IMG.0115'],
    ['a tag with a space', sys, systemImport({ tags: ['a b.c'] }), 'IMG.0115'],
    ['a tag value with a character other than letters, digits, _ and -', sys, systemImport({ tags: ['key.va!ue'] }), 'IMG.0115'],
    ['an image_tags key over 36 characters', sys, systemImport({ image_tags: [{ key: 'k'.repeat(37), value: 'v' }] }), 'IMG.0115'],
    ['more than 50 tags', sys, systemImport({ tags: Array.from({ length: 51 }, (_, i) => `k${i}.v`) }), 'IMG.0116'],
    ['a system min_disk of 0 GB', sys, systemImport({ min_disk: 0 }), 'IMG.0055'],
    ['a system min_disk over 1024 GB', sys, systemImport({ min_disk: 1025 }), 'IMG.0055'],
    ['an import without min_disk', sys, systemImport({ min_disk: undefined }), 'IMG.0055'],
    ['a fractional min_disk', sys, systemImport({ min_disk: 40.5 }), 'IMG.0055'],
    ['min_ram above max_ram', sys, systemImport({ min_ram: 4096, max_ram: 2048 }), 'IMG.0055'],
    ['an os_version not in the list', sys, systemImport({ os_version: 'CentOS 99 64bit' }), 'IMG.0056'],
    ['an ISO import without os_version', sys, systemImport({ type: 'IsoImage', os_version: undefined }), 'IMG.0166'],
    ['a quick system import without os_version', sys, systemImport({ is_quick_import: true, os_version: undefined }), 'IMG.0056'],
    ['an unknown image type', sys, systemImport({ type: 'VM' }), 'IMG.0024'],
    ['an unknown os_type', sys, systemImport({ os_type: 'MacOS' }), 'IMG.0122'],
    ['an unknown boot mode', sys, systemImport({ hw_firmware_type: 'efi' }), 'IMG.0141'],
    ['more than three data_images', sys, systemImport({ data_images: Array.from({ length: 4 }, () => ({ image_url: 'b-1:d', min_disk: 40 })) }), 'IMG.0194'],
    ['a data_images file given twice', sys, systemImport({ data_images: [{ image_url: 'b-1:d', min_disk: 40 }, { image_url: 'b-1:d', min_disk: 40 }] }), 'IMG.0123'],
    ['the system disk file given again as a data disk', sys, systemImport({ data_images: [{ image_url: 'ims-image:centos7.qcow2', min_disk: 40 }] }), 'IMG.0123'],
    ['a quick import of a qcow2 file', quick, { ...quickBody, image_url: 'ims-image:disk.qcow2' }, 'IMG.0072'],
    ['a quick system import (is_quick_import) of a vhd file', sys, systemImport({ is_quick_import: true, image_url: 'ims-image:disk.vhd' }), 'IMG.0072'],
    ['a data_images entry over 2048 GB', sys, systemImport({ data_images: [{ image_url: 'b-1:d', min_disk: 2049 }] }), 'IMG.0055'],
    ['an enterprise project that is not 0 or a UUID', sys, systemImport({ enterprise_project_id: 'prod' }), 'IMG.0155'],
    ['an image action with neither image_url nor instance_id', sys, { name: 'x', min_disk: 40 }, 'IMG.0012'],
    ['an image action with both image_url and instance_id', sys, systemImport({ instance_id: '7c1b2c3d-1111-4222-8333-944455556666' }), 'IMG.0001'],
    ['a request that is not JSON', sys, '{"name":', 'IMG.0001'],
    ['an empty request body', sys, '', 'IMG.0007'],
    ['a data disk under 40 GB', data, { ...dataBody, min_disk: 39 }, 'IMG.0055'],
    ['a data disk over 2048 GB', data, { ...dataBody, min_disk: 2049 }, 'IMG.0055'],
    ['a data disk os_type other than Linux or Windows', data, { ...dataBody, os_type: 'Other' }, 'IMG.0122'],
    ['a data disk import without image_url', data, { ...dataBody, image_url: undefined }, 'IMG.0017'],
    ['a quick system import without os_version', quick, { ...quickBody, os_version: undefined }, 'IMG.0056'],
    ['a quick import type that is not ECS, BMS or DataImage', quick, { ...quickBody, type: 'IsoImage' }, 'IMG.0024'],
    ['a quick import architecture other than x86 or arm', quick, { ...quickBody, architecture: 'sparc' }, 'IMG.0212'],
    ['a quick import over 1024 GB', quick, { ...quickBody, min_disk: 1025 }, 'IMG.0055'],
    ['a capture with an instance id that is not a UUID', sys, capture({ instance_id: 'ecs-1' }), 'IMG.0005'],
    ['a capture of an ECS that does not exist', sys, capture({ instance_id: SIM_DEFAULTS.instances.missing }), 'IMG.0005'],
    ['a capture of a running ECS', sys, capture({ instance_id: SIM_DEFAULTS.instances.running }), 'IMG.0008'],
    ['a capture of an ECS with tasks in progress', sys, capture({ instance_id: SIM_DEFAULTS.instances.busy }), 'IMG.0010'],
    ['a capture without a name', sys, capture({ name: undefined }), 'IMG.0013'],
    ['a capture data disk without volume_id', sys, capture({ data_images: [{ name: 'dd' }] }), 'IMG.0120'],
  ])('refuses %s', async (_what, path, body, code) => {
    const res = await ims('POST', path, body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code, message: expect.any(String) } });
  });

  it('accepts a quick data-disk import without os_version', async () => {
    const res = await ims('POST', quick, { ...quickBody, os_version: undefined, type: 'DataImage' });
    expect(res.status).toBe(200);
    expect((await jobOf(res.json.job_id)).json.job_type).toBe('imsImportDataImageJob');
  });
});

describe('export refusals', () => {
  it.each([
    ['a full-ECS image', IMG.wholeImage, 'IMG.0128'],
    ['an ISO image', IMG.iso, 'IMG.0081'],
    ['an image made from the charged Windows public image', IMG.fromPublicWindows, 'IMG.0079'],
    ['an image made from the Ubuntu public image', IMG.fromPublicUbuntu, 'IMG.0071'],
    ['an image made from a backup', IMG.fromBackup, 'IMG.0080'],
    ['a public image', IMG.publicImage, 'IMG.0077'],
    ['an image that is not active', IMG.notActive, 'IMG.0046'],
    ['an image over 128 GB without quick export', IMG.large, 'IMG.0160'],
  ])('refuses to export %s', async (_what, imageId, code) => {
    const res = await exportTo(imageId, 'ims-image:out.qcow2');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
  });

  it('refuses a 1 TB image even with quick export, and exports a 200 GB one only quickly', async () => {
    expect((await exportTo(IMG.huge, 'ims-image:huge', { is_quick_export: true })).json.error.code).toBe('IMG.0071');
    expect((await exportTo(IMG.large, 'ims-image:large', { is_quick_export: true })).status).toBe(200);
  });

  it('refuses an export onto an object an earlier export reserved (IMG.0070)', async () => {
    expect((await exportTo(IMG.exportable, 'ims-image:once.qcow2')).status).toBe(200);
    const again = await exportTo(IMG.exportable, 'ims-image:once.qcow2', { file_format: 'vhd' });
    expect(again.status).toBe(400);
    expect(again.json.error.code).toBe('IMG.0070');
    clock += JOB_MS;
    expect((await exportTo(IMG.exportable, 'ims-image:once.qcow2')).json.error.code).toBe('IMG.0070');
  });

  it('frees the object again once the export that reserved it failed', async () => {
    expect((await exportTo(IMG.exportable, 'sim-fail-bucket:x.qcow2')).status).toBe(200);
    expect((await exportTo(IMG.exportable, 'sim-fail-bucket:x.qcow2')).json.error.code).toBe('IMG.0070');
    clock += JOB_MS;
    expect((await exportTo(IMG.exportable, 'sim-fail-bucket:x.qcow2')).status).toBe(200);
  });

  it('exports an image added through the control API, and refuses an added full-ECS one', async () => {
    const id = '3f0e1d2c-aaaa-4bbb-8ccc-123456789abc';
    const added = await call('POST', '/_sim/images', { body: { id, name: 'added', min_disk: 60 } });
    expect(added.status).toBe(201);
    expect((await exportTo(id, 'ims-image:added.vmdk', { file_format: 'vmdk' })).status).toBe(200);
    sim.addImage({ id, name: 'added-whole', __whole_image: true });
    expect((await exportTo(id, 'ims-image:whole.vmdk', { file_format: 'vmdk' })).json.error.code).toBe('IMG.0128');
  });
});

describe('jobs', () => {
  it('runs an import INIT → RUNNING → SUCCESS and its image queued → saving → active, findable by name', async () => {
    const submitted = await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'job-progress', image_url: 'ims-image:p.qcow2' }));
    expect(submitted.status).toBe(200);
    const jobId = submitted.json.job_id as string;
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);

    const init = (await jobOf(jobId)).json;
    expect(init).toMatchObject({ job_id: jobId, job_type: 'imsImportImageJob', status: 'INIT', end_time: null, error_code: null, fail_reason: null });
    expect(init.begin_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const imageId = init.entities.image_id as string;
    expect(init.entities.image_name).toBe('job-progress');
    const byName = async () => (await ims('GET', '/v2/cloudimages?name=job-progress&__imagetype=private')).json.images;
    expect(await byName()).toMatchObject([{ id: imageId, status: 'queued', __data_origin: 'file,ims-image:p.qcow2', owner: P }]);

    clock += JOB_MS / 2;
    expect((await jobOf(jobId)).json.status).toBe('RUNNING');
    expect((await byName())[0].status).toBe('saving');

    clock += JOB_MS / 2;
    const done = (await jobOf(jobId)).json;
    expect(done.status).toBe('SUCCESS');
    expect(Date.parse(done.end_time) - Date.parse(done.begin_time)).toBe(JOB_MS);
    expect(done.entities.image_id).toBe(imageId);
    expect((await ims('GET', `/v2/cloudimages?id=${imageId}`)).json.images[0]).toMatchObject({ status: 'active', name: 'job-progress', min_disk: 40 });
  });

  it('reports the progress percentage on Huawei\'s progress call', async () => {
    const jobId = (await exportTo(IMG.exportable, 'ims-image:progress.qcow2')).json.job_id as string;
    const progress = async () => (await ims('GET', `/v1/cloudimages/job/${jobId}`)).json;
    expect((await progress()).entities.process_percent).toBe(0);
    clock += JOB_MS * 0.4;
    expect((await progress()).entities.process_percent).toBe(40);
    clock += JOB_MS;
    const done = await progress();
    expect(done).toMatchObject({ status: 'SUCCESS', job_type: 'imsNativeExportImageJob', entities: { image_id: IMG.exportable, process_percent: 100 } });
  });

  it('gives each submission its documented job type, and a capture an image from the instance', async () => {
    const instance = '7c1b2c3d-1111-4222-8333-944455556666';
    const cap = await ims('POST', '/v2/cloudimages/action', { name: 'captured', instance_id: instance });
    const capJob = (await jobOf(cap.json.job_id)).json;
    expect(capJob.job_type).toBe('imsCreateImageByInstance');
    const images = (await ims('GET', `/v2/cloudimages?id=${capJob.entities.image_id}`)).json.images;
    expect(images[0].__data_origin).toBe(`instance,${instance}`);
    const dataJob = await ims('POST', '/v1/cloudimages/dataimages/action', { name: 'dd', image_url: 'ims-image:d.qcow2', min_disk: 40 });
    expect((await jobOf(dataJob.json.job_id)).json.job_type).toBe('imsImportDataImageJob');
    const quickJob = await ims('POST', '/v2/cloudimages/quickimport/action', {
      name: 'q', image_url: 'ims-image:q.zvhd2', min_disk: 40, os_version: 'CentOS 7.6 64bit',
    });
    const q = (await jobOf(quickJob.json.job_id)).json;
    expect(q.job_type).toBe('imsImportImageJob');
    expect(q.entities.sub_jobs_result[0].job_type).toBe('imsImportBigFileImageJob');
  });

  it('fails a job whose image name starts with sim-fail, with IMS\'s code and reason, and kills its image', async () => {
    const jobId = (await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'sim-fail-import' }))).json.job_id as string;
    expect((await jobOf(jobId)).json.status).toBe('INIT');
    clock += JOB_MS;
    const failed = (await jobOf(jobId)).json;
    expect(failed).toMatchObject({ status: 'FAIL', error_code: 'IMG.0057' });
    expect(failed.fail_reason).toMatch(/image file/);
    expect((await ims('GET', '/v2/cloudimages?name=sim-fail-import')).json.images[0].status).toBe('killed');
  });

  it('fails an export to a sim-fail bucket and a capture named sim-fail', async () => {
    const exp = (await exportTo(IMG.exportable, 'sim-fail-exports:a.qcow2')).json.job_id as string;
    const cap = (await ims('POST', '/v2/cloudimages/action', { name: 'sim-fail-cap', instance_id: '7c1b2c3d-1111-4222-8333-944455556666' })).json.job_id as string;
    clock += JOB_MS;
    expect((await jobOf(exp)).json).toMatchObject({ status: 'FAIL', error_code: 'IMG.0069' });
    expect((await jobOf(cap)).json).toMatchObject({ status: 'FAIL', error_code: 'IMG.0014' });
  });

  it('answers 404 for a job it does not know', async () => {
    const res = await jobOf('0'.repeat(32));
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('IMG.0031');
  });

  it('filters the image query by __imagetype, status and limit', async () => {
    const priv = (await ims('GET', '/v2/cloudimages?__imagetype=private&status=active')).json.images as { id: string }[];
    expect(priv.map((i) => i.id)).toContain(IMG.exportable);
    expect(priv.map((i) => i.id)).not.toContain(IMG.notActive);
    expect(priv.map((i) => i.id)).not.toContain(IMG.publicImage);
    expect((await ims('GET', '/v2/cloudimages?limit=2')).json.images).toHaveLength(2);
    expect((await ims('GET', '/v2/cloudimages?limit=lots')).status).toBe(400);
  });
});

describe('without the progress call (as on Open Telekom Cloud)', () => {
  let otc: ImsSimulator;
  beforeAll(async () => {
    otc = await startImsSimulator({ progressApi: false, now: () => clock });
  });
  afterAll(async () => {
    await otc.close();
  });

  it('answers the progress call with the gateway\'s 404', async () => {
    const res = await request(`${otc.url}/v1/cloudimages/job/${'a'.repeat(32)}`);
    expect(res.statusCode).toBe(404);
    expect(((await res.body.json()) as { error_code: string }).error_code).toBe('APIGW.0101');
  });
});

describe('faults', () => {
  it('answers a status fault the given number of times without performing the call', async () => {
    sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 503, times: 2 });
    const first = await exportTo(IMG.exportable, 'ims-image:fault.qcow2');
    expect(first.status).toBe(503);
    expect(first.json.error_code).toBe('APIGW.0201');
    expect((await exportTo(IMG.exportable, 'ims-image:fault.qcow2')).status).toBe(503);
    // Neither faulted call reserved the object, so the third goes through.
    expect((await exportTo(IMG.exportable, 'ims-image:fault.qcow2')).status).toBe(200);
  });

  it('throttles like the gateway with 429, or answers a custom body, through POST /_sim/faults', async () => {
    expect((await call('POST', '/_sim/faults', { body: { match: 'GET /v1/*/jobs/*', status: 429 } })).status).toBe(201);
    const throttled = await jobOf('1'.repeat(32));
    expect(throttled.status).toBe(429);
    expect(throttled.json.error_code).toBe('APIGW.0308');
    sim.addFault({ match: 'GET /v2/cloudimages', status: 500, body: { error: { code: 'IMG.0061', message: 'boom' } } });
    expect((await ims('GET', '/v2/cloudimages')).json.error.message).toBe('boom');
    expect((await ims('GET', '/v2/cloudimages')).status).toBe(200);
  });

  it('performs a call under a delay fault and answers only after the delay', async () => {
    sim.addFault({ match: 'POST /v1/cloudimages/*/file', delay_ms: 150 });
    const t = await token();
    const started = performance.now();
    const res = await call('POST', `/v1/cloudimages/${IMG.exportable}/file`, {
      headers: { 'X-Auth-Token': t },
      body: { bucket_url: 'ims-image:slow.qcow2', file_format: 'qcow2' },
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    expect((await exportTo(IMG.exportable, 'ims-image:slow.qcow2')).json.error.code).toBe('IMG.0070');
  });

  it('matches * to exactly one path segment', async () => {
    sim.addFault({ match: 'GET /v1/*/jobs/*', status: 503 });
    expect((await ims('GET', '/v2/cloudimages')).status).toBe(200);
    expect((await ims('GET', `/v1/cloudimages/job/${'2'.repeat(32)}`)).status).toBe(404);
    expect((await jobOf('2'.repeat(32))).status).toBe(503);
  });

  it('refuses a malformed fault', async () => {
    expect((await call('POST', '/_sim/faults', { body: { match: 'GET /x', status: 503, delay_ms: 10 } })).status).toBe(400);
    expect((await call('POST', '/_sim/faults', { body: { match: 'nonsense', status: 503 } })).status).toBe(400);
  });
});

describe('reset and the calls log', () => {
  it('forgets tokens, jobs, faults and added images on reset, and brings the seeds back', async () => {
    const t = await token();
    const jobId = (await exportTo(IMG.exportable, 'ims-image:r.qcow2')).json.job_id as string;
    sim.addImage({ id: '4a0e1d2c-aaaa-4bbb-8ccc-123456789abc', name: 'to-forget' });
    sim.addFault({ match: 'GET /v2/cloudimages', status: 503 });
    expect((await call('POST', '/_sim/reset')).status).toBe(204);
    expect((await call('GET', '/v2/cloudimages', { headers: { 'X-Auth-Token': t } })).status).toBe(401);
    expect((await jobOf(jobId)).status).toBe(404);
    const names = ((await ims('GET', '/v2/cloudimages')).json.images as { name: string; id: string }[]).map((i) => i.id);
    expect(names).toContain(IMG.exportable);
    expect(names).not.toContain('4a0e1d2c-aaaa-4bbb-8ccc-123456789abc');
    expect((await exportTo(IMG.exportable, 'ims-image:r.qcow2')).status).toBe(200);
  });

  it('logs IAM and IMS calls with method, path, query and auth, never /_sim/ calls or secrets', async () => {
    const t = await token();
    await call('GET', '/v2/cloudimages?name=x&limit=3', { headers: { 'X-Auth-Token': t } });
    await call('GET', '/_sim/calls');
    const calls = sim.calls();
    expect(calls.map((c) => `${c.method} ${c.path} ${c.auth}`)).toEqual(['POST /v3/auth/tokens none', 'GET /v2/cloudimages token']);
    expect(calls[1]?.query).toEqual({ name: 'x', limit: '3' });
    expect(calls[0]?.body).toMatchObject({ auth: { identity: { password: { user: { name: SIM_DEFAULTS.user } } } } });
    expect(Date.parse(calls[0]?.time ?? '')).toBe(clock);
    const logged = JSON.stringify((await call('GET', '/_sim/calls')).json);
    expect(logged).toBe(JSON.stringify(calls));
    expect(logged).not.toContain(SIM_DEFAULTS.password);
    expect(logged).not.toContain(t);
  });
});

describe('import sources, new import fields and image details', () => {
  const quick = '/v2/cloudimages/quickimport/action';
  const quickBody = { name: 'quick', min_disk: 40, os_version: 'CentOS 7.6 64bit' };

  it("decides a quick import's file format by the object's recorded format before its name", async () => {
    sim.addObject({ bucket: 'ims-in', key: 'looks-qcow2.qcow2', format: 'raw' });
    expect((await ims('POST', quick, { ...quickBody, image_url: 'ims-in:looks-qcow2.qcow2' })).status).toBe(200);
    sim.addObject({ bucket: 'ims-in', key: 'looks-zvhd2.zvhd2', format: 'qcow2' });
    expect((await ims('POST', quick, { ...quickBody, image_url: 'ims-in:looks-zvhd2.zvhd2' })).json.error.code).toBe('IMG.0072');
    expect((await ims('POST', quick, { ...quickBody, image_url: 'ims-image:disk.raw' })).status).toBe(200);
  });

  it('fails the import job (IMG.0057) when its source file is not there, and runs it when it is', async () => {
    const missing = await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'from-missing', image_url: 'ims-image:sim-missing.qcow2' }));
    sim.addBucket({ name: 'ims-made' });
    const notInBucket = await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'not-in-bucket', image_url: 'ims-made:absent.qcow2' }));
    sim.addObject({ bucket: 'ims-made', key: 'present.qcow2' });
    const present = await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'present', image_url: 'ims-made:present.qcow2' }));
    clock += JOB_MS;
    expect((await jobOf(missing.json.job_id)).json).toMatchObject({ status: 'FAIL', error_code: 'IMG.0057' });
    expect((await jobOf(notInBucket.json.job_id)).json).toMatchObject({ status: 'FAIL', error_code: 'IMG.0057' });
    expect((await jobOf(present.json.job_id)).json).toMatchObject({ status: 'SUCCESS', error_code: null });
  });

  it('refuses an import from a bucket in another region (IMG.0058) or of another storage class (IMG.0069)', async () => {
    sim.addBucket({ name: 'nl-images', region: 'eu-nl' });
    sim.addBucket({ name: 'cold-images', storage_class: 'COLD' });
    expect((await ims('POST', '/v2/cloudimages/action', systemImport({ image_url: 'nl-images:a.qcow2' }))).json.error.code).toBe('IMG.0058');
    expect((await ims('POST', quick, { ...quickBody, image_url: 'cold-images:a.zvhd2' })).json.error.code).toBe('IMG.0069');
  });

  it('accepts the documented fields of a quick import and an ISO import, and shows them on the image', async () => {
    const arm = await ims('POST', quick, {
      ...quickBody,
      name: 'arm-quick',
      image_url: 'ims-image:arm.zvhd2',
      architecture: 'arm',
      hw_firmware_type: 'bios',
      enterprise_project_id: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
      os_type: 'Linux',
    });
    expect(arm.status).toBe(200);
    const iso = await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'iso-import', image_url: 'ims-image:setup.iso', type: 'IsoImage', os_version: 'Windows Server 2016 Standard 64bit' }));
    expect(iso.status).toBe(200);
    const withData = await ims('POST', '/v2/cloudimages/action', systemImport({
      name: 'with-data',
      hw_firmware_type: 'uefi',
      data_images: [1, 2, 3].map((n) => ({ image_url: `ims-image:data${n}.qcow2`, min_disk: 40 })),
    }));
    expect(withData.status).toBe(200);
    clock += JOB_MS;
    const armImage = (await ims('GET', '/v2/cloudimages?name=arm-quick')).json.images[0];
    // "If the image architecture is Arm, the boot mode is automatically changed to UEFI."
    expect(armImage).toMatchObject({ status: 'active', hw_firmware_type: 'uefi', enterprise_project_id: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9', __lazyloading: 'true' });
    const isoImage = (await ims('GET', '/v2/cloudimages?name=iso-import')).json.images[0];
    expect(isoImage).toMatchObject({ disk_format: 'iso', virtual_env_type: 'IsoImage', __os_type: 'Windows', __platform: 'Windows' });
  });

  it('shows every field a pre-flight check reads on each image, by id and by name', async () => {
    const fields = ['status', 'disk_format', '__image_source_type', '__whole_image', '__imagetype', 'visibility', 'owner', 'min_disk', '__image_size', '__os_version', '__platform', '__originalimagename', '__data_origin', '__support_kvm'];
    for (const id of Object.values(IMG)) {
      const images = (await ims('GET', `/v2/cloudimages?id=${id}`)).json.images as Record<string, unknown>[];
      expect(images).toHaveLength(1);
      for (const field of fields) expect(images[0], `${field} of ${id}`).toHaveProperty(field);
    }
    const iso = (await ims('GET', `/v2/cloudimages?id=${IMG.iso}`)).json.images[0];
    expect(iso.disk_format).toBe('iso');
    const byName = (await ims('GET', '/v2/cloudimages?name=sim-large-200g')).json.images;
    expect(byName.map((i: { id: string }) => i.id)).toEqual([IMG.large]);
  });
});

describe('image names', () => {
  const capture = (over: Record<string, unknown>) => ({ name: 'captured', instance_id: '7c1b2c3d-1111-4222-8333-944455556666', ...over });

  it('lets two live images share a name, as IMS does unless told otherwise', async () => {
    expect((await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'twin' }))).status).toBe(200);
    expect((await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'twin' }))).status).toBe(200);
  });

  it('refuses a second live image of one name with IMG.0009 when names must be unique, but not after the first was killed', async () => {
    const strict = await startImsSimulator({ jobMs: JOB_MS, now: () => clock, uniqueImageNames: true });
    const previous = sim;
    sim = strict;
    try {
      expect((await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'only-one' }))).status).toBe(200);
      expect((await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'only-one' }))).json.error.code).toBe('IMG.0009');
      expect((await ims('POST', '/v2/cloudimages/action', capture({ name: 'only-one' }))).json.error.code).toBe('IMG.0009');
      expect((await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'sim-fail-once' }))).status).toBe(200);
      clock += JOB_MS;
      expect((await ims('POST', '/v2/cloudimages/action', systemImport({ name: 'sim-fail-once' }))).status).toBe(200);
    } finally {
      sim = previous;
      await strict.close();
    }
  });
});

describe('more accounts, each in its own projects', () => {
  const T2 = {
    ak: 'T2AK00000000000000002',
    sk: registerSecret('t2-sk-0000000000000000000000000000000002', 'second account SK'),
    domain: 't2-domain',
    user: 't2-user',
    password: registerSecret('t2-password-not-the-default', 'second account password'),
  };
  const T2P = 'b'.repeat(32);
  const T2P_NL = 'c'.repeat(32);
  let multi: ImsSimulator;
  let previous: ImsSimulator;
  beforeAll(async () => {
    multi = await startImsSimulator({
      jobMs: JOB_MS,
      now: () => clock,
      extraCredentials: [{ ...T2, projects: [{ id: T2P, region: SIM_DEFAULTS.region }, { id: T2P_NL, region: 'eu-nl' }] }],
    });
    previous = sim;
    sim = multi;
  });
  afterAll(async () => {
    sim = previous;
    await multi.close();
  });

  const t2Token = (project: Record<string, string>, over: { user?: string; password?: string; domain?: string } = {}) =>
    call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { name: over.user ?? T2.user, password: over.password ?? T2.password, domain: { name: over.domain ?? T2.domain } } } },
          scope: { project },
        },
      },
    });

  it('gives each account tokens for its own projects only, by id or by region name', async () => {
    expect((await t2Token({ id: T2P })).status).toBe(201);
    expect((await t2Token({ name: 'eu-nl' })).json.token.project.id).toBe(T2P_NL);
    expect((await t2Token({ id: P })).status).toBe(401);
    expect((await call('POST', '/v3/auth/tokens', { body: tokenBody({ project: { id: T2P } }) })).status).toBe(401);
  });

  it('answers 401 for a wrong user, password or domain of the second account', async () => {
    for (const over of [{ user: 'nobody' }, { password: SIM_DEFAULTS.password }, { domain: SIM_DEFAULTS.domain }]) {
      const res = await t2Token({ id: T2P }, over);
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe(401);
    }
  });

  it("keeps one account's jobs and images out of the other's sight", async () => {
    const t2 = String((await t2Token({ id: T2P })).headers['x-subject-token']);
    const job = await call('POST', '/v2/cloudimages/action', { headers: { 'X-Auth-Token': t2 }, body: systemImport({ name: 't2-image' }) });
    expect(job.status).toBe(200);
    expect((await call('GET', `/v1/${T2P}/jobs/${job.json.job_id}`, { headers: { 'X-Auth-Token': t2 } })).json.status).toBe('INIT');
    expect((await jobOf(job.json.job_id)).status).toBe(404);
    expect((await ims('GET', '/v2/cloudimages?name=t2-image')).json.images).toEqual([]);
    const own = await call('GET', '/v2/cloudimages?name=t2-image', { headers: { 'X-Auth-Token': t2 } });
    expect(own.json.images).toHaveLength(1);
  });

  it("refuses an export from a project in another region than the bucket's (IMG.0058)", async () => {
    const id = '5b0e1d2c-aaaa-4bbb-8ccc-123456789abc';
    sim.addImage({ id, name: 'nl-image', owner: T2P_NL });
    const t2nl = String((await t2Token({ id: T2P_NL })).headers['x-subject-token']);
    const exported = await call('POST', `/v1/cloudimages/${id}/file`, { headers: { 'X-Auth-Token': t2nl }, body: { bucket_url: 'ims-image:nl.qcow2', file_format: 'qcow2' } });
    expect(exported.json.error.code).toBe('IMG.0058');
    sim.addBucket({ name: 'nl-bucket', region: 'eu-nl' });
    const inRegion = await call('POST', `/v1/cloudimages/${id}/file`, { headers: { 'X-Auth-Token': t2nl }, body: { bucket_url: 'nl-bucket:nl.qcow2', file_format: 'qcow2' } });
    expect(inRegion.status).toBe(200);
  });

  it("accepts each account's AK/SK in its projects only, and answers 401 for a wrong SK", async () => {
    const signedCall = (ak: string, sk: string, project: string) => {
      const headers = AKSKSigner.sign({ endpoint: `${sim.url}/v2/cloudimages`, method: 'GET', headers: { 'X-Project-Id': project }, queryParams: {} }, {
        getAk: () => ak,
        getSk: () => sk,
      } as never) as Record<string, string>;
      const { host: _host, ...send } = headers;
      return call('GET', '/v2/cloudimages', { headers: send });
    };
    expect((await signedCall(T2.ak, T2.sk, T2P)).status).toBe(200);
    expect((await signedCall(T2.ak, T2.sk, T2P_NL)).status).toBe(200);
    expect((await signedCall(T2.ak, T2.sk, P)).status).toBe(403);
    expect((await signedCall(SIM_DEFAULTS.ak, SIM_DEFAULTS.sk, T2P)).status).toBe(403);
    const wrong = await signedCall(T2.ak, SIM_DEFAULTS.sk, T2P);
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.json)).not.toContain(SIM_DEFAULTS.sk);
    expect((await signedCall(SIM_DEFAULTS.ak, `${SIM_DEFAULTS.sk}0`, P)).status).toBe(401);
  });
});
