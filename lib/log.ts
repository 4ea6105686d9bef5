// One structured JSON logger for every module (Powertools: correlation ids, Lambda context).
// Never pass a secret (password, token, SK, API key, webhook secret) into a log call;
// `redactUrl` strips the parts of a URL that may carry one.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: 'ims-transfer',
  logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' | undefined) ?? 'INFO',
});

/** A URL as it may be logged: origin and path only (no user info, no query, no fragment). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}
