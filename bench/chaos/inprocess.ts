// The chaos run in one process: the real intake (through the local HTTP gateway), worker and poller
// handlers on dynalite, fauxqs and the IMS simulator (test/helpers/pipeline.ts), with several
// worker loops as Lambda's concurrency would run them and the poller on a short schedule.
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../../lib/aws.js';
import { createImsClient } from '../../lib/ims/client.js';
import { hashSecret, newApiKey, newWebhookSecret } from '../../lib/tenants.js';
import { startPipeline } from '../../test/helpers/pipeline.js';
import { registerSecret } from '../../test/helpers/secrets.js';
import { computeFigures, startDeliveryCounter, waitForTerminal, waitForWebhooks, type Figures } from './figures.js';
import { faultKinds, inFlight, planRequests, seeded, startFaultFeeder, submit } from './harness.js';

export interface ChaosOptions {
  requests: number;
  /** Share of IMS calls faulted (0.2). */
  faultShare?: number;
  seed?: number;
  /** The IMS client's response timeout for the run; stalls last this plus a second. */
  clientTimeoutMs?: number;
  /** How long a simulated IMS job runs: about the worker's retry delay, so a retry meets jobs both running and ended (3 s). */
  jobMs?: number;
  workers?: number;
  /** Runs longer than this fail (the production 24 h would outlast the run); the stall window must exceed it. */
  jobDeadlineMs?: number;
  stallMs?: number;
  deadlineMs?: number;
  log?: (line: string) => void;
}

export async function runChaos(options: ChaosOptions): Promise<Figures> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 12;
  const rnd = seeded(seed);
  const clientTimeoutMs = options.clientTimeoutMs ?? 1_500;
  // Our own tenant (no rate limit in the way of N requests) and receiver, counting deliveries per webhook-id.
  const apiKey = registerSecret(newApiKey());
  const secret = registerSecret(newWebhookSecret());
  const { receiver, deliveries } = await startDeliveryCounter(secret);
  const tenants = [{ id: 'chaos', api_key_sha256: [hashSecret(apiKey)], webhook_secrets: [secret], default_callback_url: `${receiver.url}/hooks`, requests_per_minute: 1_000_000 }];
  const pipeline = await startPipeline({
    sim: { jobMs: options.jobMs ?? 3_000 },
    settings: { TENANTS: JSON.stringify(tenants) },
    // Shorter client timeouts so a stall past the timeout costs seconds, not the production 30 s.
    adjust: (deps, _role, cfg) => ({
      ...deps,
      timings: { ...deps.timings, jobDeadlineMs: options.jobDeadlineMs ?? 120_000 },
      ims: createImsClient({ ...cfg.ims, timeouts: { connectMs: 1_000, headersMs: clientTimeoutMs, bodyMs: clientTimeoutMs } }),
    }),
  });
  let running = true;
  const loops: Promise<void>[] = [];
  try {
    const api = { url: pipeline.gateway.url, key: apiKey, simUrl: pipeline.sim.url };
    const feeder = startFaultFeeder(() => pipeline.sim.url, options.faultShare ?? 0.2, faultKinds(clientTimeoutMs), rnd);
    // Worker loops (Lambda's concurrency) and the poller's schedule, until the run is over.
    const guard = async (step: () => Promise<unknown>, pauseMs: number) => {
      while (running) {
        try {
          await step();
        } catch (err) {
          log(`  loop error: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    };
    for (let i = 0; i < (options.workers ?? 4); i++) loops.push(guard(() => pipeline.runWorker(), 50));
    loops.push(guard(() => pipeline.sweep(), 200));

    const plan = planRequests(options.requests, `${seed}-${Date.now().toString(36)}`, rnd);
    log(`chaos: ${plan.length} requests, ${Math.round((options.faultShare ?? 0.2) * 100)} % IMS faults, client timeout ${clientTimeoutMs} ms, seed ${seed}`);
    const answers = await inFlight(plan, 8, (p) => submit(api, p));
    const accepted = answers.filter((a) => a.id).length;
    log(`  submitted: ${accepted} accepted`);
    await waitForTerminal(api, accepted, { stallMs: options.stallMs ?? (options.jobDeadlineMs ?? 120_000) + 15_000, deadlineMs: options.deadlineMs ?? 15 * 60_000, log });
    await waitForWebhooks(api, 10_000);
    await feeder.stop();
    running = false;
    await Promise.all(loops);
    // Every IMS job has ended before IMS is asked for the evidence.
    await new Promise((r) => setTimeout(r, (options.jobMs ?? 3_000) + 500));
    await feeder.drain(pipeline.sim.url);
    const sqs = sqsClient({ endpoint: pipeline.services.sqsEndpoint, region: pipeline.services.region });
    const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: pipeline.services.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    const finalRecords = await waitForTerminal(api, accepted, { stallMs: 0, deadlineMs: 0 });
    return await computeFigures({
      api,
      simUrl: pipeline.sim.url,
      plan,
      answers,
      records: finalRecords,
      deliveries,
      dlq: Number(dlq.Attributes?.ApproximateNumberOfMessages ?? 0),
      imsCalls: feeder.imsCalls(),
      faultsInjected: [...feeder.injected.values()].reduce((a, b) => a + b, 0),
      seconds: Math.round((Date.now() - started) / 1000),
    });
  } finally {
    running = false;
    await Promise.all(loops);
    await pipeline.stop();
    await receiver.close();
  }
}
