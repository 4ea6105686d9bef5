// The deployable artefact: `serverless package` (offline, as CI runs it) must produce a CloudFormation
// template with what the design relies on, and one zip per function holding its ESM bundle.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSchema, SECRET_SETTINGS } from '../../lib/config.js';
import { tableDefinition } from '../../lib/store/table.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';

const ROOT = resolve(import.meta.dirname, '../..');
const STAGE = 'pkgtest';

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DependsOn?: string | string[];
}

let outDir: string;
let workDir: string;
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

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'ims-transfer-package-'));
  workDir = mkdtempSync(join(tmpdir(), 'ims-transfer-esbuild-'));
  // Its own esbuild folder (serverless.yml reads ESBUILD_WORK_FOLDER, relative to the service), so a
  // serverless run elsewhere in the suite or the tree cannot remove this one's bundles midway.
  const env = { ...process.env, ESBUILD_WORK_FOLDER: relative(ROOT, workDir) };
  const result = await run(join(ROOT, 'node_modules/.bin/serverless'), ['package', '--stage', STAGE, '--package', outDir], env);
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

  it('routes every path of the contract, chatops included, to the intake function', () => {
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual(
      [
        'POST /v1/exports',
        'POST /v1/imports',
        'POST /v1/captures',
        'GET /v1/requests',
        'GET /v1/requests/{id}',
        'DELETE /v1/requests/{id}',
        'GET /v1/openapi.json',
        'GET /v1/health',
        'POST /v1/chatops/slack',
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
    const filters = resourcesOfType('AWS::Logs::MetricFilter').map(([, r]) => r.Properties);
    const groups = filters.map((f) => (f.LogGroupName as { Ref: string }).Ref).sort();
    expect(groups).toEqual(['PollerLogGroup', 'WorkerLogGroup']);
    for (const group of groups) expect(resource(group).Type).toBe('AWS::Logs::LogGroup');
    for (const f of filters) expect(f.FilterPattern).toBe('{ $.message = "webhook failed" }');
    const metrics = new Set(filters.flatMap((f) => (f.MetricTransformations as Json[]).map((m) => `${String(m.MetricNamespace)} ${String(m.MetricName)}`)));
    expect(metrics.size).toBe(1);
    const alarm = resourcesOfType('AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .find((a) => metrics.has(`${String(a.Namespace)} ${String(a.MetricName)}`));
    expect(alarm).toMatchObject({ Statistic: 'Sum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('notifies no one by default: alarm actions only with an SNS topic param', () => {
    expect(template.Parameters?.AlarmTopicArn?.Default).toBe('');
    expect(template.Conditions?.HasAlarmTopic).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmTopicArn' }, ''] }] });
    for (const [, alarm] of resourcesOfType('AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toEqual({ 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] });
    }
  });

  it('gives each function its own role, whose statements name their resources rather than `*`', () => {
    for (const fn of ['Intake', 'Worker', 'Poller']) {
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
    expect(functions.map(([id]) => id).sort()).toEqual(['IntakeLambdaFunction', 'PollerLambdaFunction', 'WorkerLambdaFunction']);
    for (const [, fn] of functions) {
      const handler = fn.Properties.Handler as string;
      const key = (fn.Properties.Code as { S3Key: string }).S3Key;
      const entries = unzip(join(outDir, key.split('/').pop() as string));
      const module = `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`;
      expect([...entries.keys()].sort()).toEqual([module, `${module}.map`]);
      expect(entries.get(module)?.toString('utf8')).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
      // The map's sources are relative to where the bundle was built; as paths in the repository:
      const built = join(workDir, '.build', dirname(module));
      const sources = (JSON.parse(entries.get(`${module}.map`)?.toString('utf8') ?? '{}') as { sources: string[] }).sources.map((s) => relative(ROOT, resolve(built, s)));
      expect(sources).toContain(`${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
      // Dependencies may sit in a linked node_modules outside the checkout.
      expect(sources.filter((s) => !/(^|\/)node_modules\//.test(s) && !/^(lib|handlers)\//.test(s))).toEqual([]);
    }
  });
});
