import { randomBytes } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publicRecord, type RequestRecord } from '../../lib/requests/record.js';
import { webhookEventId } from '../../lib/requests/ids.js';
import { deliverWebhook, postJson, postSigned } from '../../lib/webhooks/deliver.js';
import { createGuardedAgent, type ResolveHost } from '../../lib/webhooks/guard.js';
import { storedRequestFixture } from '../helpers/records.js';
import { registerSecret } from '../helpers/secrets.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const received: Received[] = [];
const redirectTargetHits: string[] = [];
let hugeResponseClosed: Promise<void> = Promise.resolve();
let receiver: Server;
let redirectTarget: Server;
let base: string;
let port: number;

const newSecret = (): string => registerSecret(`whsec_${randomBytes(24).toString('base64')}`);

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A failed capture, as callers see it. */
function record(): RequestRecord {
  return publicRecord(
    storedRequestFixture({
      id: 'req_01JINTEGRATION',
      kind: 'capture',
      status: 'failed',
      params: { name: 'web-01', instance_id: '3f9d0c55-5a3b-4a0e-9c1b-2f3c4d5e6f70' },
      project_id: 'p1',
      ims_job_id: 'job1',
      error: { code: 'IMS.0001', message: 'The instance is not stopped.', source: 'ims' },
      attempts: 1,
      created_at: '2026-11-23T09:50:00Z',
      submitted_at: '2026-11-23T09:50:01Z',
      updated_at: '2026-11-23T10:00:00Z',
      completed_at: '2026-11-23T10:00:00Z',
      webhook: { status: 'pending', attempts: 0 },
    }),
  );
}

const staticResolver =
  (...addresses: string[]): ResolveHost =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const agents: Agent[] = [];
function agent(options: Parameters<typeof createGuardedAgent>[0]): Agent {
  const made = createGuardedAgent(options);
  agents.push(made);
  return made;
}

beforeAll(async () => {
  redirectTarget = createServer((req, res) => {
    redirectTargetHits.push(req.url ?? '');
    res.end('followed');
  });
  const redirectTargetPort = await listen(redirectTarget);

  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (path === '/hook') {
        res.writeHead(204).end();
      } else if (path === '/error') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      } else if (path === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end();
      } else if (path === '/to-local') {
        res.writeHead(307, { location: `http://127.0.0.1:${redirectTargetPort}/landed` }).end();
      } else if (path === '/stall') {
        // Never answers: the sender's timeout must end it.
      } else if (path === '/huge') {
        hugeResponseClosed = new Promise((resolve) => res.on('close', () => resolve()));
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk)) {
            // keep writing until the socket pushes back
          }
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  port = await listen(receiver);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.destroy()));
  await Promise.all([close(receiver), close(redirectTarget)]);
});

beforeEach(() => {
  received.length = 0;
  redirectTargetHits.length = 0;
});

