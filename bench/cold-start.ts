// Bench 2: whole-process cold start as deployed. Each function's bundle (its handler plus the build
// of its dependencies, as the first invocation does it) and its floor bundle (the same clients and
// nothing else, bench/floors/) start in fresh `node` processes with the deployed NODE_OPTIONS, interleaved:
// time from process start to imported-and-built (median), and resident memory then; the ratio to the
// floor is the median of the rounds' own ratios.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FLOOR_OF, FUNCTIONS, bundle, coldStartEntry, otherEntries, type FunctionName } from './bundles.js';
import { DEPLOY_NODE_OPTIONS, SIZES, log, runMain } from './common.js';
import { median } from './measure.js';

/** The settings a deployed function starts with (serverless.yml provider.environment), with made-up values; nothing is called. */
const DEPLOYED_ENV = {
  AWS_REGION: 'eu-central-1',
  LOG_LEVEL: 'INFO',
  TABLE_NAME: 'ims-transfer-bench-requests',
  INTAKE_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/000000000000/ims-transfer-bench-intake',
  IMS_REGION: 'eu-de',
  IMS_ENDPOINT: 'https://ims.{region}.otc.t-systems.com',
  IAM_ENDPOINT: 'https://iam.{region}.otc.t-systems.com',
  IMS_JOB_DEADLINE_HOURS: '24',
  IMS_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  IMS_USER: 'bench-user',
  IMS_DOMAIN: 'bench-domain',
  // In the cloud these come from the SSM parameter (one GetParameter call, left out: it is I/O the floor does not do).
  IMS_PASSWORD: 'bench-password-not-used',
  TENANTS: JSON.stringify([{ id: 'bench', api_key_sha256: ['0'.repeat(64)], webhook_secrets: [`whsec_${Buffer.alloc(32).toString('base64')}`] }]),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface StartRow {
  name: string;
  /** Process start to imported and built, ms (median). */
  wholeMs: number;
  /** The import (and build) alone, ms (median). */
  importMs: number;
  rssMiB: number;
}

const MARK = 'BENCH_COLD_START ';

function startOnce(file: string | null): { whole: number; import: number; rss: number } {
  const load = file ? `await import(${JSON.stringify(file)});` : '';
  const script = `const t = performance.now(); ${load} const w = performance.now(); process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify({ whole: w, import: w - t, rss: process.memoryUsage().rss }) + '\\n'); process.exit(0);`;
  const out = execFileSync(process.execPath, [...DEPLOY_NODE_OPTIONS, '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, ...DEPLOYED_ENV },
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
  });
  const line = out.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`cold start of ${file} printed no figures: ${out.slice(0, 500)}`);
  return JSON.parse(line.slice(MARK.length)) as { whole: number; import: number; rss: number };
}

async function main(): Promise<{ runs: number; rows: StartRow[]; pairs: { fn: FunctionName; floor: string }[]; ratios: { fn: FunctionName; ratio: number }[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ims-transfer-bench-cold-'));
  try {
    const targets: { name: string; file: string | null }[] = [];
    const pairs: { fn: FunctionName; floor: string }[] = [];
    for (const fn of FUNCTIONS) {
      targets.push({ name: fn, file: (await bundle(coldStartEntry(fn, dir), dir, fn)).file });
      const floorName = `floor (${basename(FLOOR_OF[fn], '.ts')})`;
      if (!targets.some((t) => t.name === floorName)) targets.push({ name: floorName, file: (await bundle(FLOOR_OF[fn], dir, `floor-${basename(FLOOR_OF[fn], '.ts')}`)).file });
      pairs.push({ fn, floor: floorName });
    }
    // Beside them, without a goal: the status page's function, and intake if it served the page itself.
    for (const [i, o] of otherEntries(dir).entries()) targets.push({ name: o.name, file: (await bundle(o.coldStart, dir, `other-${i}`)).file });
    targets.push({ name: 'node alone', file: null });
    const samples = new Map(targets.map((t) => [t.name, [] as { whole: number; import: number; rss: number }[]]));
    // Interleaved, so a slow moment of the busy machine hits every bundle alike; every other round
    // in reverse order, so neither side of a pair always starts right after the other.
    for (let i = 0; i < SIZES.coldStartRuns; i++) for (const t of i % 2 ? [...targets].reverse() : targets) samples.get(t.name)?.push(startOnce(t.file));
    const rows = targets.map((t) => {
      const s = samples.get(t.name) ?? [];
      return { name: t.name, wholeMs: median(s.map((x) => x.whole)), importMs: median(s.map((x) => x.import)), rssMiB: median(s.map((x) => x.rss)) / 2 ** 20 };
    });
    for (const r of rows) log(`  cold start: ${r.name}: ${r.wholeMs.toFixed(1)} ms from process start (import + build ${r.importMs.toFixed(1)} ms), RSS ${r.rssMiB.toFixed(1)} MiB`);
    // The ratio is the median of each round's own ratio: a busy moment slows both sides of a round
    // alike, where a ratio of the two medians would take each side's median from different rounds.
    const ratios = pairs.map((p) => {
      const fn = samples.get(p.fn) ?? [];
      const floor = samples.get(p.floor) ?? [];
      const ratio = median(fn.map((s, i) => s.whole / (floor[i]?.whole ?? Number.NaN)));
      log(`  cold start: ${p.fn} / ${p.floor}: ${ratio.toFixed(2)}x (median of ${fn.length} rounds' ratios)`);
      return { fn: p.fn, ratio };
    });
    return { runs: SIZES.coldStartRuns, rows, pairs, ratios };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) runMain(main);
