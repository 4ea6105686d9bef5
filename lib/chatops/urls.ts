// Which chat URLs we may keep and post to, and how long Slack honours a response_url. No network
// code here: the intake function checks a command's response_url with it and bundles nothing more.
import { isIP } from 'node:net';
import type { ChatPlatform } from './messages.js';

/** Slack: a response_url takes up to 5 posts within 30 minutes of the command. */
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;
export const RESPONSE_URL_MAX_USES = 5;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || (isIP(hostname) === 4 && hostname.startsWith('127.'));
}

function isSlackHost(hostname: string): boolean {
  return hostname === 'slack.com' || hostname.endsWith('.slack.com');
}

/**
 * Which platform a chat URL belongs to: Slack's hosts are Slack's; Mattermost (self-hosted, any host)
 * puts both response URLs and incoming webhooks under `/hooks/`; anything else is taken for Slack-shaped.
 */
export function platformOfUrl(url: URL): ChatPlatform {
  if (isSlackHost(url.hostname)) return 'slack';
  return /(^|\/)hooks\//.test(url.pathname) ? 'mattermost' : 'slack';
}

export type ChatUrlCheck = { ok: true; url: string; platform: ChatPlatform } | { ok: false; reason: string };

/**
 * Whether we may post to a chat URL: https only, and a Slack-shaped URL only on Slack's hosts; with
 * `allowLoopback` (local development), http and any shape on localhost too. The agent checks addresses.
 */
export function checkChatUrl(raw: string, { allowLoopback }: { allowLoopback: boolean }): ChatUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'URLs with user info are not allowed' };
  const local = allowLoopback && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) return { ok: false, reason: `${url.protocol} URLs are not allowed` };
  const platform = platformOfUrl(url);
  if (platform === 'slack' && !isSlackHost(url.hostname) && !local) return { ok: false, reason: `${url.hostname} is not a Slack host` };
  return { ok: true, url: url.toString(), platform };
}
