// One outbound POST to an untrusted URL (completion webhooks, chat replies) with the result as a value.
import { request, type Dispatcher } from 'undici';
import type { RequestRecord } from '../requests/record.js';
import { webhookEvent } from './event.js';
import { isOutboundRefusedError } from './guard.js';
import { signWebhook } from './sign.js';

export type DeliveryFailureKind = 'refused-address' | 'bad-url' | 'timeout' | 'network' | 'http';

/** `message` never carries the URL's path or query (Slack response URLs hold a token there) or a secret. */
export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; kind: DeliveryFailureKind; status?: number; message: string };

export interface PostDeps {
  /** The guarded agent (createGuardedAgent), made once per container. */
  agent: Dispatcher;
  /** Whole exchange: connect, headers and the capped body read. */
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Told of every POST made (the delivery log); awaited, and expected never to throw. */
  onAttempt?: (attempt: PostAttempt) => Promise<void>;
}

export interface PostAttempt {
  url: string;
  result: DeliveryResult;
  startedAt: Date;
  durationMs: number;
}

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function badUrl(message: string): DeliveryResult {
  return { ok: false, kind: 'bad-url', message };
}

function checkUrl(url: string): DeliveryResult | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return badUrl('not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return badUrl(`${parsed.protocol} URLs are not allowed`);
  if (parsed.username !== '' || parsed.password !== '') return badUrl('URLs with user info are not allowed');
  return null;
}

/** The guard's refusal, wherever undici or net put it (directly, as a cause, or inside an AggregateError). */
function findRefusal(err: unknown): { kind: 'refused-address' | 'bad-url'; message: string } | null {
  if (isOutboundRefusedError(err)) return { kind: err.kind, message: err.message };
  if (err instanceof Error) {
    const nested = [err.cause, ...(err instanceof AggregateError ? err.errors : [])];
    for (const inner of nested) {
      const found = findRefusal(inner);
      if (found) return found;
    }
  }
  return null;
}

function failureOf(err: unknown, timedOut: boolean): DeliveryResult {
  const refusal = findRefusal(err);
  if (refusal) return { ok: false, ...refusal };
  const code = (err as { code?: unknown } | null)?.code;
  if (timedOut || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return { ok: false, kind: 'timeout', message: 'no complete answer within the time limit' };
  }
  // Node's and undici's messages may name the URL; the code alone says enough.
  const label = typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown';
  return { ok: false, kind: 'network', message: `network error (${label})` };
}

/** Reads at most `maxBytes` of a response body and drops the rest (closing the connection if needed). */
async function discardBody(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<void> {
  let read = 0;
  try {
    for await (const chunk of body) {
      read += (chunk as Buffer).length;
      if (read >= maxBytes) break;
    }
  } catch {
    // The status already decided the outcome; a body that breaks off changes nothing.
  } finally {
    if (!body.destroyed) body.destroy();
  }
}

/** One POST; no redirect is followed (a 3xx is a failed delivery); only 2xx counts. */
export async function postSigned(request: PostRequest, deps: PostDeps): Promise<DeliveryResult> {
  const startedAt = new Date();
  const result = await postOnce(request, deps);
  await deps.onAttempt?.({ url: request.url, result, startedAt, durationMs: Date.now() - startedAt.getTime() });
  return result;
}

async function postOnce(
  { url, body, headers }: PostRequest,
  { agent, timeoutMs = 10_000, maxResponseBytes = 4096 }: PostDeps,
): Promise<DeliveryResult> {
  const invalid = checkUrl(url);
  if (invalid) return invalid;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const response = await request(url, {
      method: 'POST',
      body,
      headers,
      dispatcher: agent,
      signal: controller.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await discardBody(response.body, maxResponseBytes);
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { ok: true, status };
    return { ok: false, kind: 'http', status, message: `receiver answered HTTP ${status}` };
  } catch (err) {
    return failureOf(err, timedOut);
  } finally {
    clearTimeout(timer);
  }
}

/** A JSON POST (chat replies to a Slack `response_url`, incoming webhooks). */
export function postJson(
  { url, json, headers = {} }: { url: string; json: unknown; headers?: Record<string, string> },
  deps: PostDeps,
): Promise<DeliveryResult> {
  return postSigned({ url, body: JSON.stringify(json), headers: { ...headers, 'content-type': 'application/json' } }, deps);
}

export interface WebhookDelivery {
  url: string;
  /** The tenant's `whsec_` secrets, current first (several during a rotation). */
  secrets: readonly string[];
  /** webhookEventId(...): the same on every retry of one outcome. */
  eventId: string;
  record: RequestRecord;
  /** When the outcome happened (the body's `timestamp`); stable across retries. */
  at: Date;
}

export type WebhookDeliveryResult = DeliveryResult | { ok: false; kind: 'bad-secret'; message: string };

/** Builds, signs (with the attempt's own time) and posts one completion event. */
export async function deliverWebhook(
  { url, secrets, eventId, record, at }: WebhookDelivery,
  deps: PostDeps & { now?: () => Date },
): Promise<WebhookDeliveryResult> {
  const body = JSON.stringify(webhookEvent(record, at));
  const signed = signWebhook({ msgId: eventId, timestamp: (deps.now ?? (() => new Date()))(), body, secrets });
  if (!signed.ok) return signed;
  return postSigned({ url, body, headers: { ...signed.headers, 'content-type': 'application/json' } }, deps);
}
