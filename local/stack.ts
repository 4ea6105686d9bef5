// The whole service on one machine: dynalite, fauxqs and the IMS simulator as stand-ins, and the
// REAL handlers behind local event sources (HTTP gateway, SQS runner, schedule), configured through
// the same settings object the cloud reads from its environment.
import { join } from 'node:path';
import { createChatopsHandler } from '../handlers/chatops.js';
import { createIntakeHandler } from '../handlers/intake.js';
import { handler as pageHandler } from '../handlers/page.js';
import { createPollerHandler } from '../handlers/poller.js';
import { createWorkerHandler } from '../handlers/worker.js';
import { sqsClient } from '../lib/aws.js';
import { parseConfig } from '../lib/jobs-config.js';
import { logger } from '../lib/log.js';
import { isChatopsPath } from '../lib/chatops/slash.js';
import { isPagePath } from '../lib/page/serve.js';
import { buildApiDeps, buildPollerDeps, buildWorkerDeps, once } from '../lib/runtime.js';
import { hashSecret, newApiKey, newWebhookSecret, type Tenant } from '../lib/tenants.js';
import { startHttpGateway, type LocalGateway } from './http-gateway.js';
import { simulatorClientSettings } from './ims-sim/defaults.js';
import { startImsSimulator, type ImsSimulator } from './ims-sim/server.js';
import { startScheduler, type Scheduler } from './scheduler.js';
import { startLocalServices, type LocalServices } from './services.js';
import { startSqsRunner, type SqsRunner } from './sqs-runner.js';

/** The worker's timeout in serverless.yml, as its context reports it. */
const WORKER_TIMEOUT_MS = 60_000;
/** Below the cloud's six worker timeouts on purpose: a failed message comes back in seconds, not minutes. */
const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 30;

export interface LocalStackOptions {
  /** 0 = a random free port, for each listener. */
  port?: number;
  sqsPort?: number;
  dynamoPort?: number;
  simPort?: number;
  /** DynamoDB data is kept under this directory; in memory when unset. */
  dataDir?: string;
  apiKey?: string;
  webhookSecret?: string;
  slackSigningSecret?: string;
  slackTeamId?: string;
  /** A Mattermost slash-command token for tenant `local`; none when unset. */
  mattermostToken?: string;
  /** Tenants served besides `local` (LOCAL_TENANTS_FILE). */
  extraTenants?: readonly Tenant[];
  /** Tenant `local`'s default callback URL (where completion webhooks go when a request names none). */
  webhookUrl?: string | null;
  pollIntervalMs?: number;
  simJobMs?: number;
  allowLoopbackWebhooks?: boolean;
  /** Use the real IMS named in extraSettings (IMS_ENDPOINT, IMS_PROJECT_ID, IMS_AK, ...); the simulator is not started. */
  realIms?: boolean;
  /** Further settings of lib/config.ts, as the environment would give them; the stand-ins' own settings win. */
  extraSettings?: Record<string, string>;
  /** SQS visibility timeout of the local intake queue. */
  visibilityTimeoutSeconds?: number;
}

export interface LocalStack {
  apiUrl: string;
  apiKey: string;
  webhookSecret: string;
  slackSigningSecret: string;
  simUrl: string | null;
  services: LocalServices;
  /** The settings the handlers were configured with (the environment a Lambda would have). */
  settings: Record<string, string>;
  stop(): Promise<void>;
}

export const LOCAL_TENANT = 'local';

