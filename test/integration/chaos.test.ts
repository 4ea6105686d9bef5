// Chaos, reduced for CI: 60 requests of every kind through the real intake, worker and poller with
// about 20 % of the IMS calls faulted (bench/chaos: `npm run chaos` runs 1,000), and the two lost-answer
// cases it found, each reproduced on its own with the one fault that caused it (both fixed: evidence decides).
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Figures } from '../../bench/chaos/figures.js';
import { runChaos } from '../../bench/chaos/inprocess.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startPipeline, terminal, type Pipeline } from '../helpers/pipeline.js';

describe('chaos: 60 requests, 20 % IMS faults of every kind', () => {
  let figures: Figures;
  beforeAll(async () => {
    figures = await runChaos({ requests: 60, seed: 7, jobDeadlineMs: 30_000, stallMs: 35_000, deadlineMs: 90_000 });
    // The detail names each request that missed a goal: shown when an assertion fails.
    if (figures.detail.length) console.log(figures.detail.join('\n'));
  }, 150_000);

  it('accepts every valid request and answers every invalid one with a 4xx, never a 5xx', () => {
    expect(figures.accepted + figures.rejected).toBe(figures.requests);
    expect(figures.rejected).toBeGreaterThan(0);
  });

  it('ends every request (none lost)', () => {
    expect(figures.records).toBeGreaterThanOrEqual(figures.accepted);
    expect(figures.lost).toBe(0);
    expect(figures.terminal).toBe(figures.records);
  });

  it('delivers exactly one webhook per finished request', () => {
    expect({ missing: figures.webhooksMissing, duplicate: figures.webhooksDuplicate }).toEqual({ missing: 0, duplicate: 0 });
  });

  it('faulted about a fifth of the IMS calls', () => {
    expect(figures.faultsInjected).toBeGreaterThanOrEqual(Math.floor(figures.imsCalls * 0.15));
  });
});

async function addFault(sim: string, fault: Record<string, unknown>): Promise<void> {
  const res = await request(`${sim}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
  await res.body.text();
  expect(res.statusCode).toBe(201);
}

async function imsCalls(sim: string): Promise<{ method: string; path: string; body: any }[]> {
  const res = await request(`${sim}/_sim/calls`);
  return (await res.body.json()) as { method: string; path: string; body: any }[];
}

async function runFor(p: Pipeline, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await p.runWorker();
    await p.sweep();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('an answer lost after IMS acted', () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  // Once a defect (the retry's IMG.0070, the first job's own object, was taken for success): no retry now, the object decides.
  it('an export IMS then fails is never reported succeeded, and is submitted once', async () => {
    p = await startPipeline({ sim: { jobMs: 3_000 } });
    await addFault(p.sim.url, { match: 'POST /v1/cloudimages/*/file', status: 500, acted: true });
    const bucketUrl = 'sim-fail-bucket:lost-answer/export.qcow2';
    const accepted = await p.api('POST', '/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: bucketUrl, file_format: 'qcow2' });
    expect(accepted.status).toBe(202);
    // Past the IMS job's end (it fails with IMG.0069), with the worker's retry and the poller's checks.
    await runFor(p, 6_000);
    const record = await p.record(accepted.json.id);
    const posts = (await imsCalls(p.sim.url)).filter((c) => c.method === 'POST' && c.path.endsWith('/file') && c.body?.bucket_url === bucketUrl);
    const said = p.receiver.deliveries.filter((d) => d.data.id === record.id).map((d) => d.type);
    expect({ status: record.status, posts: posts.length, webhooks: said }).toEqual({
      status: record.status === 'running' ? 'running' : 'failed',
      posts: 1,
      webhooks: record.status === 'failed' ? ['image.export.failed'] : [],
    });
  }, 30_000);

  // Once a defect (the look-up skipped the killed image and submitted again): a killed image now ends the request.
  it('an import whose image IMS then kills ends failed with one image, submitted once', async () => {
    p = await startPipeline({ sim: { jobMs: 100 } });
    await addFault(p.sim.url, { match: 'POST /v2/cloudimages/action', status: 500, acted: true });
    p.sim.addObject({ bucket: 'chaos-bucket', key: 'lost-answer/import.qcow2' });
    const name = 'sim-fail-lost-answer-import';
    const accepted = await p.api('POST', '/v1/imports', { name, image_url: 'chaos-bucket:lost-answer/import.qcow2', min_disk: 40, os_version: 'Ubuntu 18.04 server 64bit' });
    expect(accepted.status).toBe(202);
    const live = p;
    await live.settle(async () => terminal(await live.record(accepted.json.id)), { rounds: 100 });
    await runFor(p, 1_000);
    const record = await p.record(accepted.json.id);
    const posts = (await imsCalls(p.sim.url)).filter((c) => c.method === 'POST' && c.path === '/v2/cloudimages/action' && c.body?.name === name);
    expect({ status: record.status, posts: posts.length }).toEqual({ status: 'failed', posts: 1 });
  }, 30_000);
});
