// One structured JSON logger for every module (Powertools: correlation ids, Lambda context).
// Never pass a secret (password, token, SK, API key, webhook secret) into a log call;
// `redactUrl` strips the parts of a URL that may carry one.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: 'ims-transfer',
  logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' | undefined) ?? 'INFO',
});

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
