// setupFiles: in every test worker, everything written to stdout/stderr (Powertools' JSON lines)
// or through console.* is also written to a capture file in the run directory, one per test file
// and process, for the secret scan in global.ts. The terminal stays quiet unless TEST_LOGS=1.
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { threadId } from 'node:worker_threads';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { CAPTURE_SUFFIX, LOG_DIR_ENV, appendSecret, currentTestFile } from '../helpers/secrets.js';

// Files of one worker share the process; these marks make the patches happen once per process and console.
const STREAMS_TEED = Symbol.for('ims-transfer.capture-logs.streams');
const CONSOLE_TEED = Symbol.for('ims-transfer.capture-logs.console');
const CONSOLE_METHODS = ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir', 'dirxml', 'table'] as const;

type Write = NodeJS.WriteStream['write'];
type Capture = (text: string) => void;

/** A capture function writing into `dir`, one file per test file, each opening with the file it belongs to. */
export function captureInto(dir: string, testFile: () => string = currentTestFile): Capture {
  const files = new Map<string, number>();
  return (text) => {
    const source = testFile();
    let fd = files.get(source);
    if (fd === undefined) {
      const name = `${source.replace(/[^\w.-]+/g, '_')}.${process.pid}-${threadId}${CAPTURE_SUFFIX}`;
      fd = openSync(join(dir, name), 'a', 0o600);
      writeSync(fd, `# output captured from ${source} (pid ${process.pid})\n`);
      files.set(source, fd);
    }
    // Synchronous, so everything is on disk before the worker exits and the scan reads it.
    writeSync(fd, text);
  };
}

/** Makes `stream.write` capture every chunk; it reaches the stream itself only when `passThrough`. */
export function teeStream(stream: { write: Write }, capture: Capture, passThrough: boolean): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    capture(chunkText(chunk, encoding));
    if (passThrough) return original(chunk, encoding, callback);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as Write;
}

/** Same for console.* (vitest's worker console reports to the main process, not to stdout). */
export function teeConsole(target: Console, capture: Capture, passThrough: boolean): void {
  const methods = target as unknown as Record<string, (...args: unknown[]) => void>;
  for (const name of CONSOLE_METHODS) {
    const original = methods[name]?.bind(target);
    if (!original) continue;
    methods[name] = (...args: unknown[]) => {
      capture(`${format(...args)}\n`);
      if (passThrough) original(...args);
    };
  }
}

function chunkText(chunk: unknown, encoding: unknown): string {
  if (typeof chunk === 'string') {
    return typeof encoding === 'string' && encoding !== 'utf8' && Buffer.isEncoding(encoding) ? Buffer.from(chunk, encoding).toString('utf8') : chunk;
  }
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
  return String(chunk);
}

const dir = process.env[LOG_DIR_ENV];
if (dir) {
  const passThrough = process.env.TEST_LOGS === '1';
  const perProcess = globalThis as { [STREAMS_TEED]?: Capture };
  const capture = (perProcess[STREAMS_TEED] ??= (() => {
    const sink = captureInto(dir);
    teeStream(process.stdout, sink, passThrough);
    teeStream(process.stderr, sink, passThrough);
    appendSecret(dir, { kind: 'IMS simulator SK', value: SIM_DEFAULTS.sk, by: 'test/setup/capture-logs.ts' });
    appendSecret(dir, { kind: 'IMS simulator password', value: SIM_DEFAULTS.password, by: 'test/setup/capture-logs.ts' });
    return sink;
  })());
  const perConsole = console as Console & { [CONSOLE_TEED]?: true };
  if (!perConsole[CONSOLE_TEED]) {
    teeConsole(console, capture, passThrough);
    perConsole[CONSOLE_TEED] = true;
  }
}
