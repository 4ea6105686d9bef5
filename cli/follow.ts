// `--wait` and `watch`: poll the request until it ends, showing it as a live bar on a terminal
// or as one line per change anywhere else (CI logs, pipes).
import cliProgress from 'cli-progress';
import type { ApiClient, ApiFailure, ShownRecord } from './api.js';
import { duration, elapsedMs, painterFor, paintStatus, percent } from './render.js';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminal = (record: ShownRecord) => TERMINAL.has(record.status);

const POLL_MS = 1_500;
/** Unreachable or 5xx for this long in a row ends the wait; shorter outages are ridden out. */
const GIVE_UP_MS = 60_000;

interface ProgressView {
  show(record: ShownRecord): void;
  note(text: string): void;
  stop(): void;
}

/** A cli-progress bar redrawn every second, so the elapsed time moves between polls. */
function barView(stream: NodeJS.WriteStream): ProgressView {
  const p = painterFor(stream);
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{id}  {kind}  {status} |{bar}| {pct}  {elapsed}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      // The poll drives the values; cli-progress only redraws.
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let current: ShownRecord | null = null;
  const payload = (r: ShownRecord) => ({ id: r.id, kind: r.kind, status: paintStatus(p, r.status) + ' '.repeat(Math.max(0, 10 - r.status.length)), pct: percent(r.progress), elapsed: duration(elapsedMs(r)) });
  const tick = setInterval(() => current && bar.update(payload(current)), 1_000);
  return {
    show(record) {
      const value = record.status === 'succeeded' ? 100 : (record.progress ?? 0);
      if (current === null) bar.start(100, value, payload(record));
      else bar.update(value, payload(record));
      current = record;
    },
    note(text) {
      // Above the bar: cli-progress redraws it on the next tick.
      stream.write(`\r\x1b[2K${text}\n`);
    },
    stop() {
      clearInterval(tick);
      if (current) bar.stop();
    },
  };
}

function clock(date = new Date()): string {
  return date.toISOString().slice(11, 19);
}

/** One line each time the status or the percentage changes. */
function lineView(stream: NodeJS.WriteStream): ProgressView {
  const p = painterFor(stream);
  let last = '';
  return {
    show(record) {
      const key = `${record.id} ${record.status} ${record.progress}`;
      if (key === last) return;
      last = key;
      stream.write(`${clock()}  ${record.id}  ${record.kind}  ${paintStatus(p, record.status)}  ${percent(record.progress).trim()}  (${duration(elapsedMs(record))})\n`);
    },
    note(text) {
      stream.write(`${clock()}  ${text}\n`);
    },
    stop() {},
  };
}

export const progressView = (stream: NodeJS.WriteStream): ProgressView => (stream.isTTY ? barView(stream) : lineView(stream));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a succeeded capture with then_export may go without its export child before the wait ends. */
const CHILD_WAIT_MS = 120_000;

/**
 * What to poll next: the request itself while it runs; a capture with `then_export` that succeeded
 * leads on to its export child (the end of the transfer); null when there is nothing left to wait for.
 */
function nextToFollow(record: ShownRecord): string | null {
  if (!isTerminal(record)) return record.id;
  const thenExport = record.params.then_export;
  if (record.kind === 'capture' && record.status === 'succeeded' && typeof thenExport === 'object' && thenExport !== null) return record.child_id ?? record.id;
  return null;
}

/** Polls until the request ends; a refusal (404, 401) ends at once, an outage only after GIVE_UP_MS. */
export async function followRequest(api: ApiClient, first: ShownRecord, view: ProgressView): Promise<{ ok: true; record: ShownRecord } | { ok: false; failure: ApiFailure }> {
  let record = first;
  let failingSince: number | null = null;
  // Ctrl-C ends the wait, not the request: put the cursor back and say how to pick it up again.
  const interrupted = () => {
    view.stop();
    process.stderr.write(`\n${record.id} is still ${record.status}; follow it again with: ims-transfer watch ${record.id}\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    let following = record.id;
    let childSince: number | null = null;
    for (;;) {
      view.show(record);
      const next = nextToFollow(record);
      if (next === null) return { ok: true, record };
      if (next === record.id && isTerminal(record)) {
        // A capture's export child appears moments after the capture succeeds; a missing one ends the wait.
        childSince ??= Date.now();
        if (Date.now() - childSince > CHILD_WAIT_MS) return { ok: true, record };
      }
      if (next !== following) {
        view.note(`${record.id} captured image ${record.image_id ?? ''}; following its export ${next}`);
        following = next;
      } else {
        await sleep(POLL_MS);
      }
      const got = await api.call<ShownRecord>('GET', `/v1/requests/${encodeURIComponent(following)}`);
      if (got.ok) {
        record = got.body;
        failingSince = null;
        continue;
      }
      const failure = got.failure;
      if (failure.kind === 'refused' && failure.status === 429) {
        await sleep(failure.retryAfterMs ?? 1_000);
        continue;
      }
      if (failure.kind === 'refused') return { ok: false, failure };
      failingSince ??= Date.now();
      if (Date.now() - failingSince > GIVE_UP_MS) return { ok: false, failure };
      view.note(`still waiting: ${failure.kind === 'unreachable' ? failure.message : `the API answered ${failure.status}`}`);
    }
  } finally {
    process.off('SIGINT', interrupted);
    view.stop();
  }
}
