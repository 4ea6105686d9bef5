import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../lib/webhooks/sign.js';
import { registerSecret } from '../helpers/secrets.js';

const newSecret = (): string => registerSecret(`whsec_${randomBytes(24).toString('base64')}`);
const body = JSON.stringify({ type: 'image.export.succeeded', timestamp: '2026-11-23T10:00:00Z', data: { id: 'req_1' } });

describe('signWebhook', () => {
  it('produces headers that the reference library verifies', () => {
    const secret = newSecret();
    const signed = signWebhook({ msgId: 'msg_abc', timestamp: new Date(), body, secrets: [secret] });
    if (!signed.ok) throw new Error(signed.message);
    expect(new Webhook(secret).verify(body, signed.headers)).toEqual(JSON.parse(body));
    expect(signed.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
  });

  it('signs with every secret during a rotation, so either one verifies', () => {
    const [current, previous] = [newSecret(), newSecret()];
    const signed = signWebhook({ msgId: 'msg_abc', timestamp: new Date(), body, secrets: [current, previous] });
    if (!signed.ok) throw new Error(signed.message);
    expect(signed.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, signed.headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, signed.headers)).not.toThrow();
    expect(() => new Webhook(newSecret()).verify(body, signed.headers)).toThrow(/No matching signature/);
  });

  it('puts the send time in Unix seconds into webhook-timestamp', () => {
    const signed = signWebhook({ msgId: 'msg_abc', timestamp: new Date(1_800_000_000_999), body, secrets: [newSecret()] });
    expect(signed.ok && signed.headers['webhook-timestamp']).toBe('1800000000');
  });

  it('fails verification when the body was altered', () => {
    const secret = newSecret();
    const signed = signWebhook({ msgId: 'msg_abc', timestamp: new Date(), body, secrets: [secret] });
    if (!signed.ok) throw new Error(signed.message);
    expect(() => new Webhook(secret).verify(body.replace('req_1', 'req_2'), signed.headers)).toThrow();
  });

  it.each([
    [[], /no webhook secret/],
    [[registerSecret('not-a-secret-at-all')], /#1 does not start with whsec_/],
    [[registerSecret('whsec_!!!not*base64!!!')], /#1 is not valid base64/],
  ])('reports unusable secrets %j as a value without echoing them', (secrets, message) => {
    const signed = signWebhook({ msgId: 'msg_abc', timestamp: new Date(), body, secrets });
    expect(signed).toMatchObject({ ok: false, kind: 'bad-secret', message: expect.stringMatching(message) });
    for (const secret of secrets) expect(JSON.stringify(signed)).not.toContain(secret);
  });
});
