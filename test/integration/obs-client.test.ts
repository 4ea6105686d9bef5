import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createObsClient, splitBucketUrl, type ObsClient } from '../../lib/obs/client.js';
import { obsSettings } from '../../lib/obs/settings.js';
import { registerSecret } from '../helpers/secrets.js';

const KEY = { ak: 'OBSTESTAK0001', sk: 'obs-test-sk-0000000000000000000000001' };
registerSecret(KEY.sk);
const target = { region: 'eu-de', key: KEY };

// A stand-in OBS that answers by path and records what it was asked; the scripted answers come first.
let server: Server;
let origin: string;
let seen: { method: string; url: string; authorization: string }[] = [];
let script: { status: number; body?: string; headers?: Record<string, string> }[] = [];

function answerFor(req: IncomingMessage): { status: number; body?: string; headers?: Record<string, string> } {
  const scripted = script.shift();
  if (scripted) return scripted;
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/images/exports/ok.qcow2') return { status: 200, headers: { 'content-length': '1048576', 'x-obs-storage-class': 'STANDARD' } };
  if (url.pathname === '/images' && url.searchParams.has('location')) return { status: 200, body: '<?xml version="1.0"?><Location xmlns="http://obs/doc/2015-06-30/">eu-nl</Location>' };
  if (url.pathname === '/images' && url.searchParams.has('storageClass')) return { status: 200, body: '<StorageClass xmlns="http://obs/">WARM</StorageClass>' };
  if (url.pathname === '/gone' || url.pathname.startsWith('/gone/')) return { status: 404, body: '<Error><Code>NoSuchBucket</Code></Error>' };
  return { status: 404, body: '<Error><Code>NoSuchKey</Code></Error>' };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: String(req.headers.authorization ?? '') });
    const a = answerFor(req);
    res.writeHead(a.status, a.headers ?? {});
    res.end(req.method === 'HEAD' ? undefined : (a.body ?? ''));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = [];
  script = [];
});

function client(): ObsClient {
  return createObsClient(obsSettings.parse({ endpoint: origin, attempts: 3 }));
}

describe('the OBS client', () => {
  it('finds an object with its size and storage class, on a path-style URL with an encoded key and a SigV4 signature', async () => {
    const obs = client();
    expect(await obs.headObject(target, 'images', 'exports/ok.qcow2')).toEqual({ exists: true, size: 1048576, storageClass: 'STANDARD' });
    expect(await obs.headObject(target, 'images', 'exports/not yet.qcow2')).toEqual({ exists: false });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['HEAD /images/exports/ok.qcow2', 'HEAD /images/exports/not%20yet.qcow2']);
    expect(seen[0]?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=OBSTESTAK0001\/\d{8}\/eu-de\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    await obs.close();
  });

  it('reads a bucket\'s region and storage class from OBS\'s XML answers', async () => {
    const obs = client();
    expect(await obs.bucketRegion(target, 'images')).toBe('eu-nl');
    expect(await obs.bucketStorageClass(target, 'images')).toBe('WARM');
    await expect(obs.bucketRegion(target, 'gone')).rejects.toMatchObject({ kind: 'no-bucket', status: 404 });
    await obs.close();
  });

  it('calls a 403 an auth failure and never says the key', async () => {
    script = [{ status: 403, body: '<Error><Code>SignatureDoesNotMatch</Code></Error>' }];
    const obs = client();
    const err = (await obs.bucketStorageClass(target, 'images').catch((e: unknown) => e)) as Error & { kind: string; code: string };
    expect(err).toMatchObject({ kind: 'auth', code: 'SignatureDoesNotMatch' });
    expect(err.message).not.toContain(KEY.sk);
    expect(seen).toHaveLength(1);
    await obs.close();
  });

  it('retries 503 and 429 (every call is a read) and gives up as retryable after its attempts', async () => {
    script = [{ status: 503 }, { status: 429 }];
    const obs = client();
    expect(await obs.headObject(target, 'images', 'exports/ok.qcow2')).toMatchObject({ exists: true });
    expect(seen).toHaveLength(3);
    seen = [];
    script = [{ status: 503 }, { status: 503 }, { status: 503 }];
    await expect(obs.headObject(target, 'images', 'exports/ok.qcow2')).rejects.toMatchObject({ kind: 'retryable', status: 503 });
    expect(seen).toHaveLength(3);
    await obs.close();
  });

  it('calls an unreachable OBS retryable', async () => {
    const obs = createObsClient(obsSettings.parse({ endpoint: 'http://127.0.0.1:1', attempts: 2, timeoutMs: 500 }));
    await expect(obs.headObject(target, 'images', 'x')).rejects.toMatchObject({ kind: 'retryable', status: null });
    await obs.close();
  });

  it('splits bucket:object as IMS writes it', () => {
    expect(splitBucketUrl('images:dir/a.qcow2')).toEqual({ bucket: 'images', object: 'dir/a.qcow2' });
    expect(splitBucketUrl('images:')).toBeNull();
    expect(splitBucketUrl(':x')).toBeNull();
  });
});
