// The CLI's one adapter to ims-transfer: the public HTTP API, nothing else. Every failure comes back as
// a value with a kind, which decides the exit code (refused → 2, unreachable → 3).
import type { RequestRecord } from '../lib/requests/record.js';

/** A record as the API shows it; `hint` and `last_error` are newer than some servers, so both are optional. */
export type ShownRecord = Omit<RequestRecord, 'error'> & {
  error: (NonNullable<RequestRecord['error']> & { hint?: string | null }) | null;
  last_error?: { code?: string; message?: string } | null;
};

export interface Delivery {
  event_id: string;
  type: string;
  attempt: number;
  at: string;
  url_origin: string | null;
  status_code: number | null;
  error: string | null;
  duration_ms: number | null;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export type ApiFailure =
  /** The API answered 4xx: the call was refused as made. */
  | { kind: 'refused'; status: number; problem: Problem; retryAfterMs?: number }
  /** The API answered 5xx (after the retries a safe call gets). */
  | { kind: 'server'; status: number; problem: Problem }
  /** No answer: connection refused, DNS, timeout. */
  | { kind: 'unreachable'; message: string };

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; failure: ApiFailure };

export interface ApiClient {
  call<T>(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; retry?: boolean }): Promise<ApiResult<T>>;
}

const TIMEOUT_MS = 30_000;
/** Attempts of a call that is safe to repeat (GET, or a POST carrying an Idempotency-Key). */
const SAFE_ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;
/** A longer Retry-After is not slept through inside one call. */
const MAX_RETRY_AFTER_MS = 60_000;
const RETRYABLE_STATUS = new Set([502, 503, 504]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : 1_000;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { detail: text.slice(0, 500) };
  }
}

/** Why a fetch got no answer, in words (the cause carries the socket error; the key is never in it). */
function unreachableMessage(error: unknown, baseUrl: string): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return `no answer from ${baseUrl} within ${TIMEOUT_MS / 1000} s`;
  return `cannot reach ${baseUrl}: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
}

export function createApiClient(options: { baseUrl: string; apiKey: string; userAgent: string }): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async call<T>(method: string, path: string, call: { body?: unknown; headers?: Record<string, string>; retry?: boolean } = {}) {
      const attempts = call.retry === false ? 1 : SAFE_ATTEMPTS;
      let last: ApiFailure = { kind: 'unreachable', message: `cannot reach ${base}` };
      for (let attempt = 1; ; attempt++) {
        let res: Response;
        try {
          res = await fetch(`${base}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${options.apiKey}`,
              accept: 'application/json, application/problem+json',
              'user-agent': options.userAgent,
              ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
              ...call.headers,
            },
            ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
            redirect: 'error',
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
        } catch (error) {
          last = { kind: 'unreachable', message: unreachableMessage(error, base) };
          if (attempt >= attempts) return { ok: false, failure: last };
          await sleep(RETRY_DELAY_MS * attempt);
          continue;
        }
        const body = await readBody(res);
        if (res.ok) return { ok: true, status: res.status, body: body as T };
        const problem = (typeof body === 'object' && body !== null ? body : {}) as Problem;
        // A 429 did nothing, so waiting as told and trying again is safe for every call.
        if (res.status === 429 && attempt < SAFE_ATTEMPTS) {
          await sleep(retryAfterMs(res.headers.get('retry-after')));
          continue;
        }
        if (res.status === 429) return { ok: false, failure: { kind: 'refused', status: 429, problem, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) } };
        if (res.status < 500) return { ok: false, failure: { kind: 'refused', status: res.status, problem } };
        last = { kind: 'server', status: res.status, problem };
        if (!RETRYABLE_STATUS.has(res.status) || attempt >= attempts) return { ok: false, failure: last };
        await sleep(RETRY_DELAY_MS * attempt);
      }
    },
  };
}
