// The poller as the safety net, with production timings on one fake clock shared by the API, the
// worker, the poller, their IMS clients and the IMS simulator: a request whose intake message was
// never sent, a worker that vanished holding a claim (before or after its POST reached IMS), two
// sweeps running at once, and a re-enqueue of a request whose first message was only delayed. Each
// test checks the terminal state, the IMS submissions from the simulator's calls log, and one
// delivered webhook per outcome event id.
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type QueueAttributeName } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerHandler } from '../../handlers/worker.js';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient, sqsClient } from '../../lib/aws.js';
import type { ImsClient } from '../../lib/ims/client.js';
import { IntakeQueueError, type IntakeQueue } from '../../lib/queue/intake.js';
import { lifecycleTimings } from '../../lib/requests/lifecycle.js';

const DEFAULT_LIFECYCLE_TIMINGS = lifecycleTimings.parse({});
import type { RequestRecord, StoredRequest } from '../../lib/requests/record.js';
import { sweepRound, type SweepReport } from '../../lib/requests/sweep.js';
import { StoreError } from '../../lib/store/requests.js';
import { dueShard } from '../../lib/store/table.js';
import { webhookEventId } from '../../lib/requests/ids.js';
import { lambdaContext } from '../../local/http-gateway.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { sqsRecord } from '../../local/sqs-runner.js';
import { startPipeline, terminal, uploadSources, type Pipeline, type PipelineOptions } from '../helpers/pipeline.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIMINGS = DEFAULT_LIFECYCLE_TIMINGS;
const INSTANCE = '6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f';
const EXPORTABLE = SIM_DEFAULTS.images.exportable;
/** IMS job status queries (the status call and Huawei's progress call); group 2 is the job id. */
const JOB_QUERY = /^\/v1\/(cloudimages\/job|[^/]+\/jobs)\/([^/]+)$/;
const CREATION_PATHS = ['/v2/cloudimages/action', '/v1/cloudimages/dataimages/action', '/v2/cloudimages/quickimport/action'];

let p: Pipeline | undefined;
/** The fake clock (ms since the epoch) everything but SQS and the webhook receiver reads. */
let fake = 0;
/** Set to make the worker's next IMS submission vanish with it, before or after IMS took the POST. */
let vanish: 'before-post' | 'after-post' | null = null;

afterEach(async () => {
  vanish = null;
  await p?.stop();
  p = undefined;
});

const pipe = (): Pipeline => p as Pipeline;

/** The worker's IMS client, dying around a submission POST when `vanish` says so. */
function vanishing(ims: ImsClient): ImsClient {
  async function around<T>(post: () => Promise<T>): Promise<T> {
    const mode = vanish;
    if (mode === 'before-post') {
      vanish = null;
      throw new Error('the worker vanished before calling IMS');
    }
    const job = await post();
    if (mode === 'after-post') {
      vanish = null;
      throw new Error('the worker vanished after IMS took its POST');
    }
    return job;
  }
  return {
    exportImage: (t, id, body) => around(() => ims.exportImage(t, id, body)),
    importImage: ((t, disk, body) => around(() => ims.importImage(t, disk, body))) as ImsClient['importImage'],
    captureImage: (t, body) => around(() => ims.captureImage(t, body)),
    getJob: (t, id) => ims.getJob(t, id),
    getImage: (t, id) => ims.getImage(t, id),
    findImages: (t, filter) => ims.findImages(t, filter),
    close: () => ims.close(),
  };
}

/**
 * A pipeline on production timings whose clock starts `startsBeforeMs` before the real time, so
 * that the webhooks signed at the end carry a timestamp the receiver's verifier accepts (±5 min).
 */
async function start(startsBeforeMs: number, jobMs: number, options: Pick<PipelineOptions, 'adjustApi' | 'settings'> = {}): Promise<Pipeline> {
  fake = Date.now() - startsBeforeMs;
  p = await startPipeline({
    timings: 'production',
    now: () => new Date(fake),
    sim: { jobMs, now: () => fake },
    adjust: (deps, role) => (role === 'worker' ? { ...deps, ims: vanishing(deps.ims) } : deps),
    ...options,
  });
  return p;
}

