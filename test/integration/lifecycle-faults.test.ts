// Faults on the way from a request to its webhook, over real sockets: IMS throttling and outages on
// submit, a submit whose answer never comes, a crash between the IMS call and the store, duplicate
// queue deliveries, and a webhook receiver that is down. Each test checks the terminal state, one
// delivery per webhook event id, and from the simulator's calls log that no import or capture
// reached IMS twice.
import { DeleteMessageCommand, PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorkerHandler } from '../../handlers/worker.js';
import { sqsClient } from '../../lib/aws.js';
import { createImsClient, type ImsClient } from '../../lib/ims/client.js';
import type { IntakeQueue } from '../../lib/queue/intake.js';
import { lifecycleTimings } from '../../lib/requests/lifecycle.js';

const DEFAULT_LIFECYCLE_TIMINGS = lifecycleTimings.parse({});
import type { RequestRecord, StoredRequest } from '../../lib/requests/record.js';
import type { RequestStore } from '../../lib/store/requests.js';
import { webhookEventId } from '../../lib/requests/ids.js';
import { lambdaContext } from '../../local/http-gateway.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { sqsRecord } from '../../local/sqs-runner.js';
import { startPipeline, terminal, uploadSources, type Pipeline } from '../helpers/pipeline.js';

const INSTANCE = '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
const EXPORTABLE = SIM_DEFAULTS.images.exportable;
/** The production delays before re-submitting (10 s, 30 s, ...): the queue below records them and delivers at once. */
const RETRY_DELAYS = DEFAULT_LIFECYCLE_TIMINGS.imsRetryDelaysSeconds;
/** Short enough that a stalled POST times out quickly; only switched on for the timed-out-submit tests. */
const IMPATIENT_HEADERS_MS = 400;
const STALL_MS = 1_500;

let p: Pipeline;
/** Delays the worker asked for when it re-queued a request, by request id. */
const requeues = new Map<string, number[]>();
/** When set, the worker's next save matching it throws, as if the worker died right there. */
let crashOn: ((next: StoredRequest) => boolean) | null = null;
let crashes = 0;
/** When true, the worker's IMS client gives up on an answer after IMPATIENT_HEADERS_MS. */
let impatient = false;

/** The queue as the worker sees it; the delay it asks for is recorded, and the message delivered at once. */
function timeCompressed(queue: IntakeQueue): IntakeQueue {
  return {
    send(body, options = {}) {
      const id = (body as { request_id?: string }).request_id;
      if (id && options.delaySeconds) requeues.set(id, [...(requeues.get(id) ?? []), options.delaySeconds]);
      return queue.send(body, { delaySeconds: 0 });
    },
  };
}

function crashing(store: RequestStore): RequestStore {
  return {
    ...store,
    async save(next, expectedVersion) {
      if (crashOn?.(next)) {
        crashOn = null;
        crashes++;
        throw new Error('simulated crash between the IMS call and the store');
      }
      return store.save(next, expectedVersion);
    },
  };
}

/** One IMS client for the worker that is patient or impatient as the test needs. */
function switchable(patient: ImsClient, quick: ImsClient): ImsClient {
  const current = () => (impatient ? quick : patient);
  return {
    exportImage: (t, id, body) => current().exportImage(t, id, body),
    importImage: ((t, disk, body) => current().importImage(t, disk, body)) as ImsClient['importImage'],
    captureImage: (t, body) => current().captureImage(t, body),
    getJob: (t, id) => current().getJob(t, id),
    getImage: (t, id) => current().getImage(t, id),
    findImages: (t, filter) => current().findImages(t, filter),
    close: async () => {
      await patient.close();
      await quick.close();
    },
  };
}

beforeAll(async () => {
  p = await startPipeline({
    adjust: (deps, role, cfg) => {
      const timings = { ...deps.timings, imsRetryDelaysSeconds: RETRY_DELAYS, maxSubmitAttempts: DEFAULT_LIFECYCLE_TIMINGS.maxSubmitAttempts };
      const adjusted = { ...deps, timings, queue: timeCompressed(deps.queue) };
      if (role !== 'worker') return adjusted;
      const quick = createImsClient({ ...cfg.ims, timeouts: { ...cfg.ims.timeouts, headersMs: IMPATIENT_HEADERS_MS } });
      return { ...adjusted, store: crashing(deps.store), ims: switchable(deps.ims, quick) };
    },
  });
});

