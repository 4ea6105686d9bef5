// The deployable artefact: `serverless package` (offline, as CI runs it) must produce a CloudFormation
// template with what the design relies on, and one zip per function holding its ESM bundle.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SECRET_SETTINGS } from '../../lib/config.js';
import { hintFor } from '../../lib/ims/hints.js';
import { envSchema } from '../../lib/jobs-config.js';
import { measuredTransport } from '../../lib/metrics.js';
import { tableDefinition } from '../../lib/store/table.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** `serverless package` without --stage, as CI runs it: the dev stage, which needs no params. */
const STAGE = 'dev';
const SERVERLESS = join(ROOT, 'node_modules/.bin/serverless');

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DependsOn?: string | string[];
}

let outDir: string;
let workDir: string;
/** serverless's environment: its own esbuild folder (see beforeAll). */
let serverlessEnv: NodeJS.ProcessEnv;
let template: { Resources: Record<string, Resource>; Parameters?: Record<string, Json>; Conditions?: Json };

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

/** The entries of a zip file (stored or deflated), read from its central directory. */
function unzip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error(`${file} is not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: broken central directory`);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + size);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function resourcesOfType(type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function resource(id: string): Resource {
  const r = template.Resources[id];
  if (!r) throw new Error(`the template has no resource ${id}`);
  return r;
}

/** The alarms' properties. */
function alarms(): Json[] {
  return resourcesOfType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
}

/** Each metric filter: its log group's logical id, its pattern, and the metric it counts into. */
function metricFilters(): { group: string; pattern: string; namespace: string; metric: string }[] {
  return resourcesOfType('AWS::Logs::MetricFilter').flatMap(([, r]) =>
    (r.Properties.MetricTransformations as Json[]).map((m) => ({
      group: (r.Properties.LogGroupName as { Ref: string }).Ref,
      pattern: r.Properties.FilterPattern as string,
      namespace: String(m.MetricNamespace),
      metric: String(m.MetricName),
    })),
  );
}

/** All TypeScript under lib/, as one text: what the functions log, wherever a module lives. */
function libSources(): string {
  const dir = join(ROOT, 'lib');
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'ims-transfer-package-'));
  workDir = mkdtempSync(join(tmpdir(), 'ims-transfer-esbuild-'));
  // Its own esbuild folder (serverless.yml reads ESBUILD_WORK_FOLDER, relative to the service), so a
  // serverless run elsewhere in the suite or the tree cannot remove this one's bundles midway.
  serverlessEnv = { ...process.env, ESBUILD_WORK_FOLDER: relative(ROOT, workDir) };
  const result = await run(SERVERLESS, ['package', '--package', outDir], serverlessEnv);
  if (result.code !== 0) throw new Error(`serverless package exited ${result.code}:\n${result.output.slice(-4000)}`);
  template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as typeof template;
}, 180_000);

