// The OpenAPI document as the API serves it, linted by Redocly with the repository's redocly.yaml:
// no errors allowed (warnings are listed in the failure message only).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntakeHandler } from '../../handlers/intake.js';
import { handler as pageHandler } from '../../handlers/page.js';
import { isPagePath } from '../../lib/page/serve.js';
import { startHttpGateway, type LocalGateway } from '../../local/http-gateway.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REDOCLY = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');

let gateway: LocalGateway;
let dir: string;

beforeAll(async () => {
  // Routed as deployed: the document is the page function's, which has no dependencies to load.
  gateway = await startHttpGateway({
    handler: createIntakeHandler(() => Promise.reject(new Error('no deps needed'))),
    routes: [{ matches: isPagePath, handler: pageHandler, functionName: 'page' }],
  });
  dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
});

afterAll(async () => {
  await gateway?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type LintReport = { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };

describe('the served OpenAPI document', () => {
  it('passes redocly lint with no errors', async () => {
    const res = await request(`${gateway.url}/v1/openapi.json`);
    expect(res.statusCode).toBe(200);
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(await res.body.json(), null, 2));

    const run = await promisify(execFile)(process.execPath, [REDOCLY, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'], {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    const report = JSON.parse(run.stdout) as LintReport;
    const listed = report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`).join('\n');
    expect(report.totals.errors, listed).toBe(0);
  });
});
