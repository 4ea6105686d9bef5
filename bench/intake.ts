// Bench 3: intake throughput. The deployed intake bundle (handlers/intake.ts built as serverless.yml
// builds it) and the floor bundle (bench/floors/intake.ts: the same put + send, no validation) are
// loaded in this process and invoked as Lambda invokes them, with API Gateway HTTP API (payload 2.0)
// events, against dynalite + fauxqs on loopback sockets: N requests at C in flight, alternating
// rounds (each side once per round, back to back), each round's requests/s, p50 and p99. The report
// compares the sides round by round (median of the rounds' ratios): a machine whose load drifts
// moves both sides of a round alike. Each timed run follows an untimed one of the same side, as a
// container only ever runs its own function: right after the other side, a side ran 10-25 % slower
// (its compiled code cold again), which split the rounds' ratios by which side went first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalServices } from '../local/services.js';
import { FLOOR_OF, bundle, handlerEntry } from './bundles.js';
import { SIZES, exportPostEvent, lambdaContext, log, percentile, runMain } from './common.js';
import { median, pool } from './measure.js';
import { benchTenant } from './tenant.js';

type Handler = (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<{ statusCode?: number } | string>;

export interface IntakeSide {
  side: 'intake' | 'floor';
  rounds: { perSec: number; p50Ms: number; p99Ms: number }[];
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

const IMAGE = '0f8a1f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

function exportEvent(apiKey: string, i: number, tag: string): APIGatewayProxyEventV2 {
  return exportPostEvent(apiKey, { image_id: IMAGE, bucket_url: `ims-image:bench/${tag}-${i}.qcow2`, file_format: 'qcow2' });
}

async function main(): Promise<{ requests: number; concurrency: number; sides: IntakeSide[] }> {
  const { intakeRequests: requests, intakeWarm: warm, intakeRounds: rounds, intakeConcurrency: concurrency } = SIZES;
  const services = await startLocalServices({ tableName: 'bench-intake', queueName: 'bench-intake' });
  const dir = mkdtempSync(join(tmpdir(), 'ims-transfer-bench-intake-'));
  try {
    const { apiKey, tenants } = benchTenant();
    // The deployed settings, pointed at the stand-ins; both bundles read them on first use.
    Object.assign(process.env, services.settings, {
      TENANTS: tenants,
      IMS_REGION: 'eu-de',
      IMS_PROJECT_ID: '0123456789abcdef0123456789abcdef',
      IMS_USER: 'bench-user',
      IMS_PASSWORD: 'bench-password-not-used',
      IMS_DOMAIN: 'bench-domain',
    });
    const load = async (entry: string, name: string) => {
      const built = await bundle(entry, dir, name);
      return ((await import(pathToFileURL(built.file).href)) as { handler: Handler }).handler;
    };
    const handlers = { intake: await load(handlerEntry('intake'), 'intake'), floor: await load(FLOOR_OF.intake, 'floor-intake') };

    const run = async (side: keyof typeof handlers, count: number, tag: string) => {
      // Each side starts on a collected heap and pays for its own garbage only (bench/run.ts gives --expose-gc).
      (globalThis as { gc?: () => void }).gc?.();
      const latencies: number[] = [];
      const start = performance.now();
      await pool(count, concurrency, async (i) => {
        const t = performance.now();
        const result = await handlers[side](exportEvent(apiKey, i, tag), lambdaContext(`bench-${side}`, 10_000));
        latencies.push(performance.now() - t);
        const status = typeof result === 'string' ? 200 : result.statusCode;
        if (status !== 202) throw new Error(`${side} answered ${status}: ${JSON.stringify(result).slice(0, 300)}`);
      });
      const ms = performance.now() - start;
      return { perSec: (count * 1000) / ms, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
    };

    // Warm both (module init, connections, JIT) before anything is timed.
    for (const side of ['intake', 'floor'] as const) await run(side, Math.min(100, requests), `warm-${side}`);
    const sides: IntakeSide[] = [
      { side: 'intake', rounds: [], perSec: 0, p50Ms: 0, p99Ms: 0 },
      { side: 'floor', rounds: [], perSec: 0, p50Ms: 0, p99Ms: 0 },
    ];
    for (let round = 0; round < rounds; round++) {
      // Alternating which goes first, so both see the same machine state.
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const s of order) {
        await run(s.side, warm, `${s.side}-${round}-warm`);
        const r = await run(s.side, requests, `${s.side}-${round}`);
        s.rounds.push(r);
        log(`  intake: ${s.side}, round ${round + 1}/${rounds}: ${r.perSec.toFixed(1)} req/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`);
      }
    }
    for (const s of sides) {
      s.perSec = median(s.rounds.map((r) => r.perSec));
      s.p50Ms = median(s.rounds.map((r) => r.p50Ms));
      s.p99Ms = median(s.rounds.map((r) => r.p99Ms));
    }
    return { requests, concurrency, sides };
  } finally {
    await services.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) runMain(main);
