#!/usr/bin/env node
// The `ims-transfer` bin. It runs cli/main.ts bundled by esbuild into cli/dist/ (a bundle starts with
// about a quarter of the CPU a TypeScript loader needs), and rebuilds that bundle first whenever a file
// it was built from changed, so a checkout never runs stale code and needs no build step of its own.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'cli', 'dist');
const bundle = join(dist, 'ims-transfer.mjs');
const metafile = join(dist, 'ims-transfer.meta.json');

/** True when the bundle is newer than every input esbuild recorded for it (sources and node_modules). */
function bundleIsFresh() {
  try {
    const builtAt = statSync(bundle).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(metafile, 'utf8'));
    return Object.keys(inputs).every((input) => statSync(join(root, input)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

async function buildBundle() {
  const { build } = await import('esbuild');
  mkdirSync(dist, { recursive: true });
  // Written aside and renamed: two runs building at once never leave a half-written bundle.
  const tmp = `${process.pid}.${Date.now()}.tmp`;
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['cli/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: `${bundle}.${tmp}`,
    metafile: true,
    logLevel: 'error',
    // CommonJS dependencies (commander, cli-progress) may require Node built-ins.
    banner: { js: "import { createRequire as imsTransferRequire } from 'node:module'; const require = imsTransferRequire(import.meta.url);" },
  });
  writeFileSync(`${metafile}.${tmp}`, JSON.stringify(result.metafile));
  renameSync(`${metafile}.${tmp}`, metafile);
  renameSync(`${bundle}.${tmp}`, bundle);
}

if (!bundleIsFresh()) await buildBundle();
await import(pathToFileURL(bundle).href);