afterAll(() => {
  for (const dir of [outDir, workDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('serverless package', () => {
  it('makes an intake queue that redrives to the DLQ, with a visibility timeout of at least six worker timeouts', () => {
    const queue = resource('IntakeQueue').Properties;
    const redrive = queue.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
    expect(resource('IntakeDeadLetterQueue').Type).toBe('AWS::SQS::Queue');
    expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['IntakeDeadLetterQueue', 'Arn'] });
    expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(1);
    const workerTimeout = resource('WorkerLambdaFunction').Properties.Timeout as number;
    expect(workerTimeout).toBeGreaterThan(0);
    expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  it('feeds the worker from the intake queue with partial batch failures', () => {
    const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    expect(mappings).toHaveLength(1);
    const [mapping] = mappings as [Json];
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['IntakeQueue', 'Arn'] });
    expect(JSON.stringify(mapping.FunctionName)).toContain('WorkerLambdaFunction');
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('runs the poller every minute', () => {
    const rules = resourcesOfType('AWS::Events::Rule').map(([, r]) => r.Properties);
    expect(rules).toHaveLength(1);
    const [rule] = rules as [Json];
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.State).toBe('ENABLED');
    expect(JSON.stringify(rule.Targets)).toContain('PollerLambdaFunction');
  });

  it('declares the requests table with the keys and indexes the local stack creates, including the due index', () => {
    const table = resource('RequestsTable');
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    const local = tableDefinition('any');
    const byName = <T extends { AttributeName?: string; IndexName?: string }>(xs: T[]) => [...xs].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));
    expect(table.Properties.KeySchema).toEqual(local.KeySchema);
    expect(byName(table.Properties.AttributeDefinitions as Json[])).toEqual(byName((local.AttributeDefinitions ?? []) as unknown as Json[]));
    expect(byName(table.Properties.GlobalSecondaryIndexes as Json[])).toEqual(byName((local.GlobalSecondaryIndexes ?? []) as unknown as Json[]));
    expect((table.Properties.GlobalSecondaryIndexes as { IndexName: string }[]).map((i) => i.IndexName)).toContain('due');
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('routes every path of the API to the intake function, the chat commands to the chatops function, and the status page (GET / and its assets) and the OpenAPI document to the page function', () => {
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual(
      [
        'POST /v1/exports',
        'POST /v1/imports',
        'POST /v1/captures',
        'GET /v1/requests',
        'GET /v1/requests/{id}',
        'DELETE /v1/requests/{id}',
        'GET /v1/requests/{id}/deliveries',
        'POST /v1/requests/{id}/redeliver',
        'GET /v1/health',
        'ANY /v1/chatops/slack',
        'ANY /v1/{proxy+}',
        'GET /',
        'GET /assets/{path+}',
        'ANY /v1/openapi.json',
      ].sort(),
    );
  });

  it('alarms when the DLQ holds a message', () => {
    const alarms = resourcesOfType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const dlq = alarms.find((a) => a.Namespace === 'AWS/SQS');
    expect(dlq).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['IntakeDeadLetterQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on webhooks that failed for good, counted from the worker and poller logs by the message the code logs', () => {
    // The filter must match what lib/requests/effects.ts logs when a webhook runs out of retries.
    expect(readFileSync(join(ROOT, 'lib/requests/effects.ts'), 'utf8')).toContain("logger.error('webhook failed'");
    const filters = metricFilters().filter((f) => f.metric === 'WebhookFailures');
    expect(filters.map((f) => f.group).sort()).toEqual(['PollerLogGroup', 'WorkerLogGroup']);
    for (const f of filters) expect(resource(f.group).Type).toBe('AWS::Logs::LogGroup');
    for (const f of filters) expect(f.pattern).toBe('{ $.message = "webhook failed" }');
    expect(new Set(filters.map((f) => f.namespace)).size).toBe(1);
    const alarm = alarms().find((a) => a.Namespace === filters[0]?.namespace && a.MetricName === 'WebhookFailures');
    expect(alarm).toMatchObject({ Statistic: 'Sum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms on Lambda errors and on throttles of each function', () => {
    for (const fn of ['Intake', 'Chatops', 'Worker', 'Poller']) {
      for (const metric of ['Errors', 'Throttles']) {
        const alarm = alarms().find(
          (a) => a.Namespace === 'AWS/Lambda' && a.MetricName === metric && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: `${fn}LambdaFunction` } }]),
        );
        expect(alarm, `${fn} ${metric}`).toMatchObject({ Statistic: 'Sum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      }
    }
  });

  it('alarms when the oldest intake message has waited too long', () => {
    const alarm = alarms().find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['IntakeQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // Longer than a worker batch that failed once takes to come back (the visibility timeout), shorter than a day.
    expect(alarm?.Threshold as number).toBeGreaterThanOrEqual(resource('IntakeQueue').Properties.VisibilityTimeout as number);
    expect(alarm?.Threshold as number).toBeLessThan(86_400);
  });

  it('records failed poller sweeps on a queue the poller may send to, and alarms when it holds one', () => {
    const configs = resourcesOfType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    const poller = configs.find((c) => JSON.stringify(c.FunctionName) === JSON.stringify({ Ref: 'PollerLambdaFunction' }));
    const destination = (poller?.DestinationConfig as { OnFailure?: { Destination: { 'Fn::GetAtt': [string, string] } } } | undefined)?.OnFailure?.Destination;
    expect(destination?.['Fn::GetAtt'][1]).toBe('Arn');
    const queueId = destination?.['Fn::GetAtt'][0] as string;
    expect(resource(queueId).Type).toBe('AWS::SQS::Queue');
    // The next scheduled sweep is the retry.
    expect(poller?.MaximumRetryAttempts).toBe(0);
    const pollerStatements = asArray(resource('PollerRole').Properties.Policies as Json[]).flatMap((p) => asArray((p.PolicyDocument as Json).Statement as Json[]));
    expect(pollerStatements.some((st) => asArray(st.Action as string[]).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] })))).toBe(true);
    const alarm = alarms().find((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }]));
    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms when IMS keeps answering 429, on the metric and dimensions the IMS transport writes', async () => {
    const alarm = alarms().find((a) => a.AlarmName === `ims-transfer-${STAGE}-ims-throttled`);
    expect(alarm).toMatchObject({ MetricName: 'ImsCalls', Namespace: `ims-transfer/${STAGE}`, Statistic: 'Sum', ComparisonOperator: 'GreaterThanThreshold' });
    // What a throttled call writes: one EMF line, under the namespace the functions get.
    const lines: string[] = [];
    process.env.METRICS_NAMESPACE = `ims-transfer/${STAGE}`;
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    try {
      await measuredTransport({ send: async () => ({ status: 429, headers: {}, body: '' }), close: async () => undefined }).send('https://ims.example', { method: 'GET', path: '/v2/cloudimages', headers: {} });
    } finally {
      spy.mockRestore();
      delete process.env.METRICS_NAMESPACE;
    }
    const emf = JSON.parse(lines.find((l) => l.includes('"ImsCalls"')) ?? '{}') as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } };
    const written = emf._aws.CloudWatchMetrics[0];
    expect(written?.Namespace).toBe(alarm?.Namespace);
    // CloudWatch matches a metric by its exact dimension set: the alarm names every dimension the line has, with its value.
    const dims = (alarm?.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]).sort();
    expect(dims).toEqual((written?.Dimensions[0] ?? []).map((name) => [name, String(emf[name])]).sort());
  });

  it('alarms on the share of ended requests that IMS failed, counting the status lines the code logs and leaving out the service\'s own codes', () => {
    const lib = libSources();
    expect(lib).toContain("logger.info('request status'");
    for (const field of ['to:', 'errorCode:']) expect(lib).toContain(field);
    // Every code the service itself gives a failure (any source but ims) must be left out of "failed by IMS".
    const ownCodes = new Set([...lib.matchAll(/code: '([A-Z_]+)'[^\n]*?source: '(?!ims')(\w+)'/g)].map((m) => m[1] as string));
    expect([...ownCodes]).toEqual(expect.arrayContaining(['JOB_DEADLINE', 'IMS_OUTCOME_UNKNOWN', 'VALIDATION']));
    const failed = metricFilters().filter((f) => f.metric === 'ImsFailedRequests');
    const ended = metricFilters().filter((f) => f.metric === 'RequestsEnded');
    for (const filters of [failed, ended]) expect(filters.map((f) => f.group).sort()).toEqual(['PollerLogGroup', 'WorkerLogGroup']);
    for (const f of failed) {
      expect(f.pattern).toContain('$.message = "request status" && $.to = "failed"');
      for (const code of ownCodes) expect(f.pattern).toContain(`$.errorCode != "${code}"`);
      // Codes of IMS's own failures stay in.
      for (const code of ['IMS_JOB_FAILED', 'IMS_REFUSED']) expect(f.pattern).not.toContain(code);
    }
    for (const f of ended) expect(f.pattern).toBe('{ $.message = "request status" && ($.to = "succeeded" || $.to = "failed") }');
    const rate = alarms().find((a) => JSON.stringify(a.Metrics ?? []).includes('ImsFailedRequests'));
    const metrics = (rate?.Metrics ?? []) as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { MetricName: string } } }[];
    const idOf = (name: string) => metrics.find((m) => m.MetricStat?.Metric.MetricName === name)?.Id;
    const expression = metrics.find((m) => m.ReturnData)?.Expression ?? '';
    expect(expression).toContain(`${String(idOf('ImsFailedRequests'))} / ${String(idOf('RequestsEnded'))}`);
    expect(rate).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('shows the functions, the queues, the DLQ, the poller failures, webhook failures and IMS on one dashboard', () => {
    const dashboards = resourcesOfType('AWS::CloudWatch::Dashboard').map(([, r]) => r.Properties);
    expect(dashboards).toHaveLength(1);
    const body = JSON.parse(dashboards[0]?.DashboardBody as string) as { widgets: { properties: { metrics: unknown[][] } }[] };
    const shown = body.widgets.flatMap((w) => w.properties.metrics.map((m) => m.filter((part) => typeof part === 'string').join(' ')));
    for (const fn of ['intake', 'chatops', 'worker', 'poller']) {
      for (const metric of ['Invocations', 'Errors', 'Throttles', 'Duration']) expect(shown).toContain(`AWS/Lambda ${metric} FunctionName ims-transfer-${STAGE}-${fn}`);
    }
    const queue = `ims-transfer-${STAGE}-intake`;
    for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']) expect(shown).toContain(`AWS/SQS ${metric} QueueName ${queue}`);
    expect(shown).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${queue}-dlq`);
    expect(shown).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${resource('PollerFailureQueue').Properties.QueueName as string}`);
    // Every metric of our own namespace that it shows is one a metric filter makes.
    const made = new Set(metricFilters().map((f) => `${f.namespace} ${f.metric}`));
    const ours = shown.filter((m) => m.startsWith(`ims-transfer/${STAGE} `));
    expect(ours).toEqual(expect.arrayContaining([`ims-transfer/${STAGE} WebhookFailures`, `ims-transfer/${STAGE} ImsFailedRequests`]));
    for (const m of ours) expect(made, m).toContain(m);
  });

  it('bounds the worker\'s concurrency on its queue trigger', () => {
    const [mapping] = resourcesOfType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    const max = (mapping?.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency;
    expect(max).toBeGreaterThanOrEqual(2);
    expect(max).toBeLessThanOrEqual(20);
  });

  it('caps the IMS jobs one project has in flight, for the worker that takes slots and the poller that gives them back', () => {
    for (const [id, fn] of resourcesOfType('AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Number(variables.IMS_PROJECT_MAX_IN_FLIGHT), id).toBe(10);
    }
  });

  it('traces every function with X-Ray (active tracing, allowed by its role) and gives it the metrics namespace of the stage', () => {
    for (const [id, fn] of resourcesOfType('AWS::Lambda::Function')) {
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.METRICS_NAMESPACE, id).toBe(`ims-transfer/${STAGE}`);
      const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(JSON.stringify(resource(role).Properties.ManagedPolicyArns), id).toContain('AWSXRayDaemonWriteAccess');
    }
  });

  it('bundles for the Node.js version of the Lambda runtime', () => {
    const runtimes = new Set(resourcesOfType('AWS::Lambda::Function').map(([, r]) => r.Properties.Runtime));
    expect([...runtimes]).toEqual(['nodejs22.x']);
    expect(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')).toMatch(/^\s+target: node22\s*$/m);
  });

  it('stops `package --stage prod` without imsProjectId before building anything, naming the param', async () => {
    const out = join(outDir, 'prod-without-param');
    const result = await run(SERVERLESS, ['package', '--stage', 'prod', '--package', out], serverlessEnv);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('the param "imsProjectId" is required for stage "prod"');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  }, 60_000);

  it('gives the functions the imsProjectId a stage gets with --param', async () => {
    const projectId = SIM_DEFAULTS.projectId;
    const result = await run(SERVERLESS, ['print', '--stage', 'prod', `--param=imsProjectId=${projectId}`], serverlessEnv);
    expect(result.code, result.output.slice(-2000)).toBe(0);
    expect(result.output).toContain(`IMS_PROJECT_ID: ${projectId}`);
  }, 60_000);

  it('notifies no one by default: alarm actions only with an SNS topic param', () => {
    expect(template.Parameters?.AlarmTopicArn?.Default).toBe('');
    expect(template.Conditions?.HasAlarmTopic).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmTopicArn' }, ''] }] });
    for (const [, alarm] of resourcesOfType('AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toEqual({ 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] });
    }
  });

  it('gives each function its own role, whose statements name their resources rather than `*`', () => {
    for (const fn of ['Intake', 'Worker', 'Poller', 'Page']) {
      expect(resource(`${fn}LambdaFunction`).Properties.Role).toEqual({ 'Fn::GetAtt': [`${fn}Role`, 'Arn'] });
    }
    const statements = [
      ...resourcesOfType('AWS::IAM::Role').flatMap(([, r]) => asArray(r.Properties.Policies as Json[]).map((p) => p.PolicyDocument as Json)),
      ...resourcesOfType('AWS::IAM::Policy').map(([, r]) => r.Properties.PolicyDocument as Json),
      ...resourcesOfType('AWS::IAM::ManagedPolicy').map(([, r]) => r.Properties.PolicyDocument as Json),
    ].flatMap((doc) => asArray(doc.Statement as Json[]));
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const actions = asArray(statement.Action as string | string[]);
      const resources = asArray(statement.Resource as unknown).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
      const where = JSON.stringify(statement);
      for (const action of actions) expect(action, where).toMatch(/^(logs|ssm|dynamodb|sqs):[A-Za-z]+$/);
      for (const r of resources) {
        expect(r, where).not.toBe('*');
        // Logs allow `*` only for the streams of one named log group.
        const wildcards = r.replace(/:log-group:\/aws\/lambda\/[\w${}.:-]+:\*/, '');
        expect(wildcards, where).not.toContain('*');
      }
    }
  });

  it('gives every function each setting lib/config.ts requires, the secrets excepted', () => {
    const secret = new Set<string>(SECRET_SETTINGS);
    const required = Object.entries(envSchema.shape)
      .filter(([name, schema]) => !secret.has(name) && !schema.safeParse(undefined).success)
      .map(([name]) => name);
    expect(required).toEqual(expect.arrayContaining(['INTAKE_QUEUE_URL', 'IMS_PROJECT_ID']));
    for (const [id, fn] of resourcesOfType('AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(required.filter((name) => !(name in variables)), id).toEqual([]);
    }
  });

  it('puts no secret and no local-only setting in the template: functions read secrets from the SSM parameter', () => {
    const text = JSON.stringify(template);
    for (const [, fn] of resourcesOfType('AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const name of SECRET_SETTINGS) expect(Object.keys(variables)).not.toContain(name);
      expect(variables.SECRETS_PARAMETER).toBe(`/ims-transfer/${STAGE}/secrets`);
      // Local-only settings: stand-in endpoints, and webhooks to loopback addresses.
      for (const name of ['ALLOW_LOOPBACK_WEBHOOKS', 'DYNAMODB_ENDPOINT', 'SQS_ENDPOINT']) expect(Object.keys(variables)).not.toContain(name);
    }
    for (const marker of ['whsec_', 'imt_', SIM_DEFAULTS.password, SIM_DEFAULTS.sk, '"TENANTS"', 'IMS_PASSWORD', 'IMS_SK']) expect(text).not.toContain(marker);
  });

  it('zips each function as one ESM bundle exporting its handler, without the local stack or tests', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(['ChatopsLambdaFunction', 'IntakeLambdaFunction', 'PageLambdaFunction', 'PollerLambdaFunction', 'WorkerLambdaFunction']);
    for (const [, fn] of functions) {
      const handler = fn.Properties.Handler as string;
      const key = (fn.Properties.Code as { S3Key: string }).S3Key;
      const entries = unzip(join(outDir, key.split('/').pop() as string));
      const module = `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`;
      expect([...entries.keys()].sort()).toEqual([module, `${module}.map`]);
      expect(entries.get(module)?.toString('utf8')).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
      // The functions that end requests carry the error-hint texts packed (serverless.yml's esbuild plugins), never as text.
      if (['intake', 'worker', 'poller'].some((name) => module.endsWith(`/${name}.mjs`))) {
        expect(entries.get(module)?.toString('utf8'), module).toContain('brotliDecompressSync');
        expect(entries.get(module)?.toString('utf8'), module).not.toContain(hintFor('IMG.0160'));
      }
      // The map's sources are relative to where the bundle was built; as paths in the repository:
      const built = join(workDir, '.build', dirname(module));
      const sources = (JSON.parse(entries.get(`${module}.map`)?.toString('utf8') ?? '{}') as { sources: string[] }).sources.map((s) => relative(ROOT, resolve(built, s)));
      expect(sources).toContain(`${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
      // Dependencies may sit in a linked node_modules outside the checkout.
      expect(sources.filter((s) => !/(^|\/)node_modules\//.test(s) && !/^(lib|handlers)\//.test(s))).toEqual([]);
    }
  });
});
