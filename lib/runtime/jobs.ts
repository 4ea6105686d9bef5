// What the worker and the poller run with, built once per container: store, queue, tenants, the
// IMS client, the guarded agent for webhooks and chat posts, timings.
import { setTimeout as sleep } from 'node:timers/promises';
import { dynamoDocumentClient, sqsClient } from '../aws.js';
import { createChatNotifier } from '../chatops/notify.js';
import { loadConfig, type Config } from '../jobs-config.js';
import { createImsClient } from '../ims/client.js';
import { createIntakeQueue } from '../queue/intake.js';
import { createObsEvidence, type ObsEvidence } from '../requests/evidence.js';
import type { EffectDeps } from '../requests/effects.js';
import type { PollerDeps } from '../requests/sweep.js';
import type { WorkerDeps } from '../requests/worker.js';
import { createDeliveryLog } from '../store/deliveries.js';
import { createImsSlots } from '../store/ims-slots.js';
import { createDueIndex } from '../store/due-index.js';
import { createRequestStore } from '../store/requests.js';
import { tenantDirectory } from '../tenants.js';
import { createGuardedAgent } from '../webhooks/guard.js';
import { builtFromSettings } from './once.js';

function buildEffectDeps(cfg: Config): EffectDeps & { ims: ReturnType<typeof createImsClient>; obs: ObsEvidence | null } {
  const db = dynamoDocumentClient({ endpoint: cfg.dynamoEndpoint, region: cfg.awsRegion });
  const tenants = tenantDirectory(cfg.tenants);
  const now = () => new Date();
  // Loopback only for local development; https only in the cloud. Webhooks and chat posts share it.
  const webhookAgent = createGuardedAgent({ allowLoopback: cfg.allowLoopbackWebhooks, requireHttps: !cfg.allowLoopbackWebhooks });
  return {
    store: createRequestStore({ client: db, tableName: cfg.tableName }),
    queue: createIntakeQueue({ client: sqsClient({ endpoint: cfg.sqsEndpoint, region: cfg.awsRegion }), queueUrl: cfg.intakeQueueUrl }),
    tenants,
    placement: { defaultRegion: cfg.defaultRegion, projectIds: cfg.projectIds },
    webhookAgent,
    webhookPolicy: { allowLoopback: cfg.allowLoopbackWebhooks },
    chat: createChatNotifier({ agent: webhookAgent, allowLoopback: cfg.allowLoopbackWebhooks }),
    timings: cfg.timings,
    now,
    deliveries: createDeliveryLog({ client: db, tableName: cfg.tableName }),
    // A slot outlasts three of the longest waits between job checks, each of which renews it.
    imsSlots:
      cfg.imsProjectMaxInFlight > 0
        ? createImsSlots({ client: db, tableName: cfg.tableName, maxInFlight: cfg.imsProjectMaxInFlight, leaseMs: 3 * cfg.timings.checkBackoff.maxMs + 60_000, waitSeconds: 10 })
        : null,
    ims: createImsClient(cfg.ims),
    obs: createObsEvidence(cfg.obs.settings, cfg.obs.key, tenants),
  };
}

export function buildWorkerDeps(cfg: Config): WorkerDeps {
  return buildEffectDeps(cfg);
}

export function buildPollerDeps(cfg: Config): PollerDeps {
  const effects = buildEffectDeps(cfg);
  const db = dynamoDocumentClient({ endpoint: cfg.dynamoEndpoint, region: cfg.awsRegion });
  return {
    ...effects,
    store: { ...effects.store, ...createDueIndex({ client: db, tableName: cfg.tableName }) },
    batchSize: 100,
    concurrency: 8,
    sleep: (ms) => sleep(ms).then(() => undefined),
    // No record starts in the last 3 s; one the timeout cuts off stays held for its 60 s lease and a later sweep handles it.
    pauseMs: 5_000,
    reserveMs: 3_000,
  };
}

// Pure: the worker's bundle drops what only the poller builds (its due index), and the other way round.
export const workerDeps = /* @__PURE__ */ builtFromSettings(loadConfig, buildWorkerDeps);
export const pollerDeps = /* @__PURE__ */ builtFromSettings(loadConfig, buildPollerDeps);
