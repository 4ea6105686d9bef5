// Posting a finished request's message to chat: the command's response_url while Slack still
// takes it (30 minutes, 5 uses), else the tenant's incoming webhook. Every post goes through the
// SSRF-guarded agent; chat URLs carry a token in their path, so only hosts are ever logged.
import { logger } from '../log.js';
import type { RequestInternal, StoredRequest } from '../requests/record.js';
import type { Tenant } from '../tenants.js';
import { postJson, type PostDeps } from '../webhooks/deliver.js';
import { completionMessage } from './messages.js';
import { RESPONSE_URL_MAX_USES, checkChatUrl } from './urls.js';

export type ChatTarget = 'response_url' | 'chat_webhook';

export type ChatNotifyResult =
  | { ok: true; target: ChatTarget; status: number; usedResponseUrl: boolean }
  | {
      ok: false;
      kind: 'no-target' | 'delivery-failed';
      /** True when a post to the response_url was made (it counts against Slack's 5 uses even if it failed). */
      usedResponseUrl: boolean;
      failures: { target: ChatTarget; message: string }[];
    };

export interface ChatNotifyDeps extends PostDeps {
  now: () => Date;
  allowLoopback: boolean;
}

/** Whether the record's response_url may still be posted to at `now`. */
export function responseUrlUsable(chat: RequestInternal['chat'], now: Date): chat is NonNullable<RequestInternal['chat']> & { response_url: string } {
  if (!chat?.response_url || chat.expires_at === null) return false;
  return chat.response_uses < RESPONSE_URL_MAX_USES && now.getTime() < Date.parse(chat.expires_at);
}

/** Posts the completion message of a finished record; the result says where it went (a response_url use is counted by the `chat-notified` event). */
export async function notifyChat(record: StoredRequest, tenant: Tenant, deps: ChatNotifyDeps): Promise<ChatNotifyResult> {
  const failures: { target: ChatTarget; message: string }[] = [];
  let usedResponseUrl = false;
  const candidates: { target: ChatTarget; url: string }[] = [];
  const chat = record.internal.chat;
  if (responseUrlUsable(chat, deps.now())) candidates.push({ target: 'response_url', url: chat.response_url });
  if (tenant.chat_webhook_url) candidates.push({ target: 'chat_webhook', url: tenant.chat_webhook_url });

  for (const { target, url } of candidates) {
    const checked = checkChatUrl(url, { allowLoopback: deps.allowLoopback });
    if (!checked.ok) {
      failures.push({ target, message: checked.reason });
      continue;
    }
    if (target === 'response_url') usedResponseUrl = true;
    const sent = await postJson({ url: checked.url, json: completionMessage(record, checked.platform) }, deps);
    if (sent.ok) return { ok: true, target, status: sent.status, usedResponseUrl };
    failures.push({ target, message: sent.message });
  }
  const kind = candidates.length === 0 ? 'no-target' : 'delivery-failed';
  // The one line for a failed notification (the worker and poller do not log it again), with every target's reason.
  logger.warn('chat notification failed', { requestId: record.id, kind, failures });
  return { ok: false, kind, usedResponseUrl, failures };
}

/** notifyChat bound to a container's agent, in the shape the worker and poller call; they pass their own clock's time. */
export function createChatNotifier(deps: Omit<ChatNotifyDeps, 'now'>): {
  notify(record: StoredRequest, tenant: Tenant, at: Date, onAttempt?: PostDeps['onAttempt']): Promise<ChatNotifyResult>;
} {
  return { notify: (record, tenant, at, onAttempt) => notifyChat(record, tenant, { ...deps, now: () => at, ...(onAttempt ? { onAttempt } : {}) }) };
}
