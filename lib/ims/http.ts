// HTTP to IMS and IAM on undici: one keep-alive Pool per origin, explicit timeouts, and a record of
// whether the request reached a socket, which is what tells "never left" from "answer lost".
import { Pool, type Dispatcher } from 'undici';
import type { ImsTimeouts } from './settings.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** Why no answer came. `sent` is false only when the request provably never left (no connection). */
export class TransportFailure extends Error {
  constructor(
    readonly code: string,
    readonly sent: boolean,
    readonly timedOut: boolean,
  ) {
    super(`${code}${sent ? ' after the request was sent' : ' before the request was sent'}`);
    this.name = 'TransportFailure';
  }
}

/** Answers larger than this are cut off: IMS's answers are small JSON documents. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UND_ERR';
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

export interface HttpTransport {
  send(origin: string, request: HttpRequest): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export function createHttpTransport(timeouts: ImsTimeouts): HttpTransport {
  const pools = new Map<string, Pool>();

  function poolFor(origin: string): Pool {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: 16,
        connect: { timeout: timeouts.connectMs },
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.bodyMs,
        keepAliveTimeout: 10_000,
        // Close idle sockets well before the server does, so a POST is not written into a dying one.
        keepAliveTimeoutThreshold: 2_000,
      });
      pools.set(origin, pool);
    }
    return pool;
  }

  function send(origin: string, request: HttpRequest): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      let sent = false;
      let status = 0;
      let headers: Record<string, string | undefined> = {};
      const chunks: Buffer[] = [];
      let size = 0;
      const handler: Dispatcher.DispatchHandler = {
        // Called once a connection carries the request: from here on IMS may have received it.
        onRequestStart() {
          sent = true;
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode;
          headers = flatHeaders(responseHeaders);
        },
        onResponseData(controller, chunk) {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) controller.abort(Object.assign(new Error('answer too large'), { code: 'ANSWER_TOO_LARGE' }));
          else chunks.push(chunk);
        },
        onResponseEnd() {
          resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
        },
        onResponseError(_controller, err) {
          const code = errorCode(err);
          reject(new TransportFailure(code, sent && code !== 'UND_ERR_CONNECT_TIMEOUT', TIMEOUT_CODES.has(code)));
        },
      };
      try {
        poolFor(origin).dispatch(
          {
            path: request.path,
            method: request.method,
            headers: request.headers,
            body: request.body ?? null,
            headersTimeout: timeouts.headersMs,
            bodyTimeout: timeouts.bodyMs,
          },
          handler,
        );
      } catch (err) {
        reject(new TransportFailure(errorCode(err), false, false));
      }
    });
  }

  async function close(): Promise<void> {
    const all = [...pools.values()];
    pools.clear();
    await Promise.all(all.map((pool) => pool.close()));
  }

  return { send, close };
}
