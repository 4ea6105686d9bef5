import { describe, expect, it } from 'vitest';
import { responseUrlUsable, type ChatNotifyResult } from '../../lib/chatops/notify.js';
import { checkChatUrl } from '../../lib/chatops/urls.js';
import { decide, lifecycleTimings } from '../../lib/requests/lifecycle.js';
import { storedRequestFixture } from '../helpers/records.js';

const NOW = new Date('2026-03-01T10:10:00Z');
const chat = (over: Partial<{ response_url: string | null; response_uses: number; expires_at: string | null }> = {}) => ({
  response_url: 'https://hooks.slack.com/commands/T1/2/3',
  response_uses: 0,
  expires_at: '2026-03-01T10:30:00.000Z',
  ...over,
});

describe('chat URLs', () => {
  it('takes Slack URLs only on Slack hosts and over https in the cloud', () => {
    expect(checkChatUrl('https://hooks.slack.com/commands/T1/2/3', { allowLoopback: false })).toMatchObject({ ok: true, platform: 'slack' });
    expect(checkChatUrl('https://hooks.slack.com.evil.example/commands/T1/2/3', { allowLoopback: false })).toMatchObject({ ok: false, reason: expect.stringContaining('not a Slack host') });
    expect(checkChatUrl('http://hooks.slack.com/commands/T1/2/3', { allowLoopback: false })).toMatchObject({ ok: false, reason: 'http: URLs are not allowed' });
    expect(checkChatUrl('https://user:pw@hooks.slack.com/commands/T1/2/3', { allowLoopback: false })).toMatchObject({ ok: false });
  });

  it('takes Mattermost URLs (under /hooks/) on any https host', () => {
    expect(checkChatUrl('https://chat.acme.example/hooks/commands/abc', { allowLoopback: false })).toMatchObject({ ok: true, platform: 'mattermost' });
    expect(checkChatUrl('https://acme.example/mattermost/hooks/abc', { allowLoopback: false })).toMatchObject({ ok: true, platform: 'mattermost' });
  });

  it('lets http on localhost through only with allowLoopback', () => {
    expect(checkChatUrl('http://127.0.0.1:4000/commands/T1/2/3', { allowLoopback: true })).toMatchObject({ ok: true, platform: 'slack' });
    expect(checkChatUrl('http://127.0.0.1:4000/commands/T1/2/3', { allowLoopback: false })).toMatchObject({ ok: false });
    expect(checkChatUrl('https://127.0.0.1:4000/services/T1/B1/x', { allowLoopback: false })).toMatchObject({ ok: false });
    expect(checkChatUrl('http://10.0.0.5/commands/T1/2/3', { allowLoopback: true })).toMatchObject({ ok: false });
  });
});

describe('response_url budget', () => {
  it('is usable for 30 minutes and 5 uses', () => {
    expect(responseUrlUsable(chat(), NOW)).toBe(true);
    expect(responseUrlUsable(chat({ response_uses: 4 }), NOW)).toBe(true);
    expect(responseUrlUsable(chat({ response_uses: 5 }), NOW)).toBe(false);
    expect(responseUrlUsable(chat(), new Date('2026-03-01T10:30:00Z'))).toBe(false);
    expect(responseUrlUsable(chat({ response_url: null }), NOW)).toBe(false);
    expect(responseUrlUsable(chat({ expires_at: null }), NOW)).toBe(false);
    expect(responseUrlUsable(null, NOW)).toBe(false);
  });

  it('counts a use only when the response_url was posted to', () => {
    const posted: ChatNotifyResult = { ok: true, target: 'response_url', status: 200, usedResponseUrl: true };
    const viaWebhook: ChatNotifyResult = { ok: true, target: 'chat_webhook', status: 200, usedResponseUrl: false };
    const refused: ChatNotifyResult = { ok: false, kind: 'delivery-failed', usedResponseUrl: true, failures: [] };
    const base = storedRequestFixture({ id: 'req_chat', status: 'succeeded' });
    const record = { ...base, internal: { ...base.internal, chat: chat({ response_uses: 2 }) } };
    const usesAfter = (result: ChatNotifyResult) => {
      const decision = decide(record, { type: 'chat-notified', at: NOW, usedResponseUrl: result.usedResponseUrl }, { ...lifecycleTimings.parse({}), hasWebhookTarget: false });
      return decision.ok ? decision.record.internal.chat?.response_uses : record.internal.chat.response_uses;
    };
    expect(usesAfter(posted)).toBe(3);
    expect(usesAfter(viaWebhook)).toBe(2);
    expect(usesAfter(refused)).toBe(3);
  });
});
