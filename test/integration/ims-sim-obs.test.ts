// The simulator's OBS over real sockets: SigV4 checked (AWS SDK and hand-signed requests), buckets with
// region and storage class, objects written by exports, and a state directory that survives a restart.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetBucketLocationCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startImsSimulator, type ImsSimulator } from '../../local/ims-sim/server.js';
import { NodeSha256 } from '../helpers/node-sha256.js';

const JOB_MS = 10_000;
const P = SIM_DEFAULTS.projectId;
const IMG = SIM_DEFAULTS.images;
const EMPTY = createHash('sha256').digest('hex');

let clock = Date.now();
let sim: ImsSimulator;

const s3 = (sk: string = SIM_DEFAULTS.sk) =>
  new S3Client({
    endpoint: sim.obsUrl,
    forcePathStyle: true,
    region: SIM_DEFAULTS.region,
    credentials: { accessKeyId: SIM_DEFAULTS.ak, secretAccessKey: sk },
    maxAttempts: 1,
  });

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; text: string }

/** A small undici request signed with SigV4 by the AWS SDK's signer; `tamper` changes it after signing. */
async function obs(method: 'GET' | 'HEAD', path: string, opts: { query?: Record<string, string>; sk?: string; tamper?: (h: Record<string, string>) => void } = {}): Promise<Reply> {
  const url = new URL(sim.obsUrl);
  const signer = new SignatureV4({
    credentials: { accessKeyId: SIM_DEFAULTS.ak, secretAccessKey: opts.sk ?? SIM_DEFAULTS.sk },
    region: SIM_DEFAULTS.region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query: opts.query ?? {},
    headers: { host: url.host, 'x-amz-content-sha256': EMPTY },
  });
  const headers = { ...(signed.headers as Record<string, string>) };
  delete headers.host;
  opts.tamper?.(headers);
  const qs = new URLSearchParams(opts.query ?? {}).toString().replace(/=(&|$)/g, '$1');
  const res = await request(`${sim.obsUrl}${path}${qs ? `?${qs}` : ''}`, { method, headers });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

async function control(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await request(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}

async function tokenFrom(target: ImsSimulator): Promise<string> {
  const auth = await request(`${target.url}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: SIM_DEFAULTS.user, password: SIM_DEFAULTS.password, domain: { name: SIM_DEFAULTS.domain } } } },
        scope: { project: { id: P } },
      },
    }),
  });
  await auth.body.text();
  return String(auth.headers['x-subject-token']);
}

async function ims(method: string, path: string, body?: unknown, target = sim, token?: string): Promise<{ status: number; json: any }> {
  const res = await request(`${target.url}${path}`, {
    method: method as 'GET',
    headers: { 'x-auth-token': token ?? (await tokenFrom(target)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}

const exportTo = (bucketUrl: string, imageId: string = IMG.exportable) =>
  ims('POST', `/v1/cloudimages/${imageId}/file`, { bucket_url: bucketUrl, file_format: 'qcow2' });

beforeAll(async () => {
  sim = await startImsSimulator({ jobMs: JOB_MS, now: () => clock });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  clock = Date.now();
});

describe('OBS signatures', () => {
  it('answers a HEAD object and the bucket location asked through the AWS SDK', async () => {
    sim.addObject({ bucket: 'ims-in', key: 'dir/centos.raw', size: 123_456, format: 'raw' });
    const head = await s3().send(new HeadObjectCommand({ Bucket: 'ims-in', Key: 'dir/centos.raw' }));
    expect(head.ContentLength).toBe(123_456);
    expect(head.Metadata).toEqual({ format: 'raw' });
    const location = await s3().send(new GetBucketLocationCommand({ Bucket: 'ims-in' }));
    expect(location.LocationConstraint).toBe(SIM_DEFAULTS.region);
  });

  it('refuses the AWS SDK with a wrong secret key (403 SignatureDoesNotMatch)', async () => {
    sim.addObject({ bucket: 'ims-in', key: 'a.raw' });
    const refused = await s3(`${SIM_DEFAULTS.sk}x`)
      .send(new HeadObjectCommand({ Bucket: 'ims-in', Key: 'a.raw' }))
      .catch((err: { $metadata?: { httpStatusCode?: number } }) => err);
    expect((refused as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    const xml = await obs('GET', '/ims-in/a.raw', { sk: `${SIM_DEFAULTS.sk}x` });
    expect(xml.status).toBe(403);
    expect(xml.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('accepts a hand-signed request and refuses it once a signed header or the path is changed', async () => {
    sim.addObject({ bucket: 'ims-in', key: 'b.raw', size: 10 });
    expect((await obs('GET', '/ims-in/b.raw')).status).toBe(200);
    const date = await obs('GET', '/ims-in/b.raw', { tamper: (h) => (h['x-amz-date'] = h['x-amz-date']!.replace(/\d(?=Z$)/, (d) => String((Number(d) + 1) % 10))) });
    expect(date.status).toBe(403);
    expect(date.text).toContain('SignatureDoesNotMatch');
    const signature = await obs('GET', '/ims-in/b.raw', { tamper: (h) => (h.authorization = h.authorization!.replace(/.$/, (c) => (c === '0' ? '1' : '0'))) });
    expect(signature.text).toContain('SignatureDoesNotMatch');
  });

  it('refuses an unsigned request with 403 AccessDenied and logs OBS calls apart from IMS ones', async () => {
    const res = await request(`${sim.obsUrl}/ims-in/c.raw`);
    expect(res.statusCode).toBe(403);
    expect(await res.body.text()).toContain('<Code>AccessDenied</Code>');
    expect(sim.calls().map((c) => [c.service, c.method, c.path, c.auth])).toEqual([['obs', 'GET', '/ims-in/c.raw', 'none']]);
  });

  it('gives ranges of an object and its zero bytes', async () => {
    sim.addObject({ bucket: 'ims-in', key: 'small.raw', size: 100 });
    const all = await obs('GET', '/ims-in/small.raw');
    expect(all.text).toBe('\0'.repeat(100));
    expect(all.headers['content-length']).toBe('100');
  });
});

describe('OBS buckets', () => {
  it('answers location and storage class for a bucket made through the control API, both names of each class', async () => {
    expect((await control('/_sim/buckets', { name: 'cold-nl', region: 'eu-nl', storage_class: 'GLACIER' })).status).toBe(201);
    const location = await obs('GET', '/cold-nl', { query: { location: '' } });
    expect(location.text).toContain('>eu-nl</LocationConstraint>');
    const cls = await obs('GET', '/cold-nl', { query: { storageClass: '' } });
    expect(cls.text).toMatch(/<StorageClass[^>]*>COLD<\/StorageClass>/);
    const policy = await obs('GET', '/cold-nl', { query: { storagePolicy: '' } });
    expect(policy.text).toContain('<DefaultStorageClass>GLACIER</DefaultStorageClass>');
    const head = await obs('HEAD', '/cold-nl');
    expect(head.headers['x-amz-bucket-region']).toBe('eu-nl');
  });

  it('treats a bucket nobody made as a Standard bucket in its own region', async () => {
    const cls = await obs('GET', '/any-bucket', { query: { storageClass: '' } });
    expect(cls.text).toMatch(/>STANDARD</);
    expect((await obs('GET', '/any-bucket', { query: { location: '' } })).text).toContain(`>${SIM_DEFAULTS.region}<`);
  });

  it('serves a bucket whose name starts like an IMS version path', async () => {
    sim.addObject({ bucket: 'v10', key: 'a.raw', size: 3 });
    expect((await obs('HEAD', '/v10/a.raw')).status).toBe(200);
    expect(sim.calls().map((c) => c.service)).toEqual(['obs']);
  });

  it('refuses a bucket named like an IP address through the control API', async () => {
    expect((await control('/_sim/buckets', { name: '192.168.1.10' })).status).toBe(400);
  });
});

describe('exports write their object', () => {
  it('has no object while the export runs and a complete one after it succeeded', async () => {
    const job = await exportTo('ims-out:exports/centos.qcow2');
    expect(job.status).toBe(200);
    expect((await obs('HEAD', '/ims-out/exports/centos.qcow2')).status).toBe(404);
    clock += JOB_MS / 2;
    expect((await obs('HEAD', '/ims-out/exports/centos.qcow2')).status).toBe(404);
    clock += JOB_MS;
    const head = await obs('HEAD', '/ims-out/exports/centos.qcow2');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(40 * 1024 ** 3);
    expect(head.headers['x-amz-meta-format']).toBe('qcow2');
    expect((await ims('GET', `/v1/${P}/jobs/${job.json.job_id}`)).json.status).toBe('SUCCESS');
  });

  it('writes nothing for a failed export', async () => {
    expect((await exportTo('sim-fail-out:x.qcow2')).status).toBe(200);
    clock += JOB_MS * 2;
    expect((await obs('HEAD', '/sim-fail-out/x.qcow2')).status).toBe(404);
  });

  it('refuses an export onto an object that is already there (IMG.0070), and one into another region or class', async () => {
    sim.addObject({ bucket: 'ims-out', key: 'there.qcow2' });
    expect((await exportTo('ims-out:there.qcow2')).json.error.code).toBe('IMG.0070');
    sim.addBucket({ name: 'far-away', region: 'eu-nl' });
    expect((await exportTo('far-away:x.qcow2')).json.error.code).toBe('IMG.0058');
    sim.addBucket({ name: 'warm-one', storage_class: 'WARM' });
    expect((await exportTo('warm-one:x.qcow2')).json.error.code).toBe('IMG.0069');
    expect((await obs('HEAD', '/warm-one/x.qcow2')).status).toBe(404);
  });

  it('hides an object still being written (complete: false)', async () => {
    expect((await control('/_sim/objects', { bucket: 'ims-out', key: 'partial.qcow2', size: 5, complete: false })).status).toBe(201);
    expect((await obs('HEAD', '/ims-out/partial.qcow2')).status).toBe(404);
    expect((await obs('GET', '/ims-out/partial.qcow2')).text).toContain('<Code>NoSuchKey</Code>');
  });
});

describe('jobs IMS no longer knows', () => {
  it('answers 404 to the query of a forgotten job, and keeps what its export had written', async () => {
    const job = await exportTo('ims-out:forget.qcow2');
    clock += JOB_MS;
    expect((await control(`/_sim/jobs/${job.json.job_id}/forget`, {})).status).toBe(204);
    expect((await ims('GET', `/v1/${P}/jobs/${job.json.job_id}`)).status).toBe(404);
    expect((await obs('HEAD', '/ims-out/forget.qcow2')).status).toBe(200);
    expect((await control('/_sim/jobs/unknown/forget', {})).status).toBe(404);
  });

  it('keeps the image of a forgotten import in the status it had', async () => {
    const job = await ims('POST', '/v2/cloudimages/action', { name: 'forgotten', image_url: 'ims-in:a.qcow2', min_disk: 40, os_version: 'CentOS 7.6 64bit' });
    clock += JOB_MS / 2;
    expect(sim.forgetJob(job.json.job_id)).toBe(true);
    clock += JOB_MS * 2;
    const found = await ims('GET', '/v2/cloudimages?name=forgotten');
    expect(found.json.images.map((i: { status: string }) => i.status)).toEqual(['saving']);
  });
});

describe('the state directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ims-sim-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start on a state file it cannot read, naming the file', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'ims-sim-broken-'));
    try {
      writeFileSync(join(broken, 'state.json'), '{"version":1,"jobs":');
      await expect(startImsSimulator({ stateDir: broken })).rejects.toThrow(join(broken, 'state.json'));
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('remembers jobs, images, buckets, objects and tokens across a restart, and the jobs run on by the clock', async () => {
    let now = Date.now();
    const first = await startImsSimulator({ jobMs: JOB_MS, now: () => now, stateDir: dir });
    const token = await tokenFrom(first);
    const imported = await ims('POST', '/v2/cloudimages/action', { name: 'survivor', image_url: 'ims-in:s.qcow2', min_disk: 40, os_version: 'CentOS 7.6 64bit' }, first, token);
    expect(imported.status).toBe(200);
    first.addBucket({ name: 'kept-bucket', region: 'eu-nl', storage_class: 'COLD' });
    first.addObject({ bucket: 'kept-bucket', key: 'k.raw', size: 7 });
    await first.close();

    now += JOB_MS;
    const second = await startImsSimulator({ jobMs: JOB_MS, now: () => now, stateDir: dir });
    try {
      // The token issued before the restart is still good.
      const job = await ims('GET', `/v1/${P}/jobs/${imported.json.job_id}`, undefined, second, token);
      expect(job.json).toMatchObject({ status: 'SUCCESS', entities: { image_name: 'survivor' } });
      const images = await ims('GET', '/v2/cloudimages?name=survivor', undefined, second);
      expect(images.json.images).toHaveLength(1);
      expect(images.json.images[0].status).toBe('active');
      const listed = await request(`${second.url}/_sim/objects`);
      const state = (await listed.body.json()) as { buckets: { name: string }[]; objects: { key: string }[] };
      expect(state.buckets.map((b) => b.name)).toEqual(['kept-bucket']);
      expect(state.objects.map((o) => o.key)).toEqual(['k.raw']);
    } finally {
      await second.close();
    }
  });
});
