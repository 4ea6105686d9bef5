// The status page in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
// against the real handlers over real sockets: the page function and the API behind one gateway,
// dynalite, fauxqs, the IMS simulator and a webhook receiver that is down for the first attempt.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../lib/page/serve.js';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

const CHROMIUM = '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
// Outside CI a machine without Debian's chromium skips, loudly; in CI the browser is required.
const skip = !haveBrowser && !process.env.CI;
if (skip) {
  console.warn(
    `\n*** SKIPPED test/integration/status-page.test.ts: no ${CHROMIUM}. Install it with ` +
      '`apt-get install -y --no-install-recommends chromium` (CI installs it and fails without it). ***\n',
  );
}

// README's picture is rewritten only when asked, so that a test run leaves the checkout clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT ? resolve(import.meta.dirname, '../../docs/status-page.png') : join(tmpdir(), `ims-transfer-status-page-${process.pid}.png`);

describe.skipIf(skip)('the status page in Chromium', () => {
  let p: Pipeline;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const console_: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `CI needs Debian's chromium at ${CHROMIUM} (.ci/run installs it)`).toBe(true);
    p = await startPipeline({ sim: { jobMs: 6_000 } });
    profile = mkdtempSync(join(tmpdir(), 'ims-transfer-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 860 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => console_.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Added by the browser itself (not the page), so the CSP does not apply to this listener.
    await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));" });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await p?.stop();
  });

  it('loads without a key under a strict CSP, takes the key, follows a request from queued to succeeded and opens its deliveries', async () => {
    const raw = await request(`${p.gateway.url}/`);
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(PAGE_CSP).not.toMatch(/unsafe-inline|script-src[^;]*\*/);
    const html = await raw.body.text();
    // Every script comes from the page's own origin; none is inline.
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script src="/assets/app.js" defer>']);
    expect(html).not.toMatch(/https?:\/\//);

    await page.goto(`${p.gateway.url}/`);
    await expect(page.getByRole('heading', { name: 'ims-transfer' }).isVisible()).resolves.toBe(true);
    const keyField = page.getByLabel('API key');
    expect(await keyField.getAttribute('type')).toBe('password');

    // A failed export first, so the list shows an error too.
    const failed = await p.api('POST', '/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'sim-fail-bucket:exports/broken.qcow2', file_format: 'vmdk', client_ref: 'nightly-build' });
    await p.settle(async () => (await p.record(failed.json.id)).status === 'failed');

    await keyField.fill(p.apiKey);
    await keyField.press('Enter');
    expect(await page.evaluate('sessionStorage.getItem("ims-transfer.api-key")')).toBe(p.apiKey);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await context.cookies()).toEqual([]);

    p.receiver.failWith = 503;
    const created = await p.api('POST', '/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'my-bucket:exports/centos7.qcow2', file_format: 'qcow2', client_ref: 'release-42' });
    expect(created.status).toBe(202);
    const id = created.json.id as string;
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.and(page.locator('[data-status="queued"]')).waitFor({ timeout: 10_000 });

    const seen: { status: string | null; value: number | null }[] = [];
    const sample = async () => {
      const status = await row.getAttribute('data-status');
      const value = await row.locator('progress').getAttribute('value');
      const last = seen.at(-1);
      const next = { status, value: value === null ? null : Number(value) };
      if (!last || last.status !== next.status || last.value !== next.value) seen.push(next);
    };
    await sample();
    const deadline = Date.now() + 60_000;
    while ((await row.getAttribute('data-status')) !== 'succeeded' || (await row.locator('.webhook-delivered').count()) === 0) {
      expect(Date.now(), `the page did not show ${id} delivered; seen ${JSON.stringify(seen)}`).toBeLessThan(deadline);
      await p.runWorker();
      await p.sweep();
      if (p.receiver.attempts.some((a) => a.status === 503)) p.receiver.failWith = null;
      await sample();
      await new Promise((r) => setTimeout(r, 300));
    }
    await sample();

    // queued first, succeeded last, the bar only moving forward, through values in between.
    expect(seen[0]).toEqual({ status: 'queued', value: 0 });
    expect(seen.at(-1)).toEqual({ status: 'succeeded', value: 100 });
    expect(seen.map((s) => s.status)).toContain('running');
    const values = seen.map((s) => s.value).filter((v): v is number => v !== null);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.some((v) => v > 0 && v < 100)).toBe(true);

    await page.getByRole('button', { name: `Open export ${id}` }).click();
    const deliveries = page.locator('#deliveries tbody tr');
    await deliveries.nth(1).waitFor({ timeout: 10_000 });
    expect(await page.locator('#detail-title').textContent()).toBe(`Export ${id}`);
    const texts = await deliveries.allTextContents();
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain('HTTP 503');
    expect(texts[0]).toContain('image.export.succeeded');
    expect(texts[1]).toContain('HTTP 204');
    // The failed export's row shows IMS's code.
    expect(await page.locator(`tr[data-id="${failed.json.id}"] .error-cell`).textContent()).toMatch(/IMG\.\d{4}/);

    // One more export under way, so that the screenshot shows a bar in the middle.
    const another = await p.api('POST', '/v1/exports', { image_id: SIM_DEFAULTS.images.exportable, bucket_url: 'my-bucket:exports/web-01.vmdk', file_format: 'vmdk' });
    await p.runWorker();
    for (let i = 0; i < 8; i++) {
      await p.sweep();
      await new Promise((r) => setTimeout(r, 300));
    }
    await page.locator(`tr[data-id="${another.json.id}"][data-status="running"]`).waitFor({ timeout: 10_000 });
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    if (!process.env.UPDATE_SCREENSHOT) rmSync(SCREENSHOT);

    expect(pageErrors).toEqual([]);
    expect(console_.filter((m) => /Content Security Policy|CSP violation/i.test(m))).toEqual([]);
    expect(console_.filter((m) => m.startsWith('error'))).toEqual([]);
  }, 120_000);
});
