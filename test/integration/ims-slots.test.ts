// The per-project cap on IMS jobs in flight: the slots item over dynalite, then a burst of 200
// requests for one project through the in-process pipeline (real worker and poller handlers,
// fauxqs, the IMS simulator), measured from the simulator's call log and the records.
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient, sqsClient } from '../../lib/aws.js';
import type { RequestRecord } from '../../lib/requests/record.js';
import { hashSecret, newApiKey, newWebhookSecret } from '../../lib/tenants.js';
import { createImsSlots, type ImsSlots } from '../../lib/store/ims-slots.js';
import { startPipeline, uploadSources, type Pipeline } from '../helpers/pipeline.js';
import { registerSecret } from '../helpers/secrets.js';
import { startTestServices } from '../helpers/services.js';
import { createRequestListing } from '../../lib/store/request-list.js';

const PROJECT = { region: 'eu-de', project_id: '0123456789abcdef0123456789abcdef' };
const request = (id: string, project = PROJECT) => ({ id, ...project });

describe('IMS slots of a project', () => {
  let t: Awaited<ReturnType<typeof startTestServices>>;
  const slots = (maxInFlight: number, leaseMs = 60_000): ImsSlots =>
    createImsSlots({ client: t.dynamo, tableName: t.services.tableName, maxInFlight, leaseMs, waitSeconds: 10, random: () => 0.5 });

  beforeAll(async () => {
    t = await startTestServices();
  });
  afterAll(async () => {
    await t?.services.stop();
  });

  it('gives out at most N slots, asks the next request to wait, and gives a released slot to it', async () => {
    const cap = slots(2);
    const now = new Date();
    const project = { region: 'eu-de', project_id: 'a'.repeat(32) };
    expect(await cap.take(request('req_a', project), now)).toEqual({ ok: true });
    expect(await cap.take(request('req_b', project), now)).toEqual({ ok: true });
    expect(await cap.take(request('req_c', project), now)).toEqual({ ok: false, retryAfterSeconds: 15 });
    // The holder asking again (a redelivered message) keeps its slot.
    expect(await cap.take(request('req_a', project), now)).toEqual({ ok: true });
    // Another project has its own slots.
    expect(await cap.take(request('req_c', { region: 'eu-de', project_id: 'b'.repeat(32) }), now)).toEqual({ ok: true });
    await cap.release(request('req_a', project));
    await cap.release(request('req_a', project));
    expect(await cap.take(request('req_c', project), now)).toEqual({ ok: true });
    expect(await cap.take(request('req_d', project), now)).toMatchObject({ ok: false });
  });

  it('lets a lease that was not renewed lapse, and never renews a slot that was given back', async () => {
    const cap = slots(1, 1_000);
    const project = { region: 'eu-nl', project_id: 'c'.repeat(32) };
    const start = new Date('2026-01-01T00:00:00Z');
    const at = (ms: number) => new Date(start.getTime() + ms);
    expect(await cap.take(request('req_crashed', project), start)).toEqual({ ok: true });
    expect(await cap.take(request('req_next', project), at(999))).toMatchObject({ ok: false });
    expect(await cap.take(request('req_next', project), at(1_000))).toEqual({ ok: true });
    await cap.renew(request('req_next', project), at(1_500));
    expect(await cap.take(request('req_other', project), at(2_000))).toMatchObject({ ok: false });
    await cap.release(request('req_next', project));
    await cap.renew(request('req_next', project), at(2_100));
    expect(await cap.take(request('req_other', project), at(2_200))).toEqual({ ok: true });
  });

  it('never gives out more than N slots to concurrent takers', async () => {
    const cap = slots(3);
    const project = { region: 'eu-de', project_id: 'd'.repeat(32) };
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => cap.take(request(`req_${i}`, project), now)));
    const granted = results.filter((r) => r.ok).length;
    expect(granted).toBeGreaterThanOrEqual(1);
    expect(granted).toBeLessThanOrEqual(3);
  });
});