afterAll(async () => {
  await p?.stop();
});

// ---- helpers ----

async function submit(path: string, body: unknown): Promise<string> {
  uploadSources(p.sim, body);
  const res = await p.api('POST', path, body);
  expect(res.status).toBe(202);
  return res.json.id as string;
}

/** Terminal, with the webhook no longer pending. */
async function finished(id: string): Promise<RequestRecord> {
  await p.settle(async () => {
    const r = await p.record(id);
    return terminal(r) && r.webhook.status !== 'pending';
  });
  return p.record(id);
}

/** Exactly one accepted delivery, of this type, under the request's one event id for its outcome. */
function expectOneWebhook(record: RequestRecord, type: string): void {
  const hooks = p.receiver.deliveries.filter((d) => d.data.id === record.id);
  expect(hooks.map((d) => d.type)).toEqual([type]);
  const outcome = record.status === 'succeeded' ? 'succeeded' : 'failed';
  expect(hooks[0]?.id).toBe(webhookEventId(record.id, outcome));
}

/** Import and capture POSTs (system disk, data disk, quick import) that named this image. */
function creationPosts(name: string) {
  const paths = ['/v2/cloudimages/action', '/v1/cloudimages/dataimages/action', '/v2/cloudimages/quickimport/action'];
  return p.sim.calls().filter((c) => c.method === 'POST' && paths.includes(c.path) && (c.body as { name?: unknown } | null)?.name === name);
}

function exportPosts(imageId: string, bucketUrl: string) {
  return p.sim.calls().filter((c) => c.method === 'POST' && c.path === `/v1/cloudimages/${imageId}/file` && (c.body as { bucket_url?: unknown } | null)?.bucket_url === bucketUrl);
}

/** The images IMS holds under this name: how many the requests really made. */
async function imagesNamed(name: string) {
  return p.worker.ims.findImages({ region: SIM_DEFAULTS.region, projectId: SIM_DEFAULTS.projectId }, { name });
}

/** IMS holds exactly one image of this name, and it is the request's. */
async function expectOnlyImage(name: string, done: RequestRecord): Promise<void> {
  expect((await imagesNamed(name)).map((i) => i.id)).toEqual([done.image_id]);
}

/** The HEADs of an export's target object in the simulated OBS. */
function objectHeads(bucketUrl: string) {
  const [bucket, ...key] = bucketUrl.split(':');
  return p.sim.calls().filter((c) => c.service === 'obs' && c.method === 'HEAD' && c.path === `/${bucket}/${key.join(':')}`);
}

