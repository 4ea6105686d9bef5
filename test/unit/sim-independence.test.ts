// The simulator is a second, independent reading of the IMS docs: no file under local/ims-sim/ may reach a
// module under lib/, directly or through another module, or a wrong client rule would pass its own test.
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

/** Every module specifier a file names: static imports, re-exports, `import()` and `require()`. */
function specifiersOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** A relative specifier as a file on disk (`./x.js` is written for `./x.ts`); bare packages are not ours. */
function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined;
  const base = resolve(dirname(from), specifier);
  // Checked in this order; a specifier that names no file still counts where it points.
  const candidates = [base.replace(/\.(c|m)?js$/, '.$1ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c)) ?? base;
}

const tsFilesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? tsFilesUnder(join(dir, e.name)) : /\.(c|m)?ts$/.test(e.name) ? [join(dir, e.name)] : []));

/** Each chain of imports that leads from a file under `simDir` into `libDir`, as root-relative paths. */
function importChainsIntoLib(root: string, simDir: string, libDir: string): string[][] {
  const chains: string[][] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of specifiersOf(file)) {
      const target = resolveLocal(file, specifier);
      if (target === undefined) continue;
      const next = [...chain, relative(root, target)];
      if (target === libDir || target.startsWith(libDir + sep)) chains.push(next);
      else if (existsSync(target)) walk(target, next);
    }
  };
  for (const file of tsFilesUnder(simDir)) walk(file, [relative(root, file)]);
  return chains;
}

const shown = (chains: string[][]) => chains.map((c) => c.join(' → ').split(sep).join('/')).sort();

describe('the IMS simulator', () => {
  it('reaches no module under lib/, directly or transitively', () => {
    expect(shown(importChainsIntoLib(REPO, join(REPO, 'local/ims-sim'), join(REPO, 'lib')))).toEqual([]);
  });
});

describe('the import walk', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'sim-independence-'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(fixture, path)), { recursive: true });
    writeFileSync(join(fixture, path), text);
  };
  write('lib/ims/fields.ts', 'export const uuid = 1;\n');
  write('lib/ims/os.ts', 'export const OS = [];\n');
  write('local/helper.ts', "import '../lib/ims/os.js';\n");
  write('local/ims-sim/clean.ts', "import { readFileSync } from 'node:fs';\nimport * as z from 'zod';\nexport const r = [readFileSync, z];\n");
  write('local/ims-sim/lazy.ts', "export const load = () => import('../helper.js');\n");
  write('local/ims-sim/rules.ts', "export { uuid as rule } from '../../lib/ims/fields.js';\n");
  write('local/ims-sim/server.ts', "import { uuid } from '../../lib/ims/fields.js';\nimport { rule } from './rules.js';\nexport const x = [uuid, rule];\n");

  it('finds direct imports, re-exports, dynamic and side-effect imports that lead into lib/', () => {
    expect(shown(importChainsIntoLib(fixture, join(fixture, 'local/ims-sim'), join(fixture, 'lib')))).toEqual([
      'local/ims-sim/lazy.ts → local/helper.ts → lib/ims/os.ts',
      'local/ims-sim/rules.ts → lib/ims/fields.ts',
      'local/ims-sim/server.ts → lib/ims/fields.ts',
    ]);
  });
});
