// Text the CLI shows people: record summaries, tables, API problems. Colour only on a terminal
// and never with NO_COLOR set (https://no-color.org).
import { styleText } from 'node:util';
import type { ApiFailure, Delivery, ShownRecord } from './api.js';

type Style = Parameters<typeof styleText>[0];

export interface Painter {
  paint(style: Style, text: string): string;
}

export function painterFor(stream: NodeJS.WriteStream): Painter {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  return { paint: (style, text) => (on ? styleText(style, text) : text) };
}

const STATUS_STYLE: Record<string, Style> = {
  queued: 'gray',
  submitting: 'cyan',
  running: 'cyan',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'yellow',
};

export const paintStatus = (p: Painter, status: string) => p.paint(STATUS_STYLE[status] ?? 'white', status);

/** `1h02m`, `3m05s`, `12s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const percent = (progress: number | null) => (progress === null ? '  –' : `${String(Math.round(progress)).padStart(3)}%`);

/** Time from the request's creation to its end (or to now while it runs). */
export function elapsedMs(record: ShownRecord, now = Date.now()): number {
  const end = record.completed_at ? Date.parse(record.completed_at) : now;
  return Math.max(0, end - Date.parse(record.created_at));
}

/** What failed and what to do about it: IMS's code, the message and the hint. */
export function errorLines(p: Painter, record: ShownRecord): string[] {
  const lines: string[] = [];
  if (record.error) {
    lines.push(`  ${p.paint('red', 'error')} ${p.paint('bold', record.error.code)} (${record.error.source}): ${record.error.message}`);
    if (record.error.hint) lines.push(`  ${p.paint('yellow', 'hint')}  ${record.error.hint}`);
  }
  return lines;
}

/** The outcome (or current state) of one request, a few lines. */
export function recordSummary(p: Painter, record: ShownRecord): string {
  const facts = [
    record.ims_job_id && `ims job ${record.ims_job_id}`,
    record.image_id && `image ${record.image_id}`,
    record.child_id && `export ${record.child_id}`,
    record.parent_id && `part of ${record.parent_id}`,
    record.client_ref && `client_ref ${record.client_ref}`,
  ].filter(Boolean);
  const lines = [
    `${record.id}  ${record.kind}  ${paintStatus(p, record.status)}  ${percent(record.progress).trim()}  after ${duration(elapsedMs(record))}`,
    ...(facts.length ? [`  ${facts.join(', ')}`] : []),
    ...errorLines(p, record),
  ];
  if (record.last_error && !record.error) lines.push(`  last try: ${[record.last_error.code, record.last_error.message].filter(Boolean).join(' ')}`);
  if (record.webhook.status !== 'none') lines.push(`  webhook ${record.webhook.status} (${record.webhook.attempts} attempt${record.webhook.attempts === 1 ? '' : 's'})`);
  return `${lines.join('\n')}\n`;
}

/** Left-aligned columns; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export function requestTable(records: ShownRecord[], now = Date.now()): string {
  return table(
    ['ID', 'KIND', 'STATUS', 'PROGRESS', 'AGE', 'CLIENT_REF', 'ERROR'],
    records.map((r) => [r.id, r.kind, r.status, percent(r.progress).trim(), duration(now - Date.parse(r.created_at)), r.client_ref ?? '', r.error?.code ?? '']),
  );
}

export function deliveryTable(items: Delivery[]): string {
  return table(
    ['AT', 'ATTEMPT', 'TYPE', 'TARGET', 'STATUS', 'MS', 'EVENT_ID', 'ERROR'],
    items.map((d) => [d.at, String(d.attempt), d.type, d.url_origin ?? '', d.status_code === null ? '—' : String(d.status_code), d.duration_ms === null ? '' : String(d.duration_ms), d.event_id, d.error ?? '']),
  );
}

/** An API failure as people read it: the problem's detail and every failing field. */
export function failureText(failure: ApiFailure): string {
  if (failure.kind === 'unreachable') return `${failure.message}\n`;
  const { problem, status } = failure;
  const head = `${status}${problem.title ? ` ${problem.title}` : ''}${problem.detail ? `: ${problem.detail}` : ''}`;
  const fields = (problem.errors ?? []).map((e) => `  ${e.path || '(body)'}: ${e.message}`);
  return `${[head, ...fields].join('\n')}\n`;
}