/** Waits until IMS shows the one image of this name killed. */
async function imageKilled(name: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const images = await imagesNamed(name);
    if (images.length === 1 && images[0]?.status === 'killed') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the image ${name} was never killed`);
}

/** The lookups by name a re-submission makes before it submits again. */
function lookupsOf(name: string) {
  return p.sim.calls().filter((c) => c.method === 'GET' && c.path === '/v2/cloudimages' && c.query.name === name);
}

const sqs = () => sqsClient({ endpoint: p.services.sqsEndpoint, region: p.services.region });

// Tests count the messages of a batch: a re-enqueue an earlier test left behind (its visibility
// timeout is 2 s) must not join the next test's batch.
beforeEach(async () => {
  await sqs().send(new PurgeQueueCommand({ QueueUrl: p.services.queueUrl }));
});

async function sendRaw(body: unknown): Promise<void> {
  uploadSources(p.sim, body);
  await sqs().send(new SendMessageCommand({ QueueUrl: p.services.queueUrl, MessageBody: JSON.stringify(body) }));
}

async function requestsWithRef(ref: string): Promise<RequestRecord[]> {
  const items: RequestRecord[] = (await p.api('GET', '/v1/requests?limit=100')).json.items;
  return items.filter((r) => r.client_ref === ref);
}

// ---- the tests ----

describe('IMS refusing to take a submission for now', () => {
  it('retries an import through 429 and 503 with the worker\'s growing delays, and IMS gets it once', async () => {
    p.sim.addFault({ match: 'POST /v2/cloudimages/action', status: 429, times: 1 });
    p.sim.addFault({ match: 'POST /v2/cloudimages/action', status: 503, times: 1 });
    const name = 'faults-throttled';
    const id = await submit('/v1/imports', { name, image_url: 'ims-images:faults/throttled.qcow2', min_disk: 40 });
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 3, error: null });
    expect(requeues.get(id)).toEqual(RETRY_DELAYS.slice(0, 2));
    // Three POSTs reached the simulator; the two refused ones made nothing, so there is one image.
    expect(creationPosts(name)).toHaveLength(3);
    await expectOnlyImage(name, done);
    expectOneWebhook(done, 'image.import.succeeded');
  });

  it('fails a capture with IMS\'s error once the retry cap is spent, and says so in one webhook', async () => {
    const cap = DEFAULT_LIFECYCLE_TIMINGS.maxSubmitAttempts;
    p.sim.addFault({ match: 'POST /v2/cloudimages/action', status: 503, times: cap });
    const name = 'faults-unavailable';
    const id = await submit('/v1/captures', { name, instance_id: INSTANCE });
    const done = await finished(id);
    // The gateway's code in front of IMS (APIGW.0201 "Backend unavailable"), kept verbatim.
    expect(done).toMatchObject({ status: 'failed', attempts: cap, error: { code: 'APIGW.0201', source: 'ims' }, ims_job_id: null });
    expect(requeues.get(id)).toEqual(RETRY_DELAYS.slice(0, cap - 1));
    expect(creationPosts(name)).toHaveLength(cap);
    expect(await imagesNamed(name)).toEqual([]);
    expectOneWebhook(done, 'image.capture.failed');
  });
});

describe('a submission whose answer never comes', () => {
  async function withImpatientWorker<T>(run: () => Promise<T>): Promise<T> {
    impatient = true;
    try {
      return await run();
    } finally {
      impatient = false;
    }
  }

  it('finds the image IMS made from the unanswered import instead of importing again', async () => {
    p.sim.addFault({ match: 'POST /v2/cloudimages/action', delay_ms: STALL_MS, times: 1 });
    const name = 'faults-lost-answer';
    const id = await submit('/v1/imports', { name, image_url: 'ims-images:faults/lost-answer.qcow2', min_disk: 40 });
    const done = await withImpatientWorker(() => finished(id));
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    // Only the unknown outcome was re-queued; the next attempt looked instead of submitting.
    expect(requeues.get(id)).toEqual([RETRY_DELAYS[0]]);
    expect(creationPosts(name)).toHaveLength(1);
    await expectOnlyImage(name, done);
    expect(lookupsOf(name).length).toBeGreaterThanOrEqual(1);
    expectOneWebhook(done, 'image.import.succeeded');
  });

  it('submits a capture once more when the unanswered one never reached IMS', async () => {
    p.sim.addFault({ match: 'POST /v2/cloudimages/action', delay_ms: STALL_MS, times: 1, lost: 'request' });
    const name = 'faults-lost-request';
    const id = await submit('/v1/captures', { name, instance_id: INSTANCE });
    const done = await withImpatientWorker(() => finished(id));
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
    expect(requeues.get(id)).toEqual([RETRY_DELAYS[0]]);
    // It looked first and found nothing; of its two POSTs the first never took effect: one image.
    expect(lookupsOf(name).length).toBeGreaterThanOrEqual(1);
    expect(creationPosts(name)).toHaveLength(2);
    await expectOnlyImage(name, done);
    expectOneWebhook(done, 'image.capture.succeeded');
  });

  it('never re-submits an unanswered export: it succeeds once its object is complete in OBS', async () => {
    p.sim.addFault({ match: 'POST /v1/cloudimages/*/file', delay_ms: STALL_MS, times: 1 });
    const bucketUrl = 'ims-exports:faults/lost-answer.qcow2';
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    const done = await withImpatientWorker(() => finished(id));
    // One submission, no job id of its own: the object IMS wrote is the evidence.
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null, ims_job_id: null, image_id: EXPORTABLE, progress: 100 });
    expect(done.evidence).toContain('found the object');
    expect(requeues.get(id)).toBeUndefined();
    expect(exportPosts(EXPORTABLE, bucketUrl)).toHaveLength(1);
    expect(objectHeads(bucketUrl).length).toBeGreaterThanOrEqual(1);
    expectOneWebhook(done, 'image.export.succeeded');
  });

  it.each([
    ['answered 500 after IMS acted', { match: 'POST /v2/cloudimages/action', status: 500, acted: true, times: 1 }, false],
    ['stalled past the client\'s timeout', { match: 'POST /v2/cloudimages/action', delay_ms: STALL_MS, times: 1 }, true],
  ] as const)('fails an import %s whose image IMS then killed, without a second POST or image', async (_name, fault, stall) => {
    p.sim.addFault(fault);
    const name = `faults-killed-${stall ? 'stall' : '500'}`;
    const id = await submit('/v1/imports', { name, image_url: `ims-images:sim-fail-${name}.qcow2`, min_disk: 40 });
    const first = stall ? await withImpatientWorker(() => p.runWorker()) : await p.runWorker();
    expect(first).toEqual({ received: 1, failed: 0 });
    expect((await p.record(id)).status).toBe('queued');
    // The first image's job ends (killed) before the retry looks.
    await imageKilled(name);
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'IMAGE_KILLED', source: 'ims' } });
    expect(done.error?.hint).toBeTruthy();
    expect(creationPosts(name)).toHaveLength(1);
    expect((await imagesNamed(name)).map((i) => [i.id, i.status])).toEqual([[done.image_id, 'killed']]);
    expectOneWebhook(done, 'image.import.failed');
  });
});

describe('an export answered 500 after IMS acted, whose job then fails', () => {
  it('is never taken for a success: one POST, and the request keeps waiting for an object that never comes', async () => {
    p.sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 500, acted: true, times: 1 });
    const bucketUrl = 'ims-exports:sim-fail-faults/acted-500.qcow2';
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    expect(await p.runWorker()).toEqual({ received: 1, failed: 0 });
    const awaiting = await p.record(id);
    expect(awaiting).toMatchObject({ status: 'running', ims_job_id: null, progress: null, attempts: 1 });
    expect(awaiting.evidence).toContain(`awaiting the object ${bucketUrl}`);
    // IMS's job fails (IMG.0069) within 400 ms; the checks after it find no object.
    await p.settle(async () => objectHeads(bucketUrl).length >= 4, { rounds: 60 });
    const still = await p.record(id);
    expect(still).toMatchObject({ status: 'running', progress: null, error: null });
    expect(exportPosts(EXPORTABLE, bucketUrl)).toHaveLength(1);
    expect(p.receiver.deliveries.filter((d) => d.data.id === id)).toEqual([]);
  });
});

describe('a job IMS no longer knows', () => {
  /** Each check asks the progress call, then the status call: two queries answered 404 per check. */
  const jobQueries = (jobId: string) => p.sim.calls().filter((c) => c.method === 'GET' && c.path.endsWith(`/${jobId}`));

  it('fails an export whose job IMS forgot before it wrote the object, after a bounded number of checks', async () => {
    const bucketUrl = 'ims-exports:faults/forgotten.qcow2';
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    expect(await p.runWorker()).toEqual({ received: 1, failed: 0 });
    const running = await p.record(id);
    expect(p.sim.forgetJob(running.ims_job_id as string)).toBe(true);
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'JOB_NOT_FOUND', source: 'ims' }, ims_job_id: running.ims_job_id });
    expect(done.error?.message).toContain('the object is not there');
    expect(done.error?.hint).toBeTruthy();
    expect(jobQueries(running.ims_job_id as string)).toHaveLength(2 * p.poller.timings.jobNotFoundLimit);
    expect(exportPosts(EXPORTABLE, bucketUrl)).toHaveLength(1);
    expectOneWebhook(done, 'image.export.failed');
  });

  it.each([
    ['import', '/v1/imports', { name: 'faults-forgotten-import', image_url: 'ims-images:faults/forgotten.qcow2', min_disk: 40 }],
    ['export', '/v1/exports', { image_id: EXPORTABLE, bucket_url: 'ims-exports:faults/forgotten-done.qcow2', file_format: 'qcow2' }],
  ] as const)('succeeds an %s whose job IMS forgot after finishing it, on the evidence of what it made', async (kind, path, body) => {
    const id = await submit(path, body);
    expect(await p.runWorker()).toEqual({ received: 1, failed: 0 });
    const running = await p.record(id);
    // The job finishes (400 ms), then IMS forgets it before our first check.
    await new Promise((r) => setTimeout(r, 600));
    expect(p.sim.forgetJob(running.ims_job_id as string)).toBe(true);
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    expect(jobQueries(running.ims_job_id as string)).toHaveLength(2 * p.poller.timings.jobNotFoundLimit);
    if (kind === 'import') await expectOnlyImage((body as { name: string }).name, done);
    expectOneWebhook(done, `image.${kind}.succeeded`);
  });
});

describe('a submission answered 502 or 504 after IMS acted on it', () => {
  it('finds the image of an import whose gateway gave up with 504, instead of importing again', async () => {
    p.sim.addFault({ match: 'POST /v2/cloudimages/action', status: 504, acted: true, times: 1 });
    const name = 'faults-acted-504';
    const id = await submit('/v1/imports', { name, image_url: 'ims-images:faults/acted-504.qcow2', min_disk: 40 });
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(creationPosts(name)).toHaveLength(1);
    await expectOnlyImage(name, done);
    expectOneWebhook(done, 'image.import.succeeded');
  });

  it('awaits the object of an export whose gateway answered 502 after IMS acted, instead of submitting again', async () => {
    p.sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 502, acted: true, times: 1 });
    const bucketUrl = 'ims-exports:faults/acted-502.qcow2';
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null, ims_job_id: null, progress: 100 });
    expect(exportPosts(EXPORTABLE, bucketUrl)).toHaveLength(1);
    expectOneWebhook(done, 'image.export.succeeded');
  });
});

describe('a worker that dies between the IMS call and the store', () => {
  it.each([
    ['import', '/v1/imports', { name: 'faults-crash-import', image_url: 'ims-images:faults/crash.qcow2', min_disk: 40 }],
    ['capture', '/v1/captures', { name: 'faults-crash-capture', instance_id: INSTANCE }],
  ])('finds the image of the %s on redelivery and never submits it again', async (kind, path, body) => {
    const id = await submit(path, body);
    const before = crashes;
    crashOn = (next) => next.id === id && next.status === 'running';
    // The handler reports the message as failed, so it stays on the queue.
    expect(await p.runWorker()).toEqual({ received: 1, failed: 1 });
    expect(crashes).toBe(before + 1);
    const stuck = (await p.worker.store.get(id)) as StoredRequest;
    expect(stuck.status).toBe('submitting');
    const done = await finished(id);
    expect(done.status).toBe('succeeded');
    expect(creationPosts(body.name)).toHaveLength(1);
    await expectOnlyImage(body.name, done);
    // The one POST IMS got is counted, though its answer was never stored.
    expect(done.attempts).toBe(1);
    expectOneWebhook(done, `image.${kind}.succeeded`);
  });
});

describe('the same message delivered more than once', () => {
  const worker = () => createWorkerHandler(() => p.worker);

  it('submits once when two messages for one request arrive in one batch, and ignores a late third', async () => {
    const name = 'faults-dup-batch';
    const id = await submit('/v1/imports', { name, image_url: 'ims-images:faults/dup.qcow2', min_disk: 40 });
    await sendRaw({ request_id: id });
    // Both in one batch: two concurrent claims of the same record.
    expect(await p.runWorker()).toEqual({ received: 2, failed: 0 });
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    await sendRaw({ request_id: id });
    expect(await p.runWorker()).toEqual({ received: 1, failed: 0 });
    expect(creationPosts(name)).toHaveLength(1);
    expect((await p.record(id)).status).toBe('succeeded');
    expectOneWebhook(done, 'image.import.succeeded');
  });

  it('records and submits a direct message once when SQS hands the same message to two invocations', async () => {
    const name = 'faults-dup-direct';
    await sendRaw({ kind: 'capture', tenant: 'acme', request: { name, instance_id: INSTANCE, client_ref: name } });
    const got = await sqs().send(new ReceiveMessageCommand({ QueueUrl: p.services.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
    expect(got.Messages).toHaveLength(1);
    const message = got.Messages![0]!;
    const event: SQSEvent = { Records: [sqsRecord(message, 'arn:aws:sqs:eu-central-1:000000000000:intake', p.services.region)] };
    const handler = worker();
    const answers = await Promise.all([
      handler(event, lambdaContext('worker', 60_000) as Context),
      handler(event, lambdaContext('worker', 60_000) as Context),
    ]);
    expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    await sqs().send(new DeleteMessageCommand({ QueueUrl: p.services.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    const records = await requestsWithRef(name);
    expect(records).toHaveLength(1);
    const done = await finished(records[0]!.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(creationPosts(name)).toHaveLength(1);
    expectOneWebhook(done, 'image.capture.succeeded');
  });

  it('makes one request of two direct messages with the same idempotency key', async () => {
    const name = 'faults-dup-key';
    const message = { kind: 'import', tenant: 'acme', idempotency_key: name, request: { name, image_url: 'ims-images:faults/key.qcow2', min_disk: 40, client_ref: name } };
    await sendRaw(message);
    await sendRaw(message);
    expect(await p.runWorker()).toEqual({ received: 2, failed: 0 });
    const records = await requestsWithRef(name);
    expect(records).toHaveLength(1);
    const done = await finished(records[0]!.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    // A third copy, after the outcome: recognised as the same request, nothing more happens.
    await sendRaw(message);
    expect(await p.runWorker()).toEqual({ received: 1, failed: 0 });
    expect(await requestsWithRef(name)).toHaveLength(1);
    expect(creationPosts(name)).toHaveLength(1);
    expectOneWebhook(done, 'image.import.succeeded');
  });
});

describe('a webhook receiver that is down', () => {
  const attemptsOf = (eventId: string) => p.receiver.attempts.filter((a) => a.id === eventId);

  it('retries with the same webhook-id until the receiver is back, then delivers once', async () => {
    p.receiver.failWith = 503;
    try {
      const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: 'ims-exports:faults/receiver-down.qcow2', file_format: 'qcow2' });
      const eventId = webhookEventId(id, 'succeeded');
      await p.settle(async () => attemptsOf(eventId).length >= 3);
      p.receiver.failWith = null;
      const done = await finished(id);
      expect(done.status).toBe('succeeded');
      // A later sweep finds nothing left to send.
      await p.sweep();
      const attempts = attemptsOf(eventId);
      // Every failed try and the delivery carried the one event id; nothing after the delivery.
      expect(attempts.slice(0, -1).every((a) => a.status === 503)).toBe(true);
      expect(attempts.at(-1)?.status).toBe(204);
      expect(attempts.length).toBeGreaterThanOrEqual(4);
      expect(done.webhook).toEqual({ status: 'delivered', attempts: attempts.length });
      expectOneWebhook(done, 'image.export.succeeded');
    } finally {
      p.receiver.failWith = null;
    }
  });

  it('gives up after the retry schedule, marking the webhook failed and keeping the outcome', async () => {
    p.receiver.failWith = 503;
    try {
      const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: 'ims-exports:faults/receiver-gone.qcow2', file_format: 'qcow2' });
      const done = await finished(id);
      const tries = p.worker.timings.webhookRetryDelaysMs.length + 1;
      expect(done).toMatchObject({ status: 'succeeded', error: null, webhook: { status: 'failed', attempts: tries } });
      const attempts = attemptsOf(webhookEventId(id, 'succeeded'));
      expect(attempts).toEqual(Array.from({ length: tries }, () => ({ id: webhookEventId(id, 'succeeded'), status: 503 })));
      expect(p.receiver.deliveries.filter((d) => d.data.id === id)).toEqual([]);
    } finally {
      p.receiver.failWith = null;
    }
  });
});
