// The lifecycle core is pure and takes its timings as settings: what it imports, directly or through
// the modules it imports, is its own small world (the record, ids, backoff arithmetic, error hints, zod) and no
// adapter (store, queue, IMS client, webhooks, intake).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every module `file` reaches through its imports (type-only ones too), as repository paths or package names. */
function reach(file: string, seen = new Set<string>()): Set<string> {
  for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
    if (!fileName.startsWith('.')) {
      seen.add(fileName);
      continue;
    }
    const target = join(dirname(file), fileName.replace(/\.js$/, '.ts'));
    const name = relative(ROOT, target);
    if (seen.has(name)) continue;
    seen.add(name);
    reach(target, seen);
  }
  return seen;
}

describe('the lifecycle core', () => {
  it('imports nothing but its own pure modules', () => {
    expect([...reach(join(ROOT, 'lib/requests/lifecycle.ts'))].sort()).toEqual([
      // What to do about each error code: a table of texts (data, no I/O) and the lookup in it.
      'lib/ims/hint-texts.ts',
      'lib/ims/hints.ts',
      'lib/requests/backoff.ts',
      'lib/requests/ids.ts',
      'lib/requests/record.ts',
      // zod/mini with its English messages (and zod's core, for the number coercion), and nothing else.
      'lib/zod.ts',
      'node:crypto',
      'zod/mini',
      'zod/v4/core',
      'zod/v4/locales/en.js',
    ]);
  });
});

describe('the deployed code', () => {
  it('takes zod only from lib/zod.ts, so every schema is mini and parses with English messages', () => {
    const files = ['lib', 'handlers'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(dir, f)),
    );
    const direct = files.filter(
      (file) =>
        file !== join('lib', 'zod.ts') &&
        ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true).importedFiles.some(({ fileName }) => /^zod(\/|$)/.test(fileName)),
    );
    expect(files).toContain(join('lib', 'requests', 'schemas.ts'));
    expect(direct).toEqual([]);
    // z.coercedNumber, never the z.coerce namespace, which bundles every coercion with it.
    expect(files.filter((file) => file !== join('lib', 'zod.ts') && /\bz\.coerce\./.test(readFileSync(join(ROOT, file), 'utf8')))).toEqual([]);
  });
});
