// `npm run chaos`: N requests of every kind through the real handlers with about 20 % IMS faults of
// every kind the simulator has (`-- --crash`: the whole stack killed twice mid-flight instead);
// prints the figures and writes them into bench/RESULTS.md between the chaos markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatFigures, goalLines, type Figures } from './chaos/figures.js';
import { withSection } from './chaos/section.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
function print(f: Figures): void {
  // At most ten lines of each kind (lost, false success, ...), so every kind shows.
  const byKind = new Map<string, string[]>();
  for (const line of f.detail) {
    const kind = line.split(':')[0] ?? '';
    byKind.set(kind, [...(byKind.get(kind) ?? []), line]);
  }
  for (const lines of byKind.values()) {
    for (const line of lines.slice(0, 10)) console.log(`  ${line}`);
    if (lines.length > 10) console.log(`  … and ${lines.length - 10} more of these`);
  }
  for (const g of goalLines(f)) console.log(`${g.label.padEnd(24)} ${String(g.value ?? 'n/a').padStart(5)}  ${g.met ? 'met' : 'MISSED'}`);
}

async function main(): Promise<void> {
  // The handlers' own log lines would drown the figures; LOG_LEVEL=INFO shows them.
  process.env.LOG_LEVEL ??= 'ERROR';
  const crash = process.argv.includes('--crash');
  const requests = Number(process.env.CHAOS_REQUESTS ?? (crash ? 100 : 1_000));
  const seed = Number(process.env.CHAOS_SEED ?? 12);
  const log = (s: string) => console.log(s);
  let figures: Figures;
  let title: string;
  if (crash) {
    const { runCrash } = await import('./chaos/crash.js');
    const run = await runCrash({ requests, seed, log });
    figures = run.figures;
    // Why any request was left open (each one's stored record, IMS's view, its log lines, the queues).
    if (run.diagnosis.length) console.log(run.diagnosis.join('\n'));
    title = `Crash: ${requests} requests, SIGKILL of the whole stack twice (${run.imsRemembers ? 'IMS remembers its jobs' : 'IMS forgot its jobs: the simulator kept no state'}; in flight at the kills: ${run.inFlightAtKills.join(' / ')})`;
  } else {
    const { runChaos } = await import('./chaos/inprocess.js');
    figures = await runChaos({ requests, seed, log });
    title = `Chaos: ${requests} requests, 20 % IMS faults`;
  }
  print(figures);
  const when = `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'cpu'}, seed ${seed}`;
  const section = `${formatFigures(title, figures)}\n${when}.\n\n`;
  writeFileSync(RESULTS, withSection(readFileSync(RESULTS, 'utf8'), section, crash ? 'crash' : 'faults'));
  console.log(`wrote ${RESULTS}`);
  process.exitCode = goalLines(figures).every((g) => g.met) ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
