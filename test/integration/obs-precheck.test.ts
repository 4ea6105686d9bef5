// The OBS checks before a submission, over real sockets against the simulator's OBS (SigV4-signed
// reads): an export onto an object that exists, to a bucket of another region or of another storage
// class, and an import whose source object does not exist are refused with source `precheck` and
// no IMS POST; without OBS credentials the checks are skipped, IMS decides, and the record says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../lib/requests/record.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startPipeline, terminal, uploadSources, type Pipeline } from '../helpers/pipeline.js';

const EXPORTABLE = SIM_DEFAULTS.images.exportable;
const CREATION_PATHS = ['/v2/cloudimages/action', '/v1/cloudimages/dataimages/action', '/v2/cloudimages/quickimport/action'];

async function finished(p: Pipeline, id: string): Promise<RequestRecord> {
  await p.settle(async () => {
    const r = await p.record(id);
    return terminal(r) && r.webhook.status !== 'pending';
  });
  return p.record(id);
}

async function submit(p: Pipeline, path: string, body: Record<string, unknown>): Promise<string> {
  const res = await p.api('POST', path, body);
  expect(res.status).toBe(202);
  return res.json.id as string;
}

const exportPosts = (p: Pipeline, bucketUrl: string) =>
  p.sim.calls().filter((c) => c.method === 'POST' && c.path === `/v1/cloudimages/${EXPORTABLE}/file` && (c.body as { bucket_url?: unknown } | null)?.bucket_url === bucketUrl);
const importPosts = (p: Pipeline, name: string) =>
  p.sim.calls().filter((c) => c.method === 'POST' && CREATION_PATHS.includes(c.path) && (c.body as { name?: unknown } | null)?.name === name);
const hooksOf = (p: Pipeline, id: string) => p.receiver.deliveries.filter((d) => d.data.id === id).map((d) => d.type);

describe('with OBS credentials', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline();
    p.sim.addBucket({ name: 'far-bucket', region: 'eu-nl' });
    p.sim.addBucket({ name: 'warm-bucket', storage_class: 'WARM' });
    p.sim.addObject({ bucket: 'ims-exports', key: 'precheck/exists.qcow2' });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it.each([
    ['onto an object that already exists', 'ims-exports:precheck/exists.qcow2', 'IMG.0070', /already exists/],
    ['to a bucket in another region', 'far-bucket:precheck/far.qcow2', 'IMG.0058', /region eu-nl/],
    ['to a bucket of the Warm storage class', 'warm-bucket:precheck/warm.qcow2', 'BUCKET_STORAGE_CLASS', /WARM storage class/],
  ])('refuses an export %s before any POST to IMS', async (_name, bucketUrl, code, message) => {
    const id = await submit(p, '/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    const done = await finished(p, id);
    expect(done).toMatchObject({ status: 'failed', attempts: 0, ims_job_id: null, error: { code, source: 'precheck' } });
    expect(done.error?.message).toMatch(message);
    expect(done.error?.hint).toBeTruthy();
    expect(exportPosts(p, bucketUrl)).toHaveLength(0);
    expect(hooksOf(p, id)).toEqual(['image.export.failed']);
  });

  it('refuses an import whose source object does not exist, and imports one that does', async () => {
    const missing = await submit(p, '/v1/imports', { name: 'precheck-missing', image_url: 'ims-images:precheck/missing.qcow2', min_disk: 40 });
    const refused = await finished(p, missing);
    expect(refused).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'SOURCE_OBJECT_MISSING', source: 'precheck' } });
    expect(importPosts(p, 'precheck-missing')).toHaveLength(0);

    const body = { name: 'precheck-present', image_url: 'ims-images:precheck/present.qcow2', min_disk: 40 };
    uploadSources(p.sim, body);
    const done = await finished(p, await submit(p, '/v1/imports', body));
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(done.evidence ?? null).toBeNull();
    expect(importPosts(p, 'precheck-present')).toHaveLength(1);
  });

  it('lets an export to a free object in a Standard bucket of its region through, and it succeeds', async () => {
    const bucketUrl = 'ims-exports:precheck/free.qcow2';
    const done = await finished(p, await submit(p, '/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' }));
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(exportPosts(p, bucketUrl)).toHaveLength(1);
    // Region, storage class and the object itself were read, signed, from OBS.
    expect(p.sim.calls().filter((c) => c.service === 'obs' && c.auth === 'sigv4').length).toBeGreaterThanOrEqual(3);
  });
});

describe('without OBS credentials', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ settings: { OBS_AK: '', OBS_SK: '' } });
    p.sim.addObject({ bucket: 'ims-exports', key: 'precheck/exists.qcow2' });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('skips the checks and says so on the record; IMS refuses what it refuses, with its own code', async () => {
    const bucketUrl = 'ims-exports:precheck/exists.qcow2';
    const refused = await finished(p, await submit(p, '/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' }));
    expect(refused).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'IMG.0070', source: 'ims' } });
    expect(exportPosts(p, bucketUrl)).toHaveLength(1);

    const done = await finished(p, await submit(p, '/v1/exports', { image_id: EXPORTABLE, bucket_url: 'ims-exports:precheck/unchecked.qcow2', file_format: 'qcow2' }));
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(done.evidence).toMatch(/skipped: no OBS credentials/);
    expect(p.sim.calls().filter((c) => c.service === 'obs')).toEqual([]);
  });
});
