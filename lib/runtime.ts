// What each function runs with, built once per container from the settings, on first use.
import type { ApiDeps } from './api/routes.js';
import { dynamoDocumentClient, sqsClient } from './aws.js';
import { loadConfig, type Config } from './config.js';
import { createIntakeQueue } from './queue/intake.js';
import { cancelRequest } from './requests/cancel.js';
import { createRateLimiter } from './store/rate-limit.js';
import { createRequestStore } from './store/requests.js';
import { tenantDirectory } from './tenants.js';

function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export function buildApiDeps(cfg: Config): ApiDeps {
  const db = dynamoDocumentClient({ endpoint: cfg.dynamoEndpoint, region: cfg.awsRegion });
  const store = createRequestStore({ client: db, tableName: cfg.tableName });
  const now = () => new Date();
  return {
    tenants: tenantDirectory(cfg.tenants),
    store,
    queue: createIntakeQueue({ client: sqsClient({ endpoint: cfg.sqsEndpoint, region: cfg.awsRegion }), queueUrl: cfg.intakeQueueUrl }),
    rateLimiter: createRateLimiter({ client: db, tableName: cfg.tableName }),
    placement: { defaultRegion: cfg.defaultRegion, projectIds: cfg.projectIds },
    now,
    cancel: (record, at) => cancelRequest(store, record, at),
  };
}

export const apiDeps = once(async () => buildApiDeps(await loadConfig()));
