// `npm run receiver` over real sockets: it verifies webhooks as before, and it prints the chat posts
// ims-transfer sends to a slash command's response_url (the README's chat walkthrough points one at
// it) as chat messages, without ever counting them, or an unsigned webhook, as verified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionMessage } from '../../lib/chatops/messages.js';
import { publicRecord } from '../../lib/requests/record.js';
import { newWebhookSecret } from '../../lib/tenants.js';
import { webhookEvent } from '../../lib/webhooks/event.js';
import { signWebhook } from '../../lib/webhooks/sign.js';
import { describeChatPost, describeDelivery, startWebhookReceiver, type ReceivedChatPost, type ReceivedDelivery, type RunningReceiver } from '../../local/webhook-receiver.js';
import { storedRequestFixture } from '../helpers/records.js';
import { registerSecret } from '../helpers/secrets.js';

const secret = registerSecret(newWebhookSecret());
const deliveries: ReceivedDelivery[] = [];
const chatPosts: ReceivedChatPost[] = [];
let receiver: RunningReceiver;

const finished = storedRequestFixture({
  id: 'req_06H0GAJA64DVAJAEB0NS8HEXB4',
  status: 'succeeded',
  ims_job_id: 'be35597c2b406ba0a30ebd696a68bc3a',
  image_id: '0d3b5b56-5d2f-4b8e-9a51-3c1f0e7a4b01',
  completed_at: '2026-01-01T00:05:00.000Z',
});

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${receiver.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver({ port: 0, secret: () => secret, onDelivery: (d) => deliveries.push(d), onChatPost: (p) => chatPosts.push(p) });
});

afterAll(async () => {
  await receiver?.close();
});

describe('npm run receiver', () => {
  it('prints the completion message ims-transfer posts to a Slack response_url as a chat message and answers 200', async () => {
    const before = deliveries.length;
    expect(await post('/slack', JSON.stringify(completionMessage(finished, 'slack')))).toBe(200);
    expect(chatPosts.at(-1)).toMatchObject({ path: '/slack', platform: 'slack', responseType: 'in_channel' });
    expect(chatPosts.at(-1)?.text).toContain(`${finished.id} succeeded`);
    expect(deliveries.length).toBe(before);
    const line = describeChatPost(chatPosts.at(-1) as ReceivedChatPost);
    expect(line).toContain('CHAT MESSAGE (slack');
    expect(line).not.toContain('verified');
  });

  it('prints a Mattermost completion (attachments) as a Mattermost chat message', async () => {
    expect(await post('/hooks/local', JSON.stringify(completionMessage({ ...finished, status: 'failed', error: { code: 'IMG.0069', message: 'export failed', source: 'ims' } }, 'mattermost')))).toBe(200);
    expect(chatPosts.at(-1)).toMatchObject({ path: '/hooks/local', platform: 'mattermost' });
    expect(chatPosts.at(-1)?.text).toContain('IMG.0069');
  });

  it('still refuses an ims-transfer webhook without its signature headers, with the library\'s reason', async () => {
    const posts = chatPosts.length;
    const body = JSON.stringify(webhookEvent(publicRecord(finished), new Date()));
    expect(await post('/webhook', body)).toBe(400);
    const refused = deliveries.at(-1);
    expect(refused).toMatchObject({ path: '/webhook', event: null, status: 400 });
    expect(refused?.problem).toMatch(/missing required headers/i);
    expect(describeDelivery(refused as ReceivedDelivery)).toContain('NOT VERIFIED');
    expect(chatPosts.length).toBe(posts);
  });

  it('judges a chat-shaped body that carries webhook headers as a webhook: a wrong signature is refused', async () => {
    const posts = chatPosts.length;
    const body = JSON.stringify(completionMessage(finished, 'slack'));
    const signed = signWebhook({ msgId: 'msg_chat_shaped', timestamp: new Date(), body, secrets: [registerSecret(newWebhookSecret())] });
    if (!signed.ok) throw new Error(signed.message);
    expect(await post('/webhook', body, signed.headers)).toBe(400);
    expect(deliveries.at(-1)).toMatchObject({ webhookId: 'msg_chat_shaped', event: null, status: 400 });
    expect(chatPosts.length).toBe(posts);
  });

  it('verifies a signed webhook and answers 204', async () => {
    const body = JSON.stringify(webhookEvent(publicRecord(finished), new Date()));
    const signed = signWebhook({ msgId: 'msg_signed', timestamp: new Date(), body, secrets: [secret] });
    if (!signed.ok) throw new Error(signed.message);
    expect(await post('/webhook', body, signed.headers)).toBe(204);
    const verified = deliveries.at(-1);
    expect(verified).toMatchObject({ webhookId: 'msg_signed', status: 204, problem: null, event: { type: 'image.export.succeeded', data: { id: finished.id } } });
    expect(describeDelivery(verified as ReceivedDelivery)).toContain('signature verified');
  });
});