async function submit(path: string, body: unknown): Promise<string> {
  uploadSources(pipe().sim, body);
  const res = await pipe().api('POST', path, body);
  expect(res.status).toBe(202);
  return res.json.id as string;
}

async function stored(id: string): Promise<StoredRequest> {
  return (await pipe().poller.store.get(id)) as StoredRequest;
}

const at = (iso: string | null): number => Date.parse(iso as string);

async function sweepAt(ms: number): Promise<SweepReport> {
  fake = ms;
  return pipe().sweep();
}

/** Moves the clock to each next check and sweeps, until the request is terminal and its webhook settled. */
async function driveToEnd(id: string, maxSweeps = 50): Promise<RequestRecord> {
  for (let sweeps = 0; sweeps < maxSweeps; sweeps++) {
    const record = await stored(id);
    if (terminal(record) && record.webhook.status !== 'pending') return pipe().record(id);
    expect(record.next_check_at).not.toBeNull();
    await sweepAt(Math.max(fake, at(record.next_check_at)));
  }
  throw new Error(`request ${id} never settled`);
}

const sqs = () => sqsClient({ endpoint: pipe().services.sqsEndpoint, region: pipe().services.region });

/** The queue's counts; fauxqs moves delayed and expired messages on receives only, so they can lag behind time. */
async function queueDepth(): Promise<{ visible: number; delayed: number; inFlight: number }> {
  const res = await sqs().send(new GetQueueAttributesCommand({ QueueUrl: pipe().services.queueUrl, AttributeNames: ['All'] }));
  const n = (name: QueueAttributeName) => Number(res.Attributes?.[name] ?? 0);
  return { visible: n('ApproximateNumberOfMessages'), delayed: n('ApproximateNumberOfMessagesDelayed'), inFlight: n('ApproximateNumberOfMessagesNotVisible') };
}

/** The worker receives the message and dies with it in hand; the message is then lost as well. */
async function workerVanishesWithMessage(): Promise<void> {
  const got = await sqs().send(new ReceiveMessageCommand({ QueueUrl: pipe().services.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
  expect(got.Messages).toHaveLength(1);
  const message = got.Messages![0]!;
  const event: SQSEvent = { Records: [sqsRecord(message, 'arn:aws:sqs:eu-central-1:000000000000:intake', pipe().services.region)] };
  const answer = await createWorkerHandler(() => pipe().worker)(event, lambdaContext('worker', 60_000) as Context);
  expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: message.MessageId }] });
  expect(vanish).toBeNull();
  await sqs().send(new DeleteMessageCommand({ QueueUrl: pipe().services.queueUrl, ReceiptHandle: message.ReceiptHandle }));
  expect(await queueDepth()).toEqual({ visible: 0, delayed: 0, inFlight: 0 });
}

function creationPosts(name: string) {
  return pipe().sim.calls().filter((c) => c.method === 'POST' && CREATION_PATHS.includes(c.path) && (c.body as { name?: unknown } | null)?.name === name);
}

function exportPosts(bucketUrl: string) {
  return pipe().sim.calls().filter((c) => c.method === 'POST' && c.path === `/v1/cloudimages/${EXPORTABLE}/file` && (c.body as { bucket_url?: unknown } | null)?.bucket_url === bucketUrl);
}

function lookupsOf(name: string) {
  return pipe().sim.calls().filter((c) => c.method === 'GET' && c.path === '/v2/cloudimages' && c.query.name === name);
}

function jobQueries(jobId: string) {
  return pipe().sim.calls().filter((c) => c.method === 'GET' && JOB_QUERY.exec(c.path)?.[2] === jobId);
}

