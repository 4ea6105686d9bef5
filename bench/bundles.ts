// Bench 1: bundle weight per function. Each handler is bundled as serverless-esbuild deploys it
// (serverless.yml's custom.esbuild), next to a floor bundle that only builds the clients that
// function has (bench/floors/): the weight beyond the AWS SDK clients and undici it needs is the
// difference. The esbuild metafile breaks each bundle down by package.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { DEPLOY_BUILD, ROOT, checkServerlessSettings, log, runMain } from './common.js';

export const FUNCTIONS = ['intake', 'worker', 'poller'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** The floor of each function: the clients it has, built and unused. */
export const FLOOR_OF: Record<FunctionName, string> = {
  intake: join(ROOT, 'bench/floors/intake.ts'),
  worker: join(ROOT, 'bench/floors/jobs.ts'),
  poller: join(ROOT, 'bench/floors/jobs.ts'),
};

export const handlerEntry = (fn: FunctionName) => join(ROOT, 'handlers', `${fn}.ts`);

/**
 * Bundles shown beside the three, without a goal: the status page's own function (static, no
 * clients: its floor is Node itself), and intake as it would be if it served the page itself.
 */
export function otherEntries(dir: string): { name: string; entry: string; coldStart: string }[] {
  const withPage = (file: string, from: string) => {
    writeFileSync(file, `${from}export { servePage } from ${JSON.stringify(join(ROOT, 'lib/page/serve.ts'))};\n`);
    return file;
  };
  return [
    { name: 'page', entry: join(ROOT, 'handlers/page.ts'), coldStart: join(ROOT, 'handlers/page.ts') },
    {
      name: 'intake, if it served the status page too',
      entry: withPage(join(dir, 'intake-with-page.ts'), `export { handler } from ${JSON.stringify(handlerEntry('intake'))};\n`),
      coldStart: withPage(join(dir, 'intake-with-page-cold-start.ts'), `export * from ${JSON.stringify(coldStartEntry('intake', dir))};\n`),
    },
  ];
}

/**
 * Each function's composition root (what its handler builds on its first invocation), so a cold
 * start can be measured as import + build. The one place to change when lib/runtime moves.
 */
const COMPOSITION_ROOT: Record<FunctionName, { file: string; build: string }> = {
  intake: { file: 'lib/runtime/api.ts', build: 'apiDeps' },
  worker: { file: 'lib/runtime/jobs.ts', build: 'workerDeps' },
  poller: { file: 'lib/runtime/jobs.ts', build: 'pollerDeps' },
};

/** An entry that is the deployed handler module plus the build of its dependencies, as the first invocation does it. */
export function coldStartEntry(fn: FunctionName, dir: string): string {
  const root = COMPOSITION_ROOT[fn];
  const file = join(dir, `${fn}-cold-start.ts`);
  writeFileSync(
    file,
    `export { handler } from ${JSON.stringify(handlerEntry(fn))};\nimport { ${root.build} } from ${JSON.stringify(join(ROOT, root.file))};\nawait ${root.build}();\n`,
  );
  return file;
}

export interface Bundle {
  file: string;
  bytes: number;
  mapBytes: number;
  /** Bytes in the output, by npm package ("(service)" for this repository's own code). */
  byPackage: Record<string, number>;
  /** Bytes in the output of this repository's own files, by path from the repository root. */
  byServiceFile: Record<string, number>;
}

export function packageOf(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return '(service)';
  const rest = path.slice(at + 'node_modules/'.length).split('/');
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '(unknown)');
}

