// What each deployed function's bundle must not carry: packages it never calls, pulled in by an
// import of something small beside them (a settings schema next to an HTTP client, a generator
// next to the document it generates). Bundled as serverless.yml's esbuild settings build them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { DEPLOY_BUILD, ROOT } from '../../bench/common.js';
import { OWN_ERROR_CODES, hintFor } from '../../lib/ims/hints.js';
import { OS_VERSIONS } from '../../lib/ims/os-versions.js';

const bundles = new Map<string, Promise<{ inputs: string[]; text: string }>>();

/** The bundle of handlers/<fn>.ts (built once per file): its inputs and its minified code. */
function bundleOf(fn: string): Promise<{ inputs: string[]; text: string }> {
  const built =
    bundles.get(fn) ??
    build({ ...DEPLOY_BUILD, entryPoints: [`${ROOT}handlers/${fn}.ts`], outdir: '/nonexistent', write: false, metafile: true, sourcemap: false }).then((result) => {
      const metafile: Metafile = result.metafile;
      const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
      return { inputs: Object.keys(output?.inputs ?? {}), text: result.outputFiles.map((f) => f.text).join('\n') };
    });
  bundles.set(fn, built);
  return built;
}

/** The inputs of the bundle of handlers/<fn>.ts. */
async function inputsOf(fn: string): Promise<string[]> {
  return (await bundleOf(fn)).inputs;
}

/** The packages (node_modules names) in the bundle of handlers/<fn>.ts. */
async function packagesIn(fn: string): Promise<Set<string>> {
  const names = (await inputsOf(fn)).flatMap((path) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    return m?.[1] ? [m[1]] : [];
  });
  return new Set(names);
}

// Build-time tools, and the pure-JS hash the webhook signing no longer needs (node:crypto signs).
const NEVER = ['zod-openapi', '@aws-sdk/client-ssm', '@aws-lambda-powertools/parameters', 'standardwebhooks', 'fast-sha256'];

describe('the deployed bundles', () => {
  it('keep the HTTP client out of intake (it calls neither IMS nor OBS), and the build-time tools out of every function', async () => {
    const intake = await packagesIn('intake');
    expect([...intake].filter((p) => p === 'undici' || NEVER.includes(p))).toEqual([]);
    expect(intake.has('@aws-sdk/client-dynamodb') && intake.has('@aws-sdk/client-sqs')).toBe(true);
    for (const fn of ['worker', 'poller']) {
      const packages = await packagesIn(fn);
      expect([...packages].filter((p) => NEVER.includes(p)), fn).toEqual([]);
      expect(packages.has('undici'), fn).toBe(true);
    }
  }, 60_000);

  it('keep the chat command handling in the chatops function, out of intake', async () => {
    // The shared deps build the Slack replay guard (lib/chatops/verify.ts); the commands and messages stay out.
    const chatHandling = ['lib/chatops/slash.ts', 'lib/chatops/commands.ts', 'lib/chatops/messages.ts', 'lib/chatops/notify.ts'];
    expect((await inputsOf('intake')).filter((path) => chatHandling.includes(path))).toEqual([]);
    expect(await inputsOf('chatops')).toContain('lib/chatops/slash.ts');
  }, 60_000);

  it('carry the schemas\' rules but not the OpenAPI document\'s descriptions, which only the document build reads', async () => {
    // From the request body, the record and the chat form: text only lib/api/openapi-docs*.ts may hold.
    const descriptions = [
      'IAM project id (32 lower-case hex characters) that owns the image',
      'what OBS could or could not show about the request',
      'ISO 8601 UTC timestamp',
      'Mattermost verification token (Slack requests are signed instead)',
    ];
    for (const fn of ['intake', 'worker', 'poller', 'chatops']) {
      const { inputs, text } = await bundleOf(fn);
      expect(descriptions.filter((d) => text.includes(d)), fn).toEqual([]);
      expect(inputs.filter((path) => path.startsWith('lib/api/openapi')), fn).toEqual([]);
      // Still the runtime rules: a message of the request schemas.
      expect(text, fn).toContain('must be an IAM project id of 32 lower-case hex characters');
    }
  }, 60_000);

  it('carry the hint texts and the OS versions packed, and unpack exactly what lib/ims/hint-texts.ts and os-versions.ts hold', async () => {
    // A hint of the table, one that several codes share, and an OS version, as the sources write them: never in plain text.
    const plain = [hintFor('IMG.0160'), hintFor('IMG.0014'), 'SUSE Linux Enterprise Server 12 SP3 64bit'];
    for (const fn of ['intake', 'worker', 'poller']) {
      const { text } = await bundleOf(fn);
      expect(plain.filter((t) => t !== null && text.includes(t)), fn).toEqual([]);
      expect(text, fn).toContain('brotliDecompressSync');
    }
    // The modules bundled as deployed answer as the sources do: every code and source, every version.
    const dir = mkdtempSync(join(tmpdir(), 'ims-transfer-tables-'));
    try {
      await build({ ...DEPLOY_BUILD, entryPoints: { hints: `${ROOT}lib/ims/hints.ts`, versions: `${ROOT}lib/ims/os-versions.ts` }, outdir: dir, sourcemap: false });
      const packed = (await import(pathToFileURL(join(dir, 'hints.mjs')).href)) as { hintFor: typeof hintFor };
      const documented = readFileSync(`${ROOT}test/fixtures/ims-error-codes.txt`, 'utf8').split('\n').filter((line) => line.trim() !== '');
      const asked: [string, string | undefined][] = [
        ...[...documented, ...OWN_ERROR_CODES, 'img.0070', 'APIGW.0308', 'IMG.9999', 'not-a-code'].map((code): [string, undefined] => [code, undefined]),
        ...['ims', 'validation', 'timeout', 'internal', 'precheck', 'auth', 'forbidden', 'elsewhere'].map((source): [string, string] => ['not-a-code', source]),
      ];
      for (const [code, source] of asked) expect(packed.hintFor(code, source), `${code} ${source ?? ''}`).toBe(hintFor(code, source));
      expect(((await import(pathToFileURL(join(dir, 'versions.mjs')).href)) as { OS_VERSIONS: unknown }).OS_VERSIONS).toEqual(OS_VERSIONS);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('keep the status page function free of any package', async () => {
    expect([...(await packagesIn('page'))]).toEqual([]);
  }, 60_000);
});