/** One accepted delivery, of this type, under the outcome's event id, and no other attempt for it. */
function expectOneWebhook(record: RequestRecord, type: string): void {
  const outcome = record.status === 'succeeded' ? 'succeeded' : 'failed';
  const eventId = webhookEventId(record.id, outcome);
  const hooks = pipe().receiver.deliveries.filter((d) => d.data.id === record.id);
  expect(hooks.map((d) => [d.type, d.id])).toEqual([[type, eventId]]);
  expect(pipe().receiver.attempts.filter((a) => a.id === eventId)).toEqual([{ id: eventId, status: 204 }]);
  expect(record.webhook).toEqual({ status: 'delivered', attempts: 1 });
}

describe('an intake message that was never sent', () => {
  it('is re-enqueued by the sweep once the request has waited a minute, not before, and succeeds once', async () => {
    const sends: unknown[] = [];
    const failingQueue = (queue: IntakeQueue): IntakeQueue => ({
      ...queue,
      async send(body) {
        sends.push(body);
        throw new IntakeQueueError('unavailable', 'SQS SendMessage failed: simulated outage');
      },
    });
    await start(4 * MINUTE, 2 * MINUTE, { adjustApi: (deps) => ({ ...deps, queue: failingQueue(deps.queue) }) });
    const bucketUrl = 'ims-exports:recovery/never-sent.qcow2';
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    expect(sends).toEqual([{ request_id: id }]);
    const queued = await stored(id);
    expect(queued.status).toBe('queued');
    // The wait before the poller steps in is the queued safety wait (60 s) from the request's creation.
    const dueAt = at(queued.created_at) + TIMINGS.queuedSafetyMs;
    expect(at(queued.next_check_at)).toBe(dueAt);
    expect(await queueDepth()).toEqual({ visible: 0, delayed: 0, inFlight: 0 });

    // A sweep a millisecond early finds nothing due and sends nothing.
    expect(await sweepAt(dueAt - 1)).toMatchObject({ due: 0, taken: 0, requeued: 0 });
    expect(await pipe().runWorker()).toEqual({ received: 0, failed: 0 });
    expect((await stored(id)).status).toBe('queued');

    expect(await sweepAt(dueAt)).toMatchObject({ due: 1, taken: 1, requeued: 1 });
    expect(await queueDepth()).toMatchObject({ visible: 1 });
    // Taken for the sweep's lease: a second sweep at the same moment does not send it again.
    expect(await sweepAt(dueAt)).toMatchObject({ due: 0, requeued: 0 });
    expect(await pipe().runWorker()).toEqual({ received: 1, failed: 0 });
    const running = await stored(id);
    expect(running).toMatchObject({ status: 'running', attempts: 1 });
    expect(running.submitted_at).toBe(new Date(dueAt).toISOString());

    const done = await driveToEnd(id);
    expect(done).toMatchObject({ status: 'succeeded', error: null, image_id: EXPORTABLE });
    expect(exportPosts(bucketUrl)).toHaveLength(1);
    expectOneWebhook(done, 'image.export.succeeded');
    console.info(`recovery: unsent intake message re-enqueued ${TIMINGS.queuedSafetyMs / 1000} s after creation`);
  });
});

