// From a request to a verified webhook, over real sockets: intake handler → fauxqs → worker →
// IMS simulator → poller → a receiver that verifies each delivery with standardwebhooks.
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClient } from '../../lib/aws.js';
import type { RequestRecord, StoredRequest } from '../../lib/requests/record.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startPipeline, terminal, uploadSources, type Pipeline } from '../helpers/pipeline.js';

const INSTANCE = '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';

let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline();
});

afterAll(async () => {
  await p?.stop();
});

async function until(id: string, pred: (r: RequestRecord) => boolean = terminal): Promise<RequestRecord> {
  await p.settle(async () => pred(await p.record(id)));
  return p.record(id);
}

async function finished(id: string): Promise<RequestRecord> {
  return until(id, (r) => terminal(r) && r.webhook.status !== 'pending');
}

function deliveriesOf(id: string) {
  return p.receiver.deliveries.filter((d) => d.data.id === id);
}

async function submit(path: string, body: unknown): Promise<string> {
  uploadSources(p.sim, body);
  const res = await p.api('POST', path, body);
  expect(res.status).toBe(202);
  return res.json.id as string;
}

describe('a request from intake to a signed webhook', () => {
  it('exports an image to OBS and says so in one verified webhook', async () => {
    const id = await submit('/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'ims-exports:e2e/centos.qcow2', file_format: 'qcow2', client_ref: 't-1' });
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'succeeded', image_id: SIM_DEFAULTS.images.exportable, progress: 100, attempts: 1, error: null, client_ref: 't-1' });
    expect(done.ims_job_id).toMatch(/^[0-9a-f]{32}$/);
    expect(done.completed_at).not.toBeNull();
    expect(done.webhook).toEqual({ status: 'delivered', attempts: 1 });
    const hooks = deliveriesOf(id);
    expect(hooks.map((d) => d.type)).toEqual(['image.export.succeeded']);
    expect(hooks[0]?.data).toMatchObject({ id, status: 'succeeded', client_ref: 't-1' });
  });

  it('reports a failed export job with IMS error code and reason verbatim', async () => {
    const id = await submit('/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'sim-fail-bucket:e2e/x.qcow2', file_format: 'vmdk' });
    const done = await finished(id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ source: 'ims', code: expect.stringMatching(/^IMG\.\d{4}$/) });
    expect(done.error?.message.length).toBeGreaterThan(5);
    const hooks = deliveriesOf(id);
    expect(hooks.map((d) => d.type)).toEqual(['image.export.failed']);
    expect(hooks[0]?.data.error).toEqual(done.error);
  });

  it.each([
    ['system disk', { name: 'e2e-system', image_url: 'ims-images:e2e/system.qcow2', min_disk: 40, os_version: 'CentOS 7.6 64bit' }],
    ['data disk', { name: 'e2e-data', image_url: 'ims-images:e2e/data.qcow2', min_disk: 100, disk: 'data' }],
    ['quick import', { name: 'e2e-quick', image_url: 'ims-images:e2e/quick.zvhd2', min_disk: 40, os_version: 'CentOS 7.6 64bit', quick: true }],
  ])('imports a %s image and records the new image id', async (_kind, body) => {
    const id = await submit('/v1/imports', body);
    const done = await finished(id);
    expect(done.status).toBe('succeeded');
    expect(done.image_id).toMatch(/^[0-9a-f-]{36}$/);
    const image = await p.worker.ims.getImage({ region: done.region, projectId: done.project_id }, done.image_id as string);
    expect(image).toMatchObject({ name: body.name, status: 'active', __data_origin: `file,${body.image_url}` });
    expect(deliveriesOf(id).map((d) => d.type)).toEqual(['image.import.succeeded']);
  });

  it('fails an import whose IMS job fails, with its code', async () => {
    const id = await submit('/v1/imports', { name: 'sim-fail-import', image_url: 'ims-images:e2e/broken.qcow2', min_disk: 40 });
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'failed', error: { source: 'ims' } });
    expect(deliveriesOf(id).map((d) => d.type)).toEqual(['image.import.failed']);
  });

  it('captures an ECS through IMS, and fails a capture whose job fails', async () => {
    const ok = await submit('/v1/captures', { name: 'e2e-capture', instance_id: INSTANCE });
    const bad = await submit('/v1/captures', { name: 'sim-fail-capture', instance_id: INSTANCE });
    const [good, failed] = [await finished(ok), await finished(bad)];
    expect(good.status).toBe('succeeded');
    expect(good.image_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(failed).toMatchObject({ status: 'failed', error: { source: 'ims' } });
    expect(deliveriesOf(ok).map((d) => d.type)).toEqual(['image.capture.succeeded']);
    expect(deliveriesOf(bad).map((d) => d.type)).toEqual(['image.capture.failed']);
  });

  it('captures then exports: the child export is recorded and the parent webhook names it', async () => {
    const id = await submit('/v1/captures', {
      name: 'e2e-capture-export',
      instance_id: INSTANCE,
      then_export: { bucket_url: 'ims-exports:e2e/captured.qcow2', file_format: 'qcow2' },
    });
    const parent = await finished(id);
    expect(parent.status).toBe('succeeded');
    expect(parent.child_id).toMatch(/^req_/);
    const child = await finished(parent.child_id as string);
    expect(child).toMatchObject({ kind: 'export', status: 'succeeded', parent_id: id, image_id: parent.image_id });
    expect(child.params).toMatchObject({ image_id: parent.image_id, bucket_url: 'ims-exports:e2e/captured.qcow2' });
    const parentHooks = deliveriesOf(id);
    expect(parentHooks.map((d) => d.type)).toEqual(['image.capture.succeeded']);
    expect(parentHooks[0]?.data.child_id).toBe(child.id);
    expect(deliveriesOf(child.id).map((d) => d.type)).toEqual(['image.export.succeeded']);
  });

  it('takes requests put straight on the queue, and records an invalid one as failed', async () => {
    const sqs = sqsClient({ endpoint: p.services.sqsEndpoint, region: p.services.region });
    const send = (body: unknown) => {
      uploadSources(p.sim, body);
      return sqs.send(new SendMessageCommand({ QueueUrl: p.services.queueUrl, MessageBody: JSON.stringify(body) }));
    };
    await send({ kind: 'import', tenant: 'acme', request: { name: 'e2e-direct', image_url: 'ims-images:e2e/direct.qcow2', min_disk: 40, client_ref: 'direct-1' }, idempotency_key: 'direct-1' });
    await send({ kind: 'export', tenant: 'acme', request: { image_id: 'not-a-uuid', bucket_url: 'ims-exports:x.qcow2', file_format: 'qcow2' } });
    await p.settle(async () => (await p.api('GET', '/v1/requests?limit=100')).json.items.some((r: RequestRecord) => r.client_ref === 'direct-1' && terminal(r)));
    const items: RequestRecord[] = (await p.api('GET', '/v1/requests?limit=100')).json.items;
    const direct = items.find((r) => r.client_ref === 'direct-1');
    expect(direct).toMatchObject({ kind: 'import', status: 'succeeded' });
    const invalid = items.find((r) => r.kind === 'export' && r.error?.source === 'validation');
    expect(invalid).toMatchObject({ status: 'failed', error: { code: 'VALIDATION', message: expect.stringContaining('image_id') } });
    await finished(invalid!.id);
    expect(deliveriesOf(invalid!.id).map((d) => d.type)).toEqual(['image.export.failed']);
  });

  it('keeps the well-formed callback_url and client_ref of an invalid message, and fails a reused key with another body', async () => {
    const sqs = sqsClient({ endpoint: p.services.sqsEndpoint, region: p.services.region });
    const send = (body: unknown) => sqs.send(new SendMessageCommand({ QueueUrl: p.services.queueUrl, MessageBody: JSON.stringify(body) }));
    const hook = 'https://hooks.example.com/ims/invalid';
    await send({ kind: 'export', tenant: 'acme', request: { image_id: 'nope', bucket_url: 'ims-exports:y.qcow2', file_format: 'qcow2', client_ref: 'bad-1', callback_url: hook, region: 'EU DE' } });
    const first = { kind: 'import', tenant: 'acme', request: { name: 'e2e-key-reuse', image_url: 'ims-images:e2e/reuse.qcow2', min_disk: 40, client_ref: 'reuse-1' }, idempotency_key: 'reuse' };
    await send(first);
    await p.settle(async () => (await p.api('GET', '/v1/requests?limit=100')).json.items.some((r: RequestRecord) => r.client_ref === 'reuse-1'));
    await send({ ...first, request: { ...first.request, client_ref: 'reuse-2', min_disk: 50 } });
    await p.settle(async () => (await p.api('GET', '/v1/requests?limit=100')).json.items.some((r: RequestRecord) => r.client_ref === 'reuse-2'));

    const items: RequestRecord[] = (await p.api('GET', '/v1/requests?limit=100')).json.items;
    const bad = items.find((r) => r.client_ref === 'bad-1');
    expect(bad).toMatchObject({ status: 'failed', error: { source: 'validation' }, region: 'eu-de' });
    const stored = (await p.worker.store.get(bad!.id)) as StoredRequest;
    expect(stored.internal.callback_url).toBe(hook);

    const reused = items.find((r) => r.client_ref === 'reuse-2');
    expect(reused).toMatchObject({ status: 'failed', error: { code: 'VALIDATION', source: 'validation', message: expect.stringContaining('idempotency_key') } });
    // The first request is untouched by the second message.
    expect(items.filter((r) => r.client_ref === 'reuse-1')).toHaveLength(1);
  });
});
