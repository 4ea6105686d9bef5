// `npm start`: the whole service on this machine. Every setting comes from the
// environment; what a newcomer needs (URL, key, secrets, a curl to paste) is printed at start.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { envSchema } from '../lib/jobs-config.js';
import { hashSecret } from '../lib/tenants.js';
import { credentialsPath, loadOrCreateLocalCredentials } from './credentials.js';
import { SIM_DEFAULTS } from './ims-sim/defaults.js';
import { formatStreamLogs } from './log-format.js';
import { localEnv } from './settings.js';
import { LOCAL_TENANT, SAMPLE_EVENTS_API_KEY, startLocalStack, type LocalStack } from './stack.js';
import { readTenantsFile } from './tenants-file.js';

/** Settings of lib/config.ts the local stack sets itself: the stand-ins' endpoints and tenant `local`. */
const STACK_OWNED = new Set(['AWS_REGION', 'TABLE_NAME', 'INTAKE_QUEUE_URL', 'DYNAMODB_ENDPOINT', 'SQS_ENDPOINT', 'TENANTS', 'ALLOW_LOOPBACK_WEBHOOKS', 'SLACK_SIGNING_SECRET']);
/** Any of these means "use this real IMS", and the simulator is not started. */
const REAL_IMS_TRIGGERS = ['IMS_PROJECT_ID', 'IMS_AK', 'IMS_USER'];

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

// Shells often export variables empty; empty counts as unset.
// Node 20 here, 22 on Lambda: the AWS SDK's notice about Node 20 says nothing about this service.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
const parsed = localEnv.safeParse(env);
if (!parsed.success) fail(`invalid settings: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`);
const s = parsed.data;

// Read before anything starts: a bad file stops npm start with the file and field named.
const tenantsFile = s.LOCAL_TENANTS_FILE ? await readTenantsFile(resolve(s.LOCAL_TENANTS_FILE), [LOCAL_TENANT]) : ({ ok: true, tenants: [] } as const);
if (!tenantsFile.ok) fail(tenantsFile.problem);
const extraTenants = tenantsFile.tenants;

const configSettings = Object.fromEntries(Object.entries(env).filter(([k]) => k in envSchema.shape && !STACK_OWNED.has(k)));
const realIms = REAL_IMS_TRIGGERS.some((k) => k in configSettings);

function probe(portNumber: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(portNumber, '127.0.0.1', () => server.close(() => done(true)));
  });
}

const ports: [string, number][] = [
  ['PORT', s.PORT],
  ['LOCAL_SQS_PORT', s.LOCAL_SQS_PORT],
  ['LOCAL_DYNAMODB_PORT', s.LOCAL_DYNAMODB_PORT],
  ...(realIms ? [] : ([['IMS_SIM_PORT', s.IMS_SIM_PORT]] as [string, number][])),
];
for (const [name, p] of ports) {
  const clash = ports.find(([other, q]) => other !== name && q === p && p !== 0);
  if (clash) fail(`${name} and ${clash[0]} are both ${p}; give each a different port`);
  if (p !== 0 && !(await probe(p))) fail(`port ${p} is already in use; set ${name} to a free port (e.g. ${name}=${p + 1} npm start)`);
}

const dataDir = resolve(s.LOCAL_DATA_DIR);
const webhookUrl = s.LOCAL_WEBHOOK_URL === 'none' ? null : s.LOCAL_WEBHOOK_URL;
let stack: LocalStack;
let credentialsNote: string;
try {
  await mkdir(dataDir, { recursive: true });
  // Kept between runs with the data, so a key pasted into a curl keeps working; the environment overrides.
  const { credentials, created } = await loadOrCreateLocalCredentials(dataDir);
  const overridden = (['LOCAL_API_KEY', 'LOCAL_WEBHOOK_SECRET', 'SLACK_SIGNING_SECRET'] as const).filter((k) => s[k] !== undefined);
  credentialsNote = `${created ? 'new, stored in' : 'from'} ${credentialsPath(dataDir)}${overridden.length ? `; ${overridden.join(', ')} from the environment` : ''}`;
  stack = await startLocalStack({
    port: s.PORT,
    sqsPort: s.LOCAL_SQS_PORT,
    dynamoPort: s.LOCAL_DYNAMODB_PORT,
    simPort: s.IMS_SIM_PORT,
    dataDir,
    apiKey: s.LOCAL_API_KEY ?? credentials.api_key,
    webhookSecret: s.LOCAL_WEBHOOK_SECRET ?? credentials.webhook_secret,
    slackSigningSecret: s.SLACK_SIGNING_SECRET ?? credentials.slack_signing_secret,
    slackTeamId: s.LOCAL_SLACK_TEAM_ID,
    ...(s.LOCAL_MATTERMOST_TOKEN ? { mattermostToken: s.LOCAL_MATTERMOST_TOKEN } : {}),
    extraTenants,
    webhookUrl,
    pollIntervalMs: s.POLL_INTERVAL_SECONDS * 1000,
    simJobMs: s.SIM_JOB_SECONDS * 1000,
    allowLoopbackWebhooks: s.ALLOW_LOOPBACK_WEBHOOKS,
    extraSettings: configSettings,
    realIms,
  });
} catch (error) {
  fail(`could not start: ${(error as Error).message.split('\n')[0]}`);
}