describe('a worker that vanished holding its claim, its message lost', () => {
  it('is reclaimed once the lease lapses; the import is looked up, then submitted exactly once', async () => {
    await start(7 * MINUTE, 2 * MINUTE);
    const name = 'recovery-vanished-before-post';
    const id = await submit('/v1/imports', { name, image_url: 'ims-images:recovery/before-post.qcow2', min_disk: 40 });
    const claimedAt = fake;
    vanish = 'before-post';
    await workerVanishesWithMessage();
    const stuck = await stored(id);
    expect(stuck).toMatchObject({ status: 'submitting', attempts: 0 });
    expect(stuck.internal.lease_until).toBe(new Date(claimedAt + TIMINGS.submitLeaseMs).toISOString());
    expect(stuck.next_check_at).toBe(stuck.internal.lease_until);
    expect(creationPosts(name)).toHaveLength(0);

    const lapse = at(stuck.internal.lease_until);
    expect(await sweepAt(lapse - 1)).toMatchObject({ due: 0, requeued: 0 });
    expect(await sweepAt(lapse)).toMatchObject({ due: 1, taken: 1, requeued: 1 });
    expect(await pipe().runWorker()).toEqual({ received: 1, failed: 0 });
    // The re-claim did not know whether the vanished worker's POST got through: it looked first.
    expect(lookupsOf(name)).toHaveLength(1);
    expect(creationPosts(name)).toHaveLength(1);
    expect(await stored(id)).toMatchObject({ status: 'running', attempts: 1 });

    const done = await driveToEnd(id);
    expect(done).toMatchObject({ status: 'succeeded', error: null, attempts: 1 });
    expect(creationPosts(name)).toHaveLength(1);
    expect(done.image_id).not.toBeNull();
    expectOneWebhook(done, 'image.import.succeeded');
    console.info(`recovery: vanished claim reclaimed ${TIMINGS.submitLeaseMs / 1000} s after it was taken`);
  });

  it.each([
    ['import', '/v1/imports', { name: 'recovery-vanished-import', image_url: 'ims-images:recovery/after-post.qcow2', min_disk: 40 }],
    ['capture', '/v1/captures', { name: 'recovery-vanished-capture', instance_id: INSTANCE }],
  ])('finds the image of a %s whose POST got through before the worker vanished, and never posts again', async (kind, path, body) => {
    // A job longer than the lease: the image is still being made when the request is reclaimed.
    await start(11 * MINUTE, 10 * MINUTE);
    const id = await submit(path, body);
    vanish = 'after-post';
    await workerVanishesWithMessage();
    const stuck = await stored(id);
    expect(stuck).toMatchObject({ status: 'submitting', attempts: 0, ims_job_id: null });
    expect(creationPosts(body.name)).toHaveLength(1);

    expect(await sweepAt(at(stuck.internal.lease_until))).toMatchObject({ taken: 1, requeued: 1 });
    expect(await pipe().runWorker()).toEqual({ received: 1, failed: 0 });
    const found = await stored(id);
    expect(found).toMatchObject({ status: 'running', attempts: 1 });
    expect(found.image_id).not.toBeNull();
    expect(lookupsOf(body.name)).toHaveLength(1);

    const done = await driveToEnd(id);
    expect(done).toMatchObject({ status: 'succeeded', error: null, attempts: 1, image_id: found.image_id });
    expect(creationPosts(body.name)).toHaveLength(1);
    const images = await pipe().worker.ims.findImages({ region: SIM_DEFAULTS.region, projectId: SIM_DEFAULTS.projectId }, { name: body.name });
    expect(images.map((i) => i.id)).toEqual([done.image_id]);
    expectOneWebhook(done, `image.${kind}.succeeded`);
  });

  it('never re-submits an export whose POST got through before the worker vanished: its object in OBS decides', async () => {
    await start(6 * MINUTE, 2 * MINUTE);
    const bucketUrl = 'ims-exports:recovery/vanished-export.qcow2';
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    vanish = 'after-post';
    await workerVanishesWithMessage();
    const stuck = await stored(id);
    expect(stuck).toMatchObject({ status: 'submitting', ims_job_id: null });

    expect(await sweepAt(at(stuck.internal.lease_until))).toMatchObject({ taken: 1, requeued: 1 });
    expect(await pipe().runWorker()).toEqual({ received: 1, failed: 0 });
    // The re-claim awaits evidence: no second POST, no job id, no progress to show.
    expect(exportPosts(bucketUrl)).toHaveLength(1);
    expect(await stored(id)).toMatchObject({ status: 'running', ims_job_id: null, progress: null });
    const done = await driveToEnd(id);
    expect(done).toMatchObject({ status: 'succeeded', error: null, image_id: EXPORTABLE, progress: 100, ims_job_id: null });
    expect(exportPosts(bucketUrl)).toHaveLength(1);
    expectOneWebhook(done, 'image.export.succeeded');
  });
});

