// The whole pipeline, in-process and over real sockets, driven step by step: the real intake,
// worker and poller handlers against dynalite, fauxqs and the IMS simulator, with a webhook
// receiver that verifies every delivery with the standardwebhooks library.
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { request } from 'undici';
import { createChatopsHandler } from '../../handlers/chatops.js';
import { createIntakeHandler } from '../../handlers/intake.js';
import { handler as pageHandler } from '../../handlers/page.js';
import { createWorkerHandler } from '../../handlers/worker.js';
import type { ApiDeps } from '../../lib/api/deps.js';
import { sqsClient } from '../../lib/aws.js';
import { parseConfig, type Config } from '../../lib/jobs-config.js';
import { isChatopsPath } from '../../lib/chatops/slash.js';
import { isPagePath } from '../../lib/page/serve.js';
import { createImsClient } from '../../lib/ims/client.js';
import { createObsEvidence } from '../../lib/requests/evidence.js';
import type { RequestRecord } from '../../lib/requests/record.js';
import { sweepRound, type PollerDeps, type SweepReport } from '../../lib/requests/sweep.js';
import type { WorkerDeps } from '../../lib/requests/worker.js';
import { buildApiDeps, buildPollerDeps, buildWorkerDeps } from '../../lib/runtime.js';
import { hashSecret, newApiKey, newWebhookSecret, tenantDirectory } from '../../lib/tenants.js';
import { lambdaContext, startHttpGateway, type LocalGateway } from '../../local/http-gateway.js';
import { simulatorClientSettings } from '../../local/ims-sim/defaults.js';
import { startImsSimulator, type ImsSimulator, type SimOptions } from '../../local/ims-sim/server.js';
import { startLocalServices, type LocalServices } from '../../local/services.js';
import { messagesToDelete, sqsRecord } from '../../local/sqs-runner.js';
import { startWebhookReceiver as startLocalWebhookReceiver } from '../../local/webhook-receiver.js';
import { registerSecret } from './secrets.js';

export interface Delivery {
  id: string;
  type: string;
  data: RequestRecord;
}

export interface WebhookReceiver {
  url: string;
  /** Verified deliveries the receiver accepted (answered 204). */
  deliveries: Delivery[];
  /** Every POST that reached the receiver, accepted or not, with the status it was answered. */
  attempts: { id: string; status: number }[];
  /** Answer this status (instead of 204) until set back to null. */
  failWith: number | null;
  close(): Promise<void>;
}

/** The local receiver of `npm run receiver`, keeping what a test asserts on. */
export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = { url: '', deliveries: [], attempts: [], failWith: null, close: async () => undefined };
  const running = await startLocalWebhookReceiver({
    port: 0,
    secret: () => secret,
    unavailable: () => receiver.failWith,
    onDelivery: (delivery) => {
      receiver.attempts.push({ id: delivery.webhookId, status: delivery.status });
      // Verified: signature, id and timestamp checked with the standardwebhooks library.
      if (delivery.event) receiver.deliveries.push({ id: delivery.webhookId, type: delivery.event.type, data: delivery.event.data as unknown as RequestRecord });
    },
  });
  receiver.url = `${running.url}/hooks`;
  receiver.close = running.close;
  return receiver;
}

export interface PipelineOptions {
  sim?: SimOptions;
  settings?: Record<string, string>;
  /** Adjusts the worker's and poller's deps (a clock, a failing store, faster timings). */
  adjust?: <T extends WorkerDeps>(deps: T, role: 'worker' | 'poller', cfg: Config) => T;
  /** Adjusts the HTTP API's deps (e.g. a queue whose send fails). */
  adjustApi?: (deps: ApiDeps, cfg: Config) => ApiDeps;
  /** Faster or slower webhook retries than the pipeline's default of 200 ms. */
  webhookRetryDelaysMs?: number[];
  /**
   * `fast` (default): sub-second pacing. `production`: the timings the default settings give
   * (10 s first check, backoff to 5 min, 24 h deadline, ...), for tests that move a fake clock.
   */
  timings?: 'fast' | 'production';
  /** The clock of the API, the worker, the poller and their IMS clients (pass the simulator the same one). */
  now?: () => Date;
}

