// `npm start` shows the handlers' JSON log lines readably: one line per request status change,
// warnings and errors compactly, the rest only with LOG_LEVEL=DEBUG. The handlers log as in the cloud.
import { z } from 'zod';

const jsonLine = z.looseObject({
  level: z.string(),
  message: z.string(),
  timestamp: z.string().optional(),
});

const statusChange = z.object({
  requestId: z.string(),
  kind: z.string(),
  from: z.string(),
  to: z.string(),
  imsJobId: z.string().nullish(),
  imageId: z.string().nullish(),
  errorCode: z.string().nullish(),
  errorMessage: z.string().nullish(),
});

/** The logger's own keys: the same on every line of an invocation, so they only add noise locally. */
const CONTEXT_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'xray_trace_id',
  'stack',
]);

function clock(timestamp: string | undefined): string {
  const d = timestamp ? new Date(timestamp) : new Date();
  return (Number.isNaN(d.getTime()) ? new Date() : d).toTimeString().slice(0, 8);
}

function compactValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /\s/.test(s) ? JSON.stringify(s) : s;
}

/** The line as `npm start` shows it, or null to hide it. Lines that are not the logger's JSON pass unchanged. */
export function formatLogLine(line: string, options: { debug: boolean }): string | null {
  if (!line.startsWith('{')) return line;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return line;
  }
  const parsed = jsonLine.safeParse(raw);
  if (!parsed.success) return line;
  const entry = parsed.data;
  const time = clock(entry.timestamp);

  const change = entry.message === 'request status' ? statusChange.safeParse(entry) : null;
  if (change?.success) {
    const c = change.data;
    const details = [
      c.imsJobId ? `ims job ${c.imsJobId}` : '',
      c.imageId ? `image ${c.imageId}` : '',
      c.errorCode || c.errorMessage ? `error ${[c.errorCode, c.errorMessage].filter(Boolean).join(' ')}` : '',
    ].filter(Boolean);
    return `${time}  ${c.requestId}  ${c.kind} ${c.from} → ${c.to}${details.length ? `  (${details.join(', ')})` : ''}`;
  }

  const level = entry.level.toUpperCase();
  const loud = level === 'WARN' || level === 'ERROR' || level === 'CRITICAL';
  if (!loud && !options.debug) return null;
  const extras = Object.entries(entry)
    .filter(([k, v]) => !CONTEXT_KEYS.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${compactValue(v)}`);
  if (options.debug && typeof entry.stack === 'string') extras.push(`stack=${compactValue(entry.stack)}`);
  return `${time}  ${level.padEnd(5)} ${entry.message}${extras.length ? `  ${extras.join(' ')}` : ''}`;
}

/** Reformats every line written to `stream` (process.stdout/stderr) through formatLogLine. */
export function formatStreamLogs(stream: NodeJS.WriteStream, options: { debug: boolean }): () => void {
  const original = stream.write;
  const write = original.bind(stream) as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = text.split('\n');
    const shown = lines.map((l, i) => (i === lines.length - 1 && l === '' ? '' : formatLogLine(l, options)));
    const kept = shown.filter((l, i) => l !== null || i === lines.length - 1) as string[];
    const out = kept.join('\n');
    // A write whose lines were all hidden still completes, so callbacks passed to write() run.
    return write(out === '' && text !== '' ? '' : out, ...rest);
  }) as typeof stream.write;
  return () => {
    stream.write = original;
  };
}