describe('an export whose submission answer was lost, and no object ever appears', () => {
  it.each([
    ['its job failed after the 500 (IMG.0069)', 'ims-exports:sim-fail-recovery/acted-500.qcow2', { IMS_JOB_DEADLINE_HOURS: '1' }],
    ['no OBS credentials to look with', 'ims-exports:recovery/no-credentials.qcow2', { IMS_JOB_DEADLINE_HOURS: '1', OBS_AK: '', OBS_SK: '' }],
  ] as [string, string, Record<string, string>][])('fails with EXPORT_UNVERIFIED at the deadline, never succeeded, after one POST: %s', async (_name, bucketUrl, settings) => {
    // A one-hour deadline (the shortest setting) keeps the drive short; the rules are those of 24 h.
    await start(HOUR + MINUTE, 2 * MINUTE, { settings });
    pipe().sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 500, acted: true, times: 1 });
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    const submittedAt = fake;
    expect(await pipe().runWorker()).toEqual({ received: 1, failed: 0 });
    const awaiting = await stored(id);
    expect(awaiting).toMatchObject({ status: 'running', ims_job_id: null, progress: null, attempts: 1 });
    // A check after the job ended (its object never written, or not readable) keeps the request running.
    await sweepAt(fake + 5 * MINUTE);
    const checked = await stored(id);
    expect(checked).toMatchObject({ status: 'running', progress: null });
    if (settings.OBS_AK === '') expect(checked.evidence).toContain('no OBS credentials');
    else expect(checked.evidence).toContain('not there');
    const done = await driveToEnd(id, 1_000);
    expect(done).toMatchObject({ status: 'failed', ims_job_id: null, error: { code: 'EXPORT_UNVERIFIED', source: 'timeout' } });
    expect(done.error?.hint).toBeTruthy();
    expect(at(done.completed_at) - submittedAt).toBeGreaterThanOrEqual(HOUR);
    expect(exportPosts(bucketUrl)).toHaveLength(1);
    const heads = pipe().sim.calls().filter((c) => c.service === 'obs' && c.method === 'HEAD').length;
    // Checked by the usual backoff (up to 5 minutes apart), not every sweep.
    expect(heads).toBeLessThanOrEqual(settings.OBS_AK === '' ? 0 : 25);
    if (settings.OBS_AK !== '') expect(heads).toBeGreaterThan(5);
    expectOneWebhook(done, 'image.export.failed');
    console.info(`evidence: an export awaiting its object for 1 h made ${heads} OBS HEADs`);
  });
});