// What `serverless invoke local` needs to reach this stack: `set -a; . .local/invoke.env; set +a`.
// Its tenant `local` also accepts the sample events' key; the running stack does not.
const invokeEnv = join(dataDir, 'invoke.env');
const invokeTenants = (JSON.parse(stack.settings.TENANTS ?? '[]') as { id: string; api_key_sha256: string[] }[]).map((t) =>
  t.id === LOCAL_TENANT ? { ...t, api_key_sha256: [...t.api_key_sha256, hashSecret(SAMPLE_EVENTS_API_KEY)] } : t,
);
const invokeSettings = {
  ...stack.settings,
  TENANTS: JSON.stringify(invokeTenants),
  // No SSM locally: the secrets are right here.
  SECRETS_PARAMETER: '',
  // The poller sweeps until shortly before its timeout; a short one makes `invoke local -f poller` sweep once.
  INVOKE_LOCAL_TIMEOUT_SECONDS: '15',
};
const shellQuote = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
await writeFile(
  invokeEnv,
  [
    '# Written by `npm start`: the settings of the running local stack, for `serverless invoke local`.',
    ...Object.entries(invokeSettings).map(([k, v]) => `${k}=${shellQuote(v)}`),
    '',
  ].join('\n'),
  { mode: 0o600 },
);
await chmod(invokeEnv, 0o600);

/** The banner's curl sends this key, so pasting it twice makes one request, not two exports to one object. */
const FIRST_EXPORT_KEY = 'banner-first-try';
const exportBody = JSON.stringify({ image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'my-bucket:exports/centos7.qcow2', file_format: 'qcow2', client_ref: 'first-try' });
process.stdout.write(
  [
    '',
    'ims-transfer is running locally.',
    `  API base URL          ${stack.apiUrl}/v1   (health: ${stack.apiUrl}/v1/health, OpenAPI: ${stack.apiUrl}/v1/openapi.json)`,
    `  API key (tenant local) ${stack.apiKey}`,
    `  Webhook secret        ${stack.webhookSecret}`,
    `  Webhooks go to        ${webhookUrl ?? '(no default; LOCAL_WEBHOOK_URL=none)'}`,
    `  Slack signing secret  ${stack.slackSigningSecret}   (team ${s.LOCAL_SLACK_TEAM_ID})`,
    `  Mattermost token      ${s.LOCAL_MATTERMOST_TOKEN ?? '(none; set LOCAL_MATTERMOST_TOKEN to try Mattermost commands)'}`,
    `  Tenants               ${[LOCAL_TENANT, ...extraTenants.map((t) => t.id)].join(', ')}${s.LOCAL_TENANTS_FILE ? `   (besides local: ${resolve(s.LOCAL_TENANTS_FILE)})` : ''}`,
    `  Credentials           ${credentialsNote}`,
    `  IMS                   ${stack.simUrl ? `simulator at ${stack.simUrl} (jobs take ${s.SIM_JOB_SECONDS} s; OBS path-style on the same origin; state in ${join(dataDir, 'ims-sim')})` : 'the real IMS from your IMS_* settings'}`,
    `  DynamoDB (dynalite)   ${stack.services.dynamoEndpoint}   (table ${stack.services.tableName}, data in ${join(dataDir, 'dynamodb')})`,
    `  SQS (fauxqs)          ${stack.services.sqsEndpoint}   (queue ${stack.services.queueUrl}, DLQ ${stack.services.dlqUrl})`,
    `  Poller                every ${s.POLL_INTERVAL_SECONDS} s`,
    `  For invoke local      set -a; . ${invokeEnv}; set +a`,
    '',
    'Try an export (pasted again, the same Idempotency-Key answers 200 with the same request):',
    `  curl -s -X POST ${stack.apiUrl}/v1/exports -H 'authorization: Bearer ${stack.apiKey}' -H 'content-type: application/json' -H 'Idempotency-Key: ${FIRST_EXPORT_KEY}' -d '${exportBody}'`,
    '',
    'Ctrl-C stops everything.',
    '',
    '',
  ].join('\n'),
);

formatStreamLogs(process.stdout, { debug: s.LOG_LEVEL === 'DEBUG' });
formatStreamLogs(process.stderr, { debug: s.LOG_LEVEL === 'DEBUG' });

// One Ctrl-C can arrive twice: the terminal signals the whole process group, and npm and tsx also
// relay it to this process. Only a signal well after the first one means "stop waiting".
const RELAYED_SIGNAL_MS = 1_500;
let stoppingSince: number | null = null;
function shutdown(signal: string): void {
  if (stoppingSince !== null) {
    if (Date.now() - stoppingSince < RELAYED_SIGNAL_MS) return;
    process.stderr.write(`npm start: ${signal} again; exiting without waiting\n`);
    process.exit(1);
  }
  stoppingSince = Date.now();
  process.stdout.write(`\nStopping (${signal})...\n`);
  const force = setTimeout(() => fail('did not stop within 10 s'), 10_000);
  force.unref();
  stack.stop().then(
    () => {
      process.stdout.write('Stopped.\n');
      process.exit(0);
    },
    (error: unknown) => fail(`stopping failed: ${(error as Error).message}`),
  );
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
