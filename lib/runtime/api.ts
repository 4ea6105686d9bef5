// What the intake and chatops functions run with, built once per container. It imports only what the API
// needs (no IMS client, no outbound HTTP stack): what a function bundles is its cold start.
import type { ApiDeps } from '../api/deps.js';
import { dynamoDocumentClient, sqsClient } from '../aws.js';
import { createReplayGuard } from '../chatops/replays.js';
import { createConfigLoader, parseApiConfig, readProcessParameter, type ApiConfig } from '../config.js';
import { createIntakeQueue } from '../queue/intake.js';
import { cancelRequest } from '../requests/cancel.js';
import { createRateLimiter } from '../store/rate-limit.js';
import { createDeliveryLog } from '../store/deliveries.js';
import { createRequestListing } from '../store/request-list.js';
import { createRequestStore } from '../store/requests.js';
import { tenantDirectory } from '../tenants.js';
import { builtFromSettings } from './once.js';

export function buildApiDeps(cfg: ApiConfig): ApiDeps {
  const db = dynamoDocumentClient({ endpoint: cfg.dynamoEndpoint, region: cfg.awsRegion });
  const store = { ...createRequestStore({ client: db, tableName: cfg.tableName }), ...createRequestListing({ client: db, tableName: cfg.tableName }) };
  return {
    tenants: tenantDirectory(cfg.tenants),
    store,
    queue: createIntakeQueue({ client: sqsClient({ endpoint: cfg.sqsEndpoint, region: cfg.awsRegion }), queueUrl: cfg.intakeQueueUrl }),
    rateLimiter: createRateLimiter({ client: db, tableName: cfg.tableName }),
    placement: { defaultRegion: cfg.defaultRegion, projectIds: cfg.projectIds },
    timings: cfg.timings,
    now: () => new Date(),
    cancel: (record, at) => cancelRequest(store, record, at, cfg.timings),
    webhookPolicy: { allowLoopback: cfg.allowLoopbackWebhooks },
    deliveries: createDeliveryLog({ client: db, tableName: cfg.tableName }),
    chat: { slackSigningSecret: cfg.slackSigningSecret ?? null, replays: createReplayGuard(), allowLoopback: cfg.allowLoopbackWebhooks },
  };
}

/** The API functions' settings as of now (see createConfigLoader); here, so that only they bundle it. */
const loadApiConfig = createConfigLoader(process.env, readProcessParameter, parseApiConfig);

export const apiDeps = builtFromSettings(loadApiConfig, buildApiDeps);