export async function bundle(entry: string, outdir: string, name: string): Promise<Bundle> {
  const result = await build({ ...DEPLOY_BUILD, entryPoints: { [name]: entry }, outdir, metafile: true });
  const [file, output] = Object.entries((result.metafile as Metafile).outputs).find(([f]) => f.endsWith('.mjs')) ?? [];
  if (!file || !output) throw new Error(`esbuild wrote no .mjs for ${entry}`);
  const byPackage: Record<string, number> = {};
  const byServiceFile: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    byPackage[packageOf(input)] = (byPackage[packageOf(input)] ?? 0) + bytesInOutput;
    if (packageOf(input) === '(service)') byServiceFile[relative(ROOT, resolve(input))] = bytesInOutput;
  }
  const abs = join(outdir, basename(file));
  return { file: abs, bytes: statSync(abs).size, mapBytes: statSync(`${abs}.map`).size, byPackage, byServiceFile };
}

export interface WeightRow {
  fn: FunctionName;
  bytes: number;
  mapBytes: number;
  floorBytes: number;
  /** Bundle minus its floor: what the function weighs beyond the SDK clients and undici it needs. */
  beyondBytes: number;
  byPackage: Record<string, number>;
  byServiceFile: Record<string, number>;
  floorByPackage: Record<string, number>;
}

export interface OtherBundleRow {
  name: string;
  bytes: number;
  mapBytes: number;
  byPackage: Record<string, number>;
}

/** The tables the deploy build packs (deploy/esbuild-plugins.cjs): each module alone, minified as deployed, packed and as plain text. */
export interface PackedTableRow {
  file: string;
  packedBytes: number;
  textBytes: number;
}

const PACKED_TABLES = ['lib/ims/hint-texts.ts', 'lib/ims/os-versions.ts'];

async function packedTables(): Promise<PackedTableRow[]> {
  const size = async (file: string, plugins: typeof DEPLOY_BUILD.plugins) =>
    (await build({ ...DEPLOY_BUILD, plugins, sourcemap: false, banner: {}, entryPoints: [join(ROOT, file)], write: false })).outputFiles[0]?.contents.length ?? 0;
  return Promise.all(PACKED_TABLES.map(async (file) => ({ file, packedBytes: await size(file, DEPLOY_BUILD.plugins), textBytes: await size(file, []) })));
}

async function main(): Promise<{ drift: string[]; rows: WeightRow[]; others: OtherBundleRow[]; tables: PackedTableRow[] }> {
  const drift = checkServerlessSettings();
  for (const d of drift) log(`  WARNING serverless.yml drift: ${d}`);
  const dir = mkdtempSync(join(tmpdir(), 'ims-transfer-bench-weight-'));
  try {
    const floors = new Map<string, Bundle>();
    const rows: WeightRow[] = [];
    for (const fn of FUNCTIONS) {
      const fnBundle = await bundle(handlerEntry(fn), dir, fn);
      const floorEntry = FLOOR_OF[fn];
      let floor = floors.get(floorEntry);
      if (!floor) {
        floor = await bundle(floorEntry, dir, `floor-${basename(floorEntry, '.ts')}`);
        floors.set(floorEntry, floor);
      }
      const row = { fn, bytes: fnBundle.bytes, mapBytes: fnBundle.mapBytes, floorBytes: floor.bytes, beyondBytes: fnBundle.bytes - floor.bytes, byPackage: fnBundle.byPackage, byServiceFile: fnBundle.byServiceFile, floorByPackage: floor.byPackage };
      log(`  weight: ${fn}: ${(row.bytes / 1024).toFixed(0)} KiB (+ ${(row.mapBytes / 1024).toFixed(0)} KiB map), floor ${(row.floorBytes / 1024).toFixed(0)} KiB, beyond ${(row.beyondBytes / 1024).toFixed(0)} KiB`);
      rows.push(row);
    }
    const others: OtherBundleRow[] = [];
    for (const [i, o] of otherEntries(dir).entries()) {
      const b = await bundle(o.entry, dir, `other-${i}`);
      others.push({ name: o.name, bytes: b.bytes, mapBytes: b.mapBytes, byPackage: b.byPackage });
      log(`  weight: ${o.name}: ${(b.bytes / 1024).toFixed(0)} KiB (+ ${(b.mapBytes / 1024).toFixed(0)} KiB map)`);
    }
    return { drift, rows, others, tables: await packedTables() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) runMain(main);