export interface Pipeline {
  services: LocalServices;
  sim: ImsSimulator;
  gateway: LocalGateway;
  receiver: WebhookReceiver;
  cfg: Config;
  apiKey: string;
  worker: WorkerDeps;
  poller: PollerDeps;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any }>;
  /** Receives one batch and runs the worker on it the way Lambda's event source mapping does. */
  runWorker(options?: { visibilityTimeout?: number }): Promise<{ received: number; failed: number }>;
  sweep(): Promise<SweepReport>;
  /** Runs worker and poller rounds until `done` holds or the rounds run out. */
  settle(done: () => Promise<boolean>, options?: { rounds?: number; pauseMs?: number }): Promise<void>;
  record(id: string): Promise<RequestRecord>;
  stop(): Promise<void>;
}

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const services = await startLocalServices({ visibilityTimeoutSeconds: 2 });
  const sim = await startImsSimulator({ jobMs: 400, ...options.sim });
  const secret = registerSecret(newWebhookSecret());
  const apiKey = registerSecret(newApiKey());
  const production = options.timings === 'production';
  const receiver = await startWebhookReceiver(secret);
  const cfg = parseConfig({
    ...services.settings,
    ...simulatorClientSettings(sim.url),
    ALLOW_LOOPBACK_WEBHOOKS: 'true',
    ...(production ? {} : { JOB_CHECK_MIN_SECONDS: '1', JOB_CHECK_MAX_SECONDS: '2' }),
    TENANTS: JSON.stringify([{ id: 'acme', api_key_sha256: [hashSecret(apiKey)], webhook_secrets: [secret], default_callback_url: receiver.url }]),
    ...options.settings,
  });
  // Sub-second pacing so a test runs in seconds; the rules are the production ones.
  const fast = {
    ...cfg.timings,
    firstCheckDelayMs: 150,
    checkBackoff: { minMs: 150, maxMs: 600 },
    sweepLeaseMs: 1_000,
    submitLeaseMs: 1_500,
    imsRetryDelaysSeconds: [0],
    webhookRetryDelaysMs: options.webhookRetryDelaysMs ?? [200, 200, 200, 200, 200, 200, 200],
  };
  const timings = production
    ? { ...cfg.timings, ...(options.webhookRetryDelaysMs ? { webhookRetryDelaysMs: options.webhookRetryDelaysMs } : {}) }
    : fast;
  const adjust = options.adjust ?? (<T,>(d: T) => d);
  const clock = options.now;
  // The IMS client keeps its own clock (token expiry, AK/SK dates): the same one as everything else.
  const clocked = () =>
    clock
      ? {
          now: clock,
          ims: createImsClient(cfg.ims, { now: () => clock().getTime() }),
          // OBS signatures are dated too: the simulator checks them against the same clock.
          obs: createObsEvidence(cfg.obs.settings, cfg.obs.key, tenantDirectory(cfg.tenants), clock),
        }
      : {};
  const worker = adjust({ ...buildWorkerDeps(cfg), timings, ...clocked() }, 'worker', cfg);
  const poller = adjust({ ...buildPollerDeps(cfg), timings, ...clocked() }, 'poller', cfg);
  const apiDeps = (options.adjustApi ?? ((d: ApiDeps) => d))({ ...buildApiDeps(cfg), ...(clock ? { now: clock } : {}) }, cfg);
  const gateway = await startHttpGateway({
    handler: createIntakeHandler(() => apiDeps),
    routes: [
      { matches: isPagePath, handler: pageHandler, functionName: 'page' },
      { matches: isChatopsPath, handler: createChatopsHandler(() => apiDeps), functionName: 'chatops' },
    ],
  });
  const workerHandler = createWorkerHandler(() => worker);
  const sqs = sqsClient({ endpoint: services.sqsEndpoint, region: services.region });

  const pipeline: Pipeline = {
    services,
    sim,
    gateway,
    receiver,
    cfg,
    apiKey,
    worker,
    poller,
    async api(method, path, body, headers = {}) {
      const res = await request(`${gateway.url}${path}`, {
        method: method as 'GET',
        headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      return { status: res.statusCode, json: text ? JSON.parse(text) : null };
    },
    async runWorker({ visibilityTimeout } = {}) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: services.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          ...(visibilityTimeout === undefined ? {} : { VisibilityTimeout: visibilityTimeout }),
        }),
      );
      const messages = got.Messages ?? [];
      if (!messages.length) return { received: 0, failed: 0 };
      const event: SQSEvent = { Records: messages.map((m) => sqsRecord(m, 'arn:aws:sqs:eu-central-1:000000000000:intake', services.region)) };
      let outcome: { threw: true } | { threw: false; response: Awaited<ReturnType<typeof workerHandler>> };
      try {
        outcome = { threw: false, response: await workerHandler(event, lambdaContext('worker', 60_000) as Context) };
      } catch {
        outcome = { threw: true };
      }
      const toDelete = new Set(messagesToDelete(event.Records, outcome));
      for (const m of messages) {
        if (m.MessageId && toDelete.has(m.MessageId)) await sqs.send(new DeleteMessageCommand({ QueueUrl: services.queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
      return { received: messages.length, failed: messages.length - toDelete.size };
    },
    sweep: () => sweepRound(poller, () => true),
    async settle(done, { rounds = 80, pauseMs = 100 } = {}) {
      for (let i = 0; i < rounds; i++) {
        if (await done()) return;
        await pipeline.runWorker();
        await pipeline.sweep();
        await new Promise((r) => setTimeout(r, pauseMs));
      }
      if (!(await done())) throw new Error('the pipeline did not settle');
    },
    async record(id) {
      return (await pipeline.api('GET', `/v1/requests/${id}`)).json as RequestRecord;
    },
    async stop() {
      await gateway.close();
      await receiver.close();
      await worker.ims.close();
      await poller.ims.close();
      await (worker as { obs?: { client: { close(): Promise<void> } } | null }).obs?.client.close();
      await poller.obs?.client.close();
      await sim.close();
      await services.stop();
    },
  };
  return pipeline;
}

/**
 * Puts every import source a body names (`image_url`, at any depth) into the simulated OBS, as a
 * user uploads the file before importing it: the worker checks that an import's source exists.
 */
export function uploadSources(sim: Pick<ImsSimulator, 'addObject'>, body: unknown): void {
  if (Array.isArray(body)) return body.forEach((item) => uploadSources(sim, item));
  if (typeof body !== 'object' || body === null) return;
  for (const [key, value] of Object.entries(body)) {
    const colon = typeof value === 'string' ? value.indexOf(':') : -1;
    if (key === 'image_url' && typeof value === 'string' && colon > 0) sim.addObject({ bucket: value.slice(0, colon), key: value.slice(colon + 1) });
    else uploadSources(sim, value);
  }
}

export const terminal = (r: RequestRecord) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled';
