// The functions' zod is zod/mini with the English messages only (lib/zod.ts): classic zod keeps every
// method on every schema (about 100 KiB a bundle, and slow to build at cold start), and `z.locales`
// would bring every language. Bundled as serverless.yml's esbuild settings build them.
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { DEPLOY_BUILD, ROOT } from '../../bench/common.js';

const FUNCTIONS = ['intake', 'worker', 'poller'] as const;

/** The zod files that put code in each function's bundle, as paths inside the zod package. */
async function zodFilesIn(): Promise<Record<string, string[]>> {
  const entryPoints = Object.fromEntries(FUNCTIONS.map((fn) => [fn, `${ROOT}handlers/${fn}.ts`]));
  const result = await build({ ...DEPLOY_BUILD, entryPoints, outdir: '/nonexistent', write: false, metafile: true, sourcemap: false });
  const metafile: Metafile = result.metafile;
  const files: Record<string, string[]> = {};
  for (const output of Object.values(metafile.outputs)) {
    const fn = FUNCTIONS.find((name) => output.entryPoint?.endsWith(`handlers/${name}.ts`));
    if (fn === undefined) continue;
    files[fn] = Object.entries(output.inputs)
      .filter(([path, { bytesInOutput }]) => bytesInOutput > 0 && path.includes('node_modules/zod/'))
      .map(([path]) => path.slice(path.indexOf('node_modules/zod/') + 'node_modules/zod/'.length));
  }
  return files;
}

describe('the deployed bundles', () => {
  it('carry zod/mini and its English messages, and neither classic zod nor another language', async () => {
    const files = await zodFilesIn();
    expect(Object.keys(files).sort()).toEqual([...FUNCTIONS].sort());
    for (const fn of FUNCTIONS) {
      const zod = files[fn] ?? [];
      expect(zod, fn).toContain('v4/mini/schemas.js');
      expect(zod, fn).toContain('v4/locales/en.js');
      // locales/index.js is the namespace's empty shell once its languages are shaken out.
      const otherLanguage = (f: string) => f.startsWith('v4/locales/') && f !== 'v4/locales/en.js' && f !== 'v4/locales/index.js';
      expect(zod.filter((f) => f.startsWith('v4/classic/') || otherLanguage(f)), fn).toEqual([]);
    }
  }, 60_000);
});
