// One structured JSON logger for every module: one JSON object per line, the keys CloudWatch Logs
// Insights and the metric filters in serverless.yml read (level, message, timestamp, service), the
// invocation's Lambda context and correlation id, and the call's own attributes at the top level.
// Never pass a secret (password, token, SK, API key, webhook secret) into a log call;
// `redactUrl` strips the parts of a URL that may carry one. As a safety net, attributes named like
// a secret are written as "[redacted]" and those named like a URL as their origin, at any depth.
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

const LEVELS = { DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, SILENT: 28 } as const;
type Level = Exclude<keyof typeof LEVELS, 'SILENT'>;
type Attributes = Record<string, unknown>;

/** The level below which lines are dropped: LOG_LEVEL (DEBUG, INFO, WARN, ERROR, SILENT), INFO when unset or unknown. */
function threshold(): number {
  const wanted = (process.env.LOG_LEVEL ?? '').toUpperCase();
  return wanted in LEVELS ? LEVELS[wanted as keyof typeof LEVELS] : LEVELS.INFO;
}

/** Keys whose values are secrets (or their hashes) wherever they sit: a whole tenant or settings object logged by mistake stays safe. */
const SECRET_KEY = /secret|password|passwd|token|sha256|^sk$|authorization|signature|credentials?$/i;
/** Keys holding URLs: chat and webhook URLs carry their token in the path or query, so only the origin is written. */
const URL_KEY = /url$/i;

/**
 * An attribute as it may be written: secrets redacted by their key, URLs cut to their origin,
 * errors as their name, message and stack (JSON.stringify alone would write `{}`), bigints as
 * strings, at any depth. Done before JSON.stringify rather than as its replacer, which would take
 * it off its fast path for every line; a cycle throws, as JSON.stringify would.
 */
function jsonSafe(key: string, value: unknown, path: object[]): unknown {
  if (value === null || value === undefined) return value;
  if (isSecretKey(key)) return '[redacted]';
  switch (typeof value) {
    case 'string':
      return isUrlKey(key) ? redactUrl(value) : value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return value;
  }
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  // Dates and the like write themselves; their own fields are not attributes.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  if (path.includes(value)) throw new TypeError('circular attribute');
  path.push(value);
  let safe: unknown;
  if (Array.isArray(value)) safe = value.map((item, i) => jsonSafe(String(i), item, path));
  else {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(k, v, path);
    safe = out;
  }
  path.pop();
  return safe;
}

const keyVerdicts = new Map<string, { secret: boolean; url: boolean }>();
/** Attribute keys are few and repeat on every line: each is judged once. */
function verdictOf(key: string): { secret: boolean; url: boolean } {
  let verdict = keyVerdicts.get(key);
  if (!verdict) {
    verdict = { secret: SECRET_KEY.test(key), url: URL_KEY.test(key) };
    if (keyVerdicts.size < 1_000) keyVerdicts.set(key, verdict);
  }
  return verdict;
}
const isSecretKey = (key: string) => verdictOf(key).secret;
const isUrlKey = (key: string) => verdictOf(key).url;

export interface Logger {
  debug(message: string, attributes?: Attributes): void;
  info(message: string, attributes?: Attributes): void;
  warn(message: string, attributes?: Attributes): void;
  error(message: string, attributes?: Attributes): void;
  /** The id every line of the current invocation carries as `correlation_id` (API Gateway's request id). */
  setCorrelationId(id: string | undefined): void;
  /** Starts an invocation: its Lambda context on every line, the previous invocation's keys gone. */
  startInvocation(context: Context | undefined): void;
}

/** The objects jsonSafe is inside of, shared by every line (a line is written synchronously): one array, not one per attribute. */
const visiting: object[] = [];

function createLogger(service: string): Logger {
  const minimum = threshold();
  let coldStart = true;
  let invocation: Attributes = {};

  function write(level: Level, message: string, attributes: Attributes | undefined): void {
    if (LEVELS[level] < minimum) return;
    const trace = process.env._X_AMZN_TRACE_ID;
    const timestamp = new Date().toISOString();
    let text: string;
    try {
      const line: Attributes = { level, message, timestamp, service };
      for (const key in invocation) line[key] = invocation[key];
      if (trace) line.xray_trace_id = trace.split(';')[0]?.replace('Root=', '');
      if (attributes) for (const key in attributes) line[key] = jsonSafe(key, attributes[key], visiting);
      text = JSON.stringify(line);
    } catch {
      visiting.length = 0;
      // A circular attribute must not lose the line: the message and level still tell what happened.
      text = JSON.stringify({ level, message, timestamp, service, ...invocation, log_error: 'attributes not serializable' });
    }
    // Warnings and errors on stderr, the rest on stdout: both reach the function's log group.
    (LEVELS[level] >= LEVELS.WARN ? process.stderr : process.stdout).write(`${text}\n`);
  }

  return {
    debug: (message, attributes) => write('DEBUG', message, attributes),
    info: (message, attributes) => write('INFO', message, attributes),
    warn: (message, attributes) => write('WARN', message, attributes),
    error: (message, attributes) => write('ERROR', message, attributes),
    setCorrelationId(id) {
      if (id === undefined) delete invocation.correlation_id;
      else invocation.correlation_id = id;
    },
    startInvocation(context) {
      invocation = context
        ? {
            cold_start: coldStart,
            function_name: context.functionName,
            function_memory_size: Number(context.memoryLimitInMB),
            function_arn: context.invokedFunctionArn,
            function_request_id: context.awsRequestId,
          }
        : {};
      coldStart = false;
    },
  };
}

export const logger: Logger = createLogger('ims-transfer');

/** The middy middleware each handler starts with: every line of the invocation carries its Lambda context. */
export function logInvocation<E, R>(): MiddlewareObj<E, R, Error, Context> {
  return { before: (request) => logger.startInvocation(request.context) };
}

/**
 * A URL as it may be logged: its origin only. Webhook and chat URLs often carry their token in
 * the path (`/services/T…/B…/<token>`, `/hooks/<token>`), in user info or in the query.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unparseable url)';
  }
}
