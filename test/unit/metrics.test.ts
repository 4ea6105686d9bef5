// The metrics as CloudWatch reads them: one Embedded Metric Format line per event on stdout, with
// its few dimensions; IMS calls counted by result over a real socket.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpTransport } from '../../lib/ims/http.js';

process.env.METRICS_NAMESPACE = 'ims-transfer/test';
const { countIntake, measuredTransport, recordJobEnd, recordWebhook } = await import('../../lib/metrics.js');

type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } };

/** The EMF lines `run` writes to stdout. */
async function emitted(run: () => unknown): Promise<Emf[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
}

const names = (line: Emf | undefined) => line?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name);
const dimensions = (line: Emf | undefined) => line?._aws.CloudWatchMetrics[0]?.Dimensions[0]?.slice().sort();

let server: Server;
let origin: string;
const statuses: number[] = [];

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  statuses.length = 0;
});

describe('metrics', () => {
  it('counts an accepted request by where it came from, and a refused one by why', async () => {
    const [accepted, refused] = await emitted(() => {
      countIntake('chat', 'created');
      countIntake('http', 'rate-limited');
    });
    expect(accepted).toMatchObject({ RequestsAccepted: 1, via: 'chat', service: 'ims-transfer' });
    expect(accepted?._aws.CloudWatchMetrics[0]?.Namespace).toBe('ims-transfer/test');
    expect(dimensions(accepted)).toEqual(['service', 'via']);
    expect(refused).toMatchObject({ RequestsRefused: 1, reason: 'rate-limited' });
    expect(dimensions(refused)).toEqual(['reason', 'service']);
  });

  it('counts each IMS call by its result, an HTTP status or a network failure, with its duration', async () => {
    const transport = measuredTransport(createHttpTransport({ connectMs: 1_000, headersMs: 2_000, bodyMs: 2_000 }));
    statuses.push(429, 200);
    const lines = await emitted(async () => {
      await transport.send(origin, { method: 'GET', path: '/v2/cloudimages', headers: {} });
      await transport.send(origin, { method: 'GET', path: '/v2/cloudimages', headers: {} });
      await transport.send('http://127.0.0.1:1', { method: 'GET', path: '/v2/cloudimages', headers: {} }).catch(() => undefined);
    });
    await transport.close();
    expect(lines.map((l) => l.result)).toEqual(['429', 'ok', expect.stringMatching(/^[A-Z_]+$/)]);
    for (const line of lines) {
      expect(names(line)).toEqual(['ImsCalls', 'ImsCallDuration']);
      expect(line.ImsCallDuration).toEqual(expect.any(Number));
    }
  });

  it('records how long a job took when its request ends, and the lag until its webhook was delivered', async () => {
    const [job, delivered, retry] = await emitted(() => {
      recordJobEnd({ kind: 'export', status: 'succeeded', submitted_at: '2026-01-01T00:00:00.000Z', completed_at: '2026-01-01T00:10:00.000Z' });
      recordWebhook('delivered', '2026-01-01T00:10:00.000Z', new Date('2026-01-01T00:10:02.500Z'));
      recordWebhook('pending', '2026-01-01T00:10:00.000Z', new Date('2026-01-01T00:10:03.000Z'));
    });
    expect(job).toMatchObject({ JobDuration: 600, kind: 'export', outcome: 'succeeded' });
    expect(delivered).toMatchObject({ WebhookDeliveries: 1, NotificationLag: 2.5, result: 'delivered' });
    expect(names(retry)).toEqual(['WebhookDeliveries']);
    expect(retry?.result).toBe('pending');
  });
});
