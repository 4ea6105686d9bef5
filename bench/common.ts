// What every issue-13 benchmark shares: the run's sizes (full, or reduced with `--quick` /
// BENCH_QUICK=1), serverless.yml's esbuild settings, a Lambda-like context, and how a bench that
// runs in its own process hands its figures back to bench/run.ts.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const QUICK = process.argv.includes('--quick') || /^(1|true|yes)$/i.test(process.env.BENCH_QUICK ?? '');

/** Every size a bench uses, full (issue 13's) and reduced (a quick run under a minute). */
export const SIZES = QUICK
  ? { coldStartRuns: 3, intakeRequests: 150, intakeWarm: 50, intakeRounds: 3, intakeConcurrency: 16, pollerBacklog: 1_000, pollerMinuteMs: 10_000, pollerMinutes: 1, lagDurationsMin: [1, 5, 15, 60], lagSamples: 2, dueSizes: [500, 2000], signingWindowMs: 200 }
  : { coldStartRuns: 25, intakeRequests: 2_000, intakeWarm: 1_000, intakeRounds: 12, intakeConcurrency: 16, pollerBacklog: 10_000, pollerMinuteMs: 60_000, pollerMinutes: 2, lagDurationsMin: [1, 5, 15, 30, 60, 120, 360], lagSamples: 8, dueSizes: [500, 2000, 8000], signingWindowMs: 400 };

export type Sizes = typeof SIZES;

const SERVERLESS_YML = readFileSync(`${ROOT}/serverless.yml`, 'utf8');
const ESBUILD_BLOCK = /\n {2}esbuild:\n((?: {4}.*\n|\s*\n)+)/.exec(SERVERLESS_YML)?.[1] ?? '';
const esbuildSetting = (key: string) => new RegExp(`^ {4}${key}: *(.+?) *$`, 'm').exec(ESBUILD_BLOCK)?.[1];

/** The esbuild plugins serverless.yml's `custom.esbuild.plugins` names (a CommonJS file exporting them), as serverless-esbuild loads them. */
const pluginsFile = esbuildSetting('plugins');
const DEPLOY_PLUGINS: Plugin[] = pluginsFile ? createRequire(import.meta.url)(join(ROOT, pluginsFile)) : [];

/**
 * serverless.yml's `custom.esbuild`, as serverless-esbuild hands it to esbuild (`exclude: []`:
 * nothing external, the AWS SDK v3 is bundled); the target and the plugins are read from serverless.yml.
 * checkServerlessSettings() reports where serverless.yml no longer says the rest, so the bench
 * never silently measures a build the deploy does not make.
 */
export const DEPLOY_BUILD = {
  bundle: true,
  minify: true,
  sourcemap: true,
  target: esbuildSetting('target') ?? 'node20',
  platform: 'node',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  external: [] as string[],
  plugins: DEPLOY_PLUGINS,
  logLevel: 'silent',
} as const;

/** NODE_OPTIONS of the deployed functions (serverless.yml provider.environment), read from serverless.yml. */
export const DEPLOY_NODE_OPTIONS = (/^ {4}NODE_OPTIONS: *(.*?) *$/m.exec(SERVERLESS_YML)?.[1] ?? '').split(/\s+/).filter(Boolean);

export function checkServerlessSettings(): string[] {
  const drift: string[] = [];
  const expect = (key: string, value: string) => {
    if (esbuildSetting(key) !== value) drift.push(`custom.esbuild.${key} is ${esbuildSetting(key) ?? 'unset'}, the bench builds with ${value}`);
  };
  expect('bundle', 'true');
  expect('minify', 'true');
  expect('sourcemap', 'true');
  expect('platform', 'node');
  expect('format', 'esm');
  expect('exclude', '[]');
  return drift;
}

/** A Lambda context whose remaining time follows `now` (the real clock, or a bench's fake one). */
export function lambdaContext(functionName: string, timeoutMs: number, now: () => number = Date.now) {
  const deadline = now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-central-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `bench-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A bench run as its own process (bench/run.ts) writes its figures to BENCH_OUT. */
export function handBack(result: unknown): void {
  const out = process.env.BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify(result));
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  // Nearest rank: the smallest value with at least p % of the values at or below it.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Runs main() and reports a failure as an exit code, for benches started as their own process. */
export function runMain(main: () => Promise<unknown>): void {
  main().then(handBack, (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

/** `POST /v1/exports` as API Gateway (HTTP API, payload 2.0) hands it to the intake function, made at `at`. */
export function exportPostEvent(apiKey: string, body: unknown, at: number = Date.now()): APIGatewayProxyEventV2 {
  const text = JSON.stringify(body);
  return {
    version: '2.0',
    routeKey: 'POST /v1/exports',
    rawPath: '/v1/exports',
    rawQueryString: '',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': String(text.length), host: 'api.bench.example', 'user-agent': 'bench' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'api.bench.example',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/v1/exports', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: 'POST /v1/exports',
      stage: '$default',
      time: new Date(at).toUTCString(),
      timeEpoch: at,
    },
    body: text,
    isBase64Encoded: false,
  };
}
