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
 * Each attribute as it may be written: secrets redacted by their key, URLs cut to their origin,
 * errors as their name, message and stack (JSON.stringify alone would write `{}`), bigints as strings.
 */
function jsonSafe(key: string, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (SECRET_KEY.test(key)) return '[redacted]';
  if (URL_KEY.test(key) && typeof value === 'string') return redactUrl(value);
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

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

function createLogger(service: string): Logger {
  const minimum = threshold();
  let coldStart = true;
  let invocation: Attributes = {};

  function write(level: Level, message: string, attributes: Attributes | undefined): void {
    if (LEVELS[level] < minimum) return;
    const trace = process.env._X_AMZN_TRACE_ID;
    const line: Attributes = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service,
      ...invocation,
      ...(trace ? { xray_trace_id: trace.split(';')[0]?.replace('Root=', '') } : {}),
      ...attributes,
    };
    let text: string;
    try {
      text = JSON.stringify(line, jsonSafe);
    } catch {
      // A circular attribute must not lose the line: the message and level still tell what happened.
      text = JSON.stringify({ level, message, timestamp: line.timestamp, service, ...invocation, log_error: 'attributes not serializable' });
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
