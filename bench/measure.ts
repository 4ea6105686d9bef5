// Small measuring tools shared by the benchmarks: bounded repetition and plain statistics.
import { performance } from 'node:perf_hooks';

export interface Timed<T> {
  ms: number;
  value: T;
}

export async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `run` at least `minRuns` times and then until `maxRuns` or `budgetMs` is spent, whichever comes first. */
export async function repeat<T>(run: () => Promise<T>, { minRuns, maxRuns, budgetMs }: { minRuns: number; maxRuns: number; budgetMs: number }): Promise<Timed<T>[]> {
  const results: Timed<T>[] = [];
  const start = performance.now();
  while (results.length < maxRuns && (results.length < minRuns || performance.now() - start < budgetMs)) results.push(await timed(run));
  return results;
}

/** Synchronous operations per second over about `windowMs` (checking the clock every `batch` calls). */
export function opsPerSecond(op: () => unknown, windowMs: number, batch = 200): number {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) op();
    ops += batch;
    elapsed = performance.now() - start;
  } while (elapsed < windowMs);
  return (ops * 1000) / elapsed;
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
