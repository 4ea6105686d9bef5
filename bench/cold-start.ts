// Bench 4: what each Lambda bundles is its cold start. Each handler is bundled the way
// serverless.yml's esbuild settings do, next to one bundle of the whole service (all four
// handlers: what a function would load if it imported every composition root), and of intake as it
// would be if it served the status page itself (the page has its own function), and each bundle
// is imported in fresh Node processes: bundle size and median import time, side by side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { median } from './measure.js';

export interface ColdStartRow {
  bundle: string;
  bytes: number;
  importMs: number;
  /** Resident memory of the process once the bundle is imported (Node's own baseline included). */
  rssMiB: number;
}

/** The options of serverless.yml's `custom.esbuild`. */
const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: 'silent',
} as const;

const HANDLERS = ['intake', 'worker', 'poller', 'page'] as const;

/** Importing `file` in a fresh process (module loading and top-level code; no invocation): time, and resident memory after. */
function importOnce(file: string): { ms: number; rss: number } {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); const ms = performance.now() - t; process.stdout.write(JSON.stringify({ ms, rss: process.memoryUsage().rss }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, LOG_LEVEL: 'SILENT' }, encoding: 'utf8' });
  return JSON.parse(out) as { ms: number; rss: number };
}

export async function benchColdStart(runs: number, log: (line: string) => void): Promise<ColdStartRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ims-transfer-bench-bundles-'));
  try {
    const root = resolve(import.meta.dirname, '..');
    const entries: [string, string][] = HANDLERS.map((h) => [h, join(root, 'handlers', `${h}.ts`)]);
    const whole = join(dir, 'whole-service.ts');
    writeFileSync(whole, HANDLERS.map((h) => `export { handler as ${h} } from ${JSON.stringify(join(root, 'handlers', `${h}.ts`))};`).join('\n'));
    entries.push(['whole service', whole]);
    // What intake would bundle if it served the status page itself rather than the page function.
    const intakeWithPage = join(dir, 'intake-with-page.ts');
    writeFileSync(intakeWithPage, `export { handler } from ${JSON.stringify(join(root, 'handlers', 'intake.ts'))};\nexport { servePage } from ${JSON.stringify(join(root, 'lib', 'page', 'serve.ts'))};`);
    entries.splice(1, 0, ['intake, if it served the page too', intakeWithPage]);

    const bundles = [];
    for (const [name, entry] of entries) {
      const outfile = join(dir, `${name.replace(/\W+/g, '-')}.mjs`);
      await build({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile });
      bundles.push({ name, outfile, bytes: statSync(outfile).size, times: [] as number[], rss: [] as number[] });
    }
    // Interleaved, so a slow moment of the machine hits every bundle alike.
    for (let i = 0; i < runs; i++) {
      for (const b of bundles) {
        const once = importOnce(b.outfile);
        b.times.push(once.ms);
        b.rss.push(once.rss);
      }
    }
    // Node's own baseline, so the memory a bundle adds can be read off.
    const baseline = median(Array.from({ length: runs }, () => importOnce('node:os').rss)) / 2 ** 20;
    const rows = [
      ...bundles.map((b) => ({ bundle: b.name, bytes: b.bytes, importMs: median(b.times), rssMiB: median(b.rss) / 2 ** 20 })),
      { bundle: 'node alone', bytes: Number.NaN, importMs: Number.NaN, rssMiB: baseline },
    ];
    for (const r of rows) log(`  cold start: ${r.bundle}: ${(r.bytes / 1024).toFixed(0)} KiB, import ${r.importMs.toFixed(1)} ms, RSS ${r.rssMiB.toFixed(1)} MiB (medians of ${runs})`);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