describe('a burst of 200 requests for one project with a cap of 12 IMS jobs in flight', () => {
  const CAP = 12;
  const BURST = 200;
  const JOB_MS = 250;
  let p: Pipeline;

  beforeAll(async () => {
    p = await startPipeline({
      sim: { jobMs: JOB_MS },
      // No callback URL: the burst measures submissions, and webhooks would only slow it down.
      settings: {
        IMS_PROJECT_MAX_IN_FLIGHT: String(CAP),
        TENANTS: JSON.stringify([{ id: 'acme', api_key_sha256: [hashSecret(registerSecret(newApiKey()))], webhook_secrets: [registerSecret(newWebhookSecret())] }]),
      },
      // A request without a slot waits 3-6 s (production: 10-20 s).
      adjust: (deps, _role, cfg) => ({
        ...deps,
        imsSlots: createImsSlots({
          client: dynamoDocumentClient({ endpoint: cfg.dynamoEndpoint, region: cfg.awsRegion }),
          tableName: cfg.tableName,
          maxInFlight: cfg.imsProjectMaxInFlight,
          leaseMs: 60_000,
          waitSeconds: 3,
        }),
      }),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  async function burstRecords(): Promise<RequestRecord[]> {
    const records: RequestRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await createRequestListing({ client: dynamoDocumentClient({ endpoint: p.services.dynamoEndpoint, region: p.services.region }), tableName: p.services.tableName }).list('acme', {
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      if (page instanceof Error) throw page;
      records.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return records.filter((r) => String(r.params.name).startsWith('burst-'));
  }

  it('never has more than the cap in flight (from the submission POST to the job end) and all succeed', { timeout: 40_000 }, async () => {
    expect(p.cfg.imsProjectMaxInFlight).toBe(CAP);
    // A producer's own messages: the same worker path as HTTP requests, without the per-tenant rate limit.
    const client = sqsClient({ endpoint: p.services.sqsEndpoint, region: p.services.region });
    // The files are in OBS before they are imported, as a user uploads them (the worker checks).
    for (let i = 0; i < BURST; i++) uploadSources(p.sim, { image_url: `ims-images:burst/${i}.qcow2` });
    for (let batch = 0; batch < BURST / 10; batch++) {
      await client.send(
        new SendMessageBatchCommand({
          QueueUrl: p.services.queueUrl,
          Entries: Array.from({ length: 10 }, (_, j) => {
            const i = batch * 10 + j;
            return {
              Id: `m${i}`,
              MessageBody: JSON.stringify({ kind: 'import', tenant: 'acme', request: { name: `burst-${i}`, image_url: `ims-images:burst/${i}.qcow2`, min_disk: 40 }, idempotency_key: `burst-${i}` }),
            };
          }),
        }),
      );
    }

    // Four worker batches at a time (Lambda's concurrency) and a sweep, until every request ended.
    const giveUp = Date.now() + 35_000;
    for (let round = 1; Date.now() < giveUp; round++) {
      await Promise.all([p.runWorker(), p.runWorker(), p.runWorker(), p.runWorker(), p.sweep()]);
      if (round % 10 !== 0) continue;
      const records = await burstRecords();
      if (records.length === BURST && records.every((r) => r.status === 'succeeded' || r.status === 'failed')) break;
    }

    const records = await burstRecords();
    expect(records).toHaveLength(BURST);
    expect(records.filter((r) => r.status !== 'succeeded').map((r) => `${r.id} ${r.status} ${r.error?.code ?? ''}`)).toEqual([]);

    // In flight: from the submission POST the simulator logged to the job's end as the record has it (never before the simulator's own end).
    const posts = p.sim.calls().filter((c) => c.service === 'ims' && c.method === 'POST' && String((c.body as { name?: string } | null)?.name).startsWith('burst-'));
    expect(posts).toHaveLength(BURST);
    const byName = new Map(records.map((r) => [String(r.params.name), r]));
    const edges: { at: number; delta: 1 | -1 }[] = [];
    for (const post of posts) {
      const record = byName.get(String((post.body as { name: string }).name));
      const start = Date.parse(post.time);
      const end = Date.parse(record?.completed_at ?? '');
      expect(end).toBeGreaterThanOrEqual(start + JOB_MS);
      edges.push({ at: start, delta: 1 }, { at: end, delta: -1 });
    }
    // Ends first at equal times: a job that ended as another was submitted is not counted twice.
    edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let inFlight = 0;
    let most = 0;
    for (const edge of edges) most = Math.max(most, (inFlight += edge.delta));
    expect(most).toBeLessThanOrEqual(CAP);
    // The burst came near the cap (how near depends on the machine's speed), so the cap is what held it back.
    expect(most).toBeGreaterThanOrEqual(CAP * 0.75);
  });
});