/** The key in events/http-*.json: accepted only by `serverless invoke local` with .local/invoke.env, never by the running stack. */
export const SAMPLE_EVENTS_API_KEY = 'imt_sample-events-only-for-invoke-local';

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const apiKey = options.apiKey ?? newApiKey();
  const webhookSecret = options.webhookSecret ?? newWebhookSecret();
  const slackSigningSecret = options.slackSigningSecret ?? newWebhookSecret().slice('whsec_'.length);
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  if (options.extraTenants?.some((t) => t.id === LOCAL_TENANT)) throw new Error(`tenant id "${LOCAL_TENANT}" is the local stack's own`);

  // Stopped in reverse order on failure or stop(): event sources before the services they call.
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) {
      await stop().catch((error: unknown) => logger.warn('local stack: stopping a part failed', { error: (error as Error).message }));
    }
  };

  try {
    const services = await startLocalServices({
      dynamoPort: options.dynamoPort ?? 0,
      sqsPort: options.sqsPort ?? 0,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? LOCAL_VISIBILITY_TIMEOUT_SECONDS,
      ...(options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {}),
    });
    stoppers.push(services.stop);
    const mended = services.indexRepair;
    if (mended && mended.rewritten + mended.orphans > 0) {
      logger.warn('local table: indexes mended after an unclean stop', { items: mended.items, rewritten: mended.rewritten, orphans: mended.orphans });
    }

    let sim: ImsSimulator | null = null;
    if (!options.realIms) {
      sim = await startImsSimulator({
        port: options.simPort ?? 0,
        jobMs: options.simJobMs ?? 5_000,
        // With a data directory "IMS" remembers its jobs across a restart of the stack.
        ...(options.dataDir ? { stateDir: join(options.dataDir, 'ims-sim') } : {}),
      });
      stoppers.push(sim.close);
      // The README walkthrough's import source, uploaded as a user would: the worker checks that it exists.
      sim.addObject({ bucket: 'my-bucket', key: 'images/ubuntu18.qcow2' });
    }

    const settings: Record<string, string> = {
      // A simulated job takes seconds, so check it every second or so rather than the cloud's 10 s.
      JOB_CHECK_MIN_SECONDS: '1',
      JOB_CHECK_MAX_SECONDS: '10',
      ...options.extraSettings,
      ...services.settings,
      TENANTS: JSON.stringify([
        {
          id: LOCAL_TENANT,
          api_key_sha256: [hashSecret(apiKey)],
          webhook_secrets: [webhookSecret],
          default_callback_url: options.webhookUrl ?? null,
          slack_team_ids: [options.slackTeamId ?? 'T0LOCAL'],
          ...(options.mattermostToken ? { mattermost_token_sha256: [hashSecret(options.mattermostToken)] } : {}),
        },
        ...(options.extraTenants ?? []),
      ]),
      ALLOW_LOOPBACK_WEBHOOKS: String(options.allowLoopbackWebhooks ?? true),
      SLACK_SIGNING_SECRET: slackSigningSecret,
      ...(sim ? simulatorClientSettings(sim.url) : {}),
    };
    const cfg = parseConfig(settings);

    const reportError = (source: string) => (error: unknown) =>
      logger.error(`local ${source} invocation failed`, { error: error instanceof Error ? error.message : String(error) });

    const runner: SqsRunner = await startSqsRunner({
      client: sqsClient({ endpoint: services.sqsEndpoint, region: services.region }),
      queueUrl: services.queueUrl,
      region: services.region,
      handler: createWorkerHandler(once(() => buildWorkerDeps(cfg))),
      functionName: 'worker',
      timeoutMs: WORKER_TIMEOUT_MS,
      onError: reportError('worker'),
    });
    stoppers.push(runner.stop);

    const scheduler: Scheduler = startScheduler({
      handler: createPollerHandler(once(() => buildPollerDeps(cfg))),
      intervalMs: pollIntervalMs,
      functionName: 'poller',
      region: services.region,
      onError: reportError('poller'),
    });
    stoppers.push(scheduler.stop);

    // The API answers last, so a healthy /v1/health means every part is up.
    const gateway: LocalGateway = await startHttpGateway({
      handler: createIntakeHandler(once(() => buildApiDeps(cfg))),
      port: options.port ?? 0,
      functionName: 'intake',
      onError: reportError('intake'),
      routes: [
        { matches: isPagePath, handler: pageHandler, functionName: 'page' },
        // Its own deps, as its own function has in the cloud (its own container, its own replay guard).
        { matches: isChatopsPath, handler: createChatopsHandler(once(() => buildApiDeps(cfg))), functionName: 'chatops' },
      ],
    });
    stoppers.push(gateway.close);

    let stopping: Promise<void> | undefined;
    return {
      apiUrl: gateway.url,
      apiKey,
      webhookSecret,
      slackSigningSecret,
      simUrl: sim?.url ?? null,
      services,
      settings,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