describe('two sweeps at once', () => {
  it('query each due job once and send a due webhook once, all the way to the end', async () => {
    await start(3 * MINUTE, 2 * MINUTE);
    const buckets = Array.from({ length: 6 }, (_, i) => `ims-exports:recovery/overlap-${i}.qcow2`);
    const ids: string[] = [];
    for (const bucketUrl of buckets) ids.push(await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' }));
    // IMS refuses this one at once (IMG.0071); its webhook fails the first time and is due again later.
    const refusedId = await submit('/v1/exports', { image_id: SIM_DEFAULTS.images.huge, bucket_url: 'ims-exports:recovery/huge.qcow2', file_format: 'qcow2' });
    const failedEvent = webhookEventId(refusedId, 'failed');
    pipe().receiver.failWith = 503;
    expect(await pipe().runWorker()).toEqual({ received: 7, failed: 0 });
    pipe().receiver.failWith = null;
    const refused = await stored(refusedId);
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'IMG.0071' }, webhook: { status: 'pending', attempts: 1 } });
    expect(pipe().receiver.attempts.filter((a) => a.id === failedEvent)).toEqual([{ id: failedEvent, status: 503 }]);

    const running = await Promise.all(ids.map(stored));
    expect(running.map((r) => r.status)).toEqual(ids.map(() => 'running'));
    // Everything is due at the first job check (10 s); the webhook retry (5 s) is overdue by then.
    fake += TIMINGS.firstCheckDelayMs;
    const [a, b] = await Promise.all([sweepRound(pipe().poller, () => true), sweepRound(pipe().poller, () => true)]);
    // Both sweeps read all seven records, and between them took each exactly once.
    expect([a.due, b.due]).toEqual([7, 7]);
    expect(a.taken + b.taken).toBe(7);
    expect(a.checked + b.checked).toBe(6);
    expect(a.announced + b.announced).toBe(1);
    for (const r of running) expect(jobQueries(r.ims_job_id as string)).toHaveLength(1);
    expect(pipe().receiver.attempts.filter((a) => a.id === failedEvent)).toEqual([
      { id: failedEvent, status: 503 },
      { id: failedEvent, status: 204 },
    ]);

    // Two overlapping sweeps at every check until the jobs end (each takes its next record while attending to one): each check is one query.
    let checks = 6;
    for (let round = 0; round < 50; round++) {
      const records = await Promise.all(ids.map(stored));
      if (records.every((r) => terminal(r) && r.webhook.status !== 'pending')) break;
      fake = Math.max(fake, Math.min(...records.filter((r) => r.next_check_at !== null).map((r) => at(r.next_check_at))));
      const pair = await Promise.all([sweepRound(pipe().poller, () => true), sweepRound(pipe().poller, () => true)]);
      checks += pair[0].checked + pair[1].checked;
    }
    const jobIds = running.map((r) => r.ims_job_id as string);
    expect(jobIds.reduce((n, jobId) => n + jobQueries(jobId).length, 0)).toBe(checks);
    for (const [i, id] of ids.entries()) {
      const done = await pipe().record(id);
      expect(done).toMatchObject({ status: 'succeeded', error: null });
      expect(exportPosts(buckets[i] as string)).toHaveLength(1);
      expectOneWebhook(done, 'image.export.succeeded');
    }
    const failed = await pipe().record(refusedId);
    expect(failed).toMatchObject({ status: 'failed', webhook: { status: 'delivered', attempts: 2 } });
    expect(pipe().receiver.deliveries.filter((d) => d.data.id === refusedId).map((d) => [d.type, d.id])).toEqual([['image.export.failed', failedEvent]]);
    console.info(`recovery: 6 jobs under two overlapping pollers: ${checks} job queries for ${checks} checks`);
  });
});

describe('a request whose message is only delayed', () => {
  it('is re-enqueued anyway, and of the two messages the worker gets in one batch only one submits', async () => {
    const DELAY_SECONDS = 1;
    const slowQueue = (queue: IntakeQueue): IntakeQueue => ({ ...queue, send: (body) => queue.send(body, { delaySeconds: DELAY_SECONDS }) });
    await start(3 * MINUTE, 2 * MINUTE, { adjustApi: (deps) => ({ ...deps, queue: slowQueue(deps.queue) }) });
    const name = 'recovery-delayed-message';
    const id = await submit('/v1/imports', { name, image_url: 'ims-images:recovery/delayed.qcow2', min_disk: 40 });
    const queued = await stored(id);
    expect(await queueDepth()).toMatchObject({ visible: 0, delayed: 1 });

    // A minute on the fake clock, not a second on the queue's: the message is still delayed.
    expect(await sweepAt(at(queued.next_check_at))).toMatchObject({ due: 1, taken: 1, requeued: 1 });
    expect(await queueDepth()).toMatchObject({ visible: 1, delayed: 1 });
    // Then the first message's delay ends, on the queue's own (real) clock.
    await new Promise((r) => setTimeout(r, DELAY_SECONDS * SECOND + 200));
    // Both messages in one batch: two concurrent claims of one record.
    expect(await pipe().runWorker()).toEqual({ received: 2, failed: 0 });
    expect(creationPosts(name)).toHaveLength(1);
    // A fresh request was never uncertain: nobody looked for an earlier image.
    expect(lookupsOf(name)).toHaveLength(0);

    const done = await driveToEnd(id);
    expect(done).toMatchObject({ status: 'succeeded', error: null, attempts: 1 });
    expect(creationPosts(name)).toHaveLength(1);
    expectOneWebhook(done, 'image.import.succeeded');
  });
});

