// `npm run bench`: runs the three benchmarks side by side and writes bench/RESULTS.md.
// Figures are ratios measured in one run on one machine; absolute numbers only explain them.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

// The intake handler logs a line per request; keep the bench's own output readable (the logger reads this at import).
process.env.LOG_LEVEL ??= 'SILENT';
// Node 20 here, 22 on Lambda: the AWS SDK's notice about Node 20 says nothing about this service.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const DUE_SIZES = [500, 2000, 8000];
const SIGNING_WINDOW_MS = 400;
const INTAKE_REQUESTS = 300;
const COLD_START_RUNS = 9;

const INTRO = `# Benchmarks

\`npm run bench\` (bench/run.ts) measures each comparison side by side in one run on one machine and
reports ratios; absolute figures depend on the machine and on the local stand-ins (dynalite, fauxqs),
so only the ratios are meant to travel. **Due sweep vs Scan** fills a dynalite table with N finished
requests plus 20 due ones and compares the poller's sweep (\`store.due\`, one Query per shard of the
sparse due index) with a filtered full-table Scan that finds the same 20: the sweep reads the same
20 items whatever N is, while the Scan reads every item, so its cost (time and DynamoDB read units)
grows with every request ever made. **AK/SK signing** checks that \`signRequest\` (lib/ims/signer.ts)
and Huawei's \`AKSKSigner.sign\` give the same Authorization header, then compares their signatures
per second. **Intake throughput** sends the same \`POST /v1/exports\` requests to the real intake handler
invoked directly with API Gateway events and through the local HTTP gateway over loopback sockets
(both against dynalite and fauxqs, 8 in flight): the ratio is the share of a local request's cost that
is HTTP and event translation rather than the handler's own work. **Cold start** bundles each
handler with serverless.yml's esbuild settings, and one bundle of the whole service (all four
handlers), and imports each in fresh Node processes: each function loads only what it runs. The
row "intake, if it served the page too" is what the status page would add to intake's cold start
without its own function.
`;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×` : 'n/a');

async function main(): Promise<void> {
  const started = Date.now();
  const { benchDueSweep } = await import('./due-sweep.js');
  const { benchSigning } = await import('./signing.js');
  const { benchIntake } = await import('./intake.js');
  const { benchColdStart } = await import('./cold-start.js');
  const { fixed } = await import('./measure.js');

  log('bench 1/4: due sweep vs Scan');
  const due = await benchDueSweep(DUE_SIZES, log);
  log('bench 2/4: AK/SK signing');
  const signing = benchSigning(SIGNING_WINDOW_MS, log);
  log('bench 3/4: intake throughput');
  const intake = await benchIntake(INTAKE_REQUESTS, log);
  const [direct, gateway] = intake;
  log('bench 4/4: cold start');
  const cold = await benchColdStart(COLD_START_RUNS, log);
  const whole = cold.find((r) => r.bundle === 'whole service');

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const report = `${INTRO}
## Latest run

${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpu}, ${process.platform}/${process.arch}; took ${Math.round((Date.now() - started) / 1000)} s.

### 1. Due sweep vs Scan (20 due records; medians)

| finished records N | sweep ms | Scan ms | Scan / sweep time | items read: sweep | items read: Scan | Scan / sweep items |
|---:|---:|---:|---:|---:|---:|---:|
${due.map((r) => `| ${r.finished} | ${fixed(r.sweepMs)} | ${fixed(r.scanMs)} | ${ratio(r.scanMs, r.sweepMs)} | ${r.sweepItemsRead} | ${r.scanItemsRead} | ${ratio(r.scanItemsRead, r.sweepItemsRead)} |`).join('\n')}

### 2. AK/SK signing (same Authorization header checked first; best of 3 windows of ${SIGNING_WINDOW_MS} ms)

| request | signRequest ops/s | AKSKSigner.sign ops/s | ours / Huawei |
|---|---:|---:|---:|
${signing.map((r) => `| ${r.request} | ${fixed(r.oursOpsPerSec, 0)} | ${fixed(r.huaweiOpsPerSec, 0)} | ${ratio(r.oursOpsPerSec, r.huaweiOpsPerSec)} |`).join('\n')}

### 3. Intake throughput (M = ${INTAKE_REQUESTS} POST /v1/exports per path, ${direct?.concurrency ?? 'n/a'} in flight; better of 2 rounds)

| path | requests/s |
|---|---:|
${intake.map((r) => `| ${r.path} | ${fixed(r.requestsPerSec)} |`).join('\n')}

Direct / gateway: **${ratio(direct?.requestsPerSec ?? 0, gateway?.requestsPerSec ?? 0)}**.

### 4. Cold start (bundles as serverless.yml builds them; medians of ${COLD_START_RUNS} fresh processes; RSS includes Node's own, shown as "node alone")

| bundle | size KiB | import ms | RSS after import MiB | size / whole service | import / whole service | RSS / whole service |
|---|---:|---:|---:|---:|---:|---:|
${cold.map((r) => `| ${r.bundle} | ${fixed(r.bytes / 1024, 0)} | ${fixed(r.importMs)} | ${fixed(r.rssMiB)} | ${ratio(r.bytes, whole?.bytes ?? 0)} | ${ratio(r.importMs, whole?.importMs ?? 0)} | ${ratio(r.rssMiB, whole?.rssMiB ?? 0)} |`).join('\n')}
`;
  writeFileSync(RESULTS, report);
  log(`wrote ${RESULTS} in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