describe('deliverWebhook to a local receiver', () => {
  it('delivers an event the receiver verifies with the reference library, with either rotated secret', async () => {
    const [current, previous] = [newSecret(), newSecret()];
    const eventId = webhookEventId('req_01JINTEGRATION', 'failed');
    const result = await deliverWebhook(
      { url: `${base}/hook`, secrets: [current, previous], eventId, record: record(), at: new Date('2026-11-23T10:00:00Z') },
      { agent: agent({ allowLoopback: true, requireHttps: false }) },
    );
    expect(result).toEqual({ ok: true, status: 204 });
    expect(received).toHaveLength(1);
    const [delivery] = received;
    if (!delivery) throw new Error('nothing received');
    const headers = delivery.headers as Record<string, string>;
    expect(headers['webhook-id']).toBe(eventId);
    expect(headers['content-type']).toBe('application/json');
    for (const secret of [current, previous]) {
      const event = new Webhook(secret).verify(delivery.body, headers);
      const { webhook: _, ...data } = record();
      expect(event).toEqual({ type: 'image.capture.failed', timestamp: '2026-11-23T10:00:00Z', data: { ...data, next_check_at: null } });
    }
  });

  it('refuses a loopback receiver when loopback is not allowed, before connecting', async () => {
    const result = await postJson({ url: `${base}/hook`, json: { a: 1 } }, { agent: agent({ allowLoopback: false, requireHttps: false }) });
    expect(result).toMatchObject({ ok: false, kind: 'refused-address' });
    const https = await postJson({ url: `https://127.0.0.1:${port}/hook`, json: {} }, { agent: agent({ allowLoopback: false, requireHttps: true }) });
    expect(https).toMatchObject({ ok: false, kind: 'refused-address' });
    const mapped = await postJson({ url: `https://[::ffff:127.0.0.1]:${port}/hook`, json: {} }, { agent: agent({ allowLoopback: false, requireHttps: true }) });
    expect(mapped).toMatchObject({ ok: false, kind: 'refused-address' });
    expect(received).toHaveLength(0);
  });

  it('refuses the name localhost, which resolves to loopback', async () => {
    const result = await postJson({ url: `https://localhost:${port}/hook`, json: {} }, { agent: agent({ allowLoopback: false, requireHttps: true }) });
    expect(result).toMatchObject({ ok: false, kind: 'refused-address' });
    expect(received).toHaveLength(0);
  });

  it('refuses an invented name that resolves to loopback', async () => {
    const guarded = agent({ allowLoopback: false, requireHttps: true, resolveHost: staticResolver('127.0.0.1') });
    const result = await postJson({ url: `https://hooks.example.test:${port}/hook`, json: {} }, { agent: guarded });
    expect(result).toMatchObject({ ok: false, kind: 'refused-address' });
    expect(received).toHaveLength(0);
  });

  it('refuses a name when any of its addresses is private, even with loopback allowed', async () => {
    const guarded = agent({ allowLoopback: true, requireHttps: false, resolveHost: staticResolver('127.0.0.1', '10.0.0.5') });
    const result = await postJson({ url: `http://rebind.example.test:${port}/hook`, json: {} }, { agent: guarded });
    expect(result).toMatchObject({ ok: false, kind: 'refused-address' });
    expect(received).toHaveLength(0);
  });

  it('connects to the address it checked when a name is allowed', async () => {
    const guarded = agent({ allowLoopback: true, requireHttps: false, resolveHost: staticResolver('127.0.0.1') });
    const result = await postJson({ url: `http://receiver.example.test:${port}/hook`, json: { hello: 'world' } }, { agent: guarded });
    expect(result).toEqual({ ok: true, status: 204 });
    expect(received.map((r) => [r.path, r.headers.host, r.body])).toEqual([['/hook', `receiver.example.test:${port}`, '{"hello":"world"}']]);
  });

  it('refuses http URLs when https is required, and other schemes and credentials always', async () => {
    const cloud = agent({ allowLoopback: true, requireHttps: true });
    expect(await postJson({ url: `${base}/hook`, json: {} }, { agent: cloud })).toMatchObject({ ok: false, kind: 'bad-url' });
    expect(await postJson({ url: 'ftp://example.com/x', json: {} }, { agent: cloud })).toMatchObject({ ok: false, kind: 'bad-url' });
    expect(await postJson({ url: 'not a url', json: {} }, { agent: cloud })).toMatchObject({ ok: false, kind: 'bad-url' });
    expect(await postJson({ url: 'https://user:pw@example.com/', json: {} }, { agent: cloud })).toMatchObject({ ok: false, kind: 'bad-url' });
    expect(received).toHaveLength(0);
  });

  it('does not follow a redirect to the metadata service, and counts it as a failed delivery', async () => {
    const connectedTo: string[] = [];
    const onConnect = (message: unknown): void => {
      connectedTo.push((message as { connectParams: { hostname: string } }).connectParams.hostname);
    };
    diagnosticsChannel.subscribe('undici:client:beforeConnect', onConnect);
    try {
      const result = await postJson({ url: `${base}/to-metadata`, json: {} }, { agent: agent({ allowLoopback: true, requireHttps: false }) });
      expect(result).toMatchObject({ ok: false, kind: 'http', status: 302 });
    } finally {
      diagnosticsChannel.unsubscribe('undici:client:beforeConnect', onConnect);
    }
    expect(connectedTo).toEqual(['127.0.0.1']);
  });

  it('does not follow a redirect even to an allowed address', async () => {
    const result = await postJson({ url: `${base}/to-local`, json: {} }, { agent: agent({ allowLoopback: true, requireHttps: false }) });
    expect(result).toMatchObject({ ok: false, kind: 'http', status: 307 });
    expect(redirectTargetHits).toHaveLength(0);
  });

  it('gives up on a receiver that stalls past the timeout', async () => {
    const started = Date.now();
    const result = await postJson({ url: `${base}/stall`, json: {} }, { agent: agent({ allowLoopback: true, requireHttps: false }), timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops reading an endless response body at the cap', async () => {
    const started = Date.now();
    const result = await postJson(
      { url: `${base}/huge`, json: {} },
      { agent: agent({ allowLoopback: true, requireHttps: false }), maxResponseBytes: 1024, timeoutMs: 5_000 },
    );
    expect(result).toEqual({ ok: true, status: 200 });
    expect(Date.now() - started).toBeLessThan(2_000); // well before the timeout would have cut the read
    await hugeResponseClosed; // the receiver sees its endless response cut off
  });

  it('reports a non-2xx answer as an http failure with its status and without the query', async () => {
    registerSecret('very-secret-token');
    const result = await postSigned(
      { url: `${base}/error?token=very-secret-token`, body: '{}', headers: { 'content-type': 'application/json' } },
      { agent: agent({ allowLoopback: true, requireHttps: false }) },
    );
    expect(result).toMatchObject({ ok: false, kind: 'http', status: 500 });
    expect(JSON.stringify(result)).not.toContain('very-secret-token');
  });

  it('reports a closed port as a network failure', async () => {
    const closed = createServer();
    const closedPort = await listen(closed);
    await close(closed);
    const result = await postJson({ url: `http://127.0.0.1:${closedPort}/`, json: {} }, { agent: agent({ allowLoopback: true, requireHttps: false }) });
    expect(result).toMatchObject({ ok: false, kind: 'network', message: 'network error (ECONNREFUSED)' });
  });
});