describe('corrupt items in the due index', () => {
  it('are set aside, kept in the table, and stop taking the batch from real due records', async () => {
    fake = Date.now();
    p = await startPipeline({
      timings: 'production',
      now: () => new Date(fake),
      sim: { jobMs: 10 * SECOND, now: () => fake },
      // A batch smaller than the pile of corrupt items: left in the index, they would fill every sweep.
      adjust: (deps, role) => (role === 'poller' ? { ...deps, batchSize: 2 } : deps),
    });
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: 'ims-exports:corrupt/neighbour.qcow2', file_format: 'qcow2' });
    await pipe().runWorker();
    const db = dynamoDocumentClient({ endpoint: pipe().services.dynamoEndpoint, region: pipe().services.region });
    const table = pipe().services.tableName;
    const corruptIds = ['req_corrupt_a', 'req_corrupt_b', 'req_corrupt_c'];
    // Older than the real record's next check, so a sweep reads them first.
    for (const [i, cid] of corruptIds.entries()) {
      const dueAt = new Date(fake - HOUR + i * SECOND).toISOString();
      await db.send(new PutCommand({ TableName: table, Item: { pk: `REQ#${cid}`, sk: 'REQ', id: cid, status: 'bogus', due_pk: dueShard(cid), due_sk: `${dueAt}#${cid}` } }));
    }

    const first = await sweepAt(at((await stored(id)).next_check_at));
    expect(first).toMatchObject({ due: 0, corrupt: 2 });
    // The third one has left room for the real record.
    expect(await sweepAt(fake)).toMatchObject({ corrupt: 1, due: 1, taken: 1, checked: 1 });
    expect(await sweepAt(fake)).toMatchObject({ corrupt: 0 });

    for (const cid of corruptIds) {
      const raw = (await db.send(new GetCommand({ TableName: table, Key: { pk: `REQ#${cid}`, sk: 'REQ' } }))).Item;
      // Still there for an operator to look at, out of the index, otherwise untouched.
      expect(raw).toMatchObject({ id: cid, status: 'bogus', set_aside_at: expect.any(String) });
      expect(raw).not.toHaveProperty('due_sk');
    }
    // Only the item as it was read is set aside: one that changed since (here: already set aside) is left alone.
    const stale = { id: 'req_corrupt_a', dueSk: 'whatever#req_corrupt_a', error: new StoreError('corrupt-item', 'x') };
    expect(await pipe().poller.store.setAside(stale, new Date(fake))).toBe(false);
    const done = await driveToEnd(id);
    expect(done.status).toBe('succeeded');
  });
});

describe('a request that never reaches IMS', () => {
  it('is re-enqueued at growing intervals and fails with source timeout at the deadline, with one webhook', async () => {
    // The clock starts a day back, so the failure's webhook is signed at about the real time.
    await start(DAY + MINUTE, 10 * SECOND);
    const bucketUrl = 'ims-exports:never/reached.qcow2';
    const id = await submit('/v1/exports', { image_id: EXPORTABLE, bucket_url: bucketUrl, file_format: 'qcow2' });
    const created = fake;
    // No worker ever runs (as if it failed on every message): only the poller moves the request.
    let requeues = 0;
    for (let sweeps = 0; sweeps < 500; sweeps++) {
      const record = await stored(id);
      if (record.status !== 'queued') break;
      const report = await sweepAt(Math.max(fake, at(record.next_check_at)));
      requeues += report.requeued;
    }
    const done = await driveToEnd(id);
    expect(done).toMatchObject({ status: 'failed', ims_job_id: null, error: { code: 'JOB_DEADLINE', source: 'timeout', message: 'the request did not reach IMS within 24 h' } });
    expect(at(done.completed_at) - created).toBeGreaterThanOrEqual(DAY);
    // Never more than 15 minutes late, and the growing intervals keep the copies near one per 15 minutes.
    expect(at(done.completed_at) - created).toBeLessThanOrEqual(DAY + 15 * MINUTE);
    expect(requeues).toBeLessThanOrEqual(100);
    expect(exportPosts(bucketUrl)).toHaveLength(0);
    expectOneWebhook(done, 'image.export.failed');
  });
});
