import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import fc from 'fast-check';
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

  it('gives exactly the reference library\'s signature for any id, time, body and secret, and refuses a secret that is not canonical base64', () => {
    const base64Char = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split(''));
    const secret = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => `whsec_${Buffer.from(b).toString('base64')}`),
      // Unpadded, oddly padded, or with a stray character: what a hand-made secret may look like.
      fc.tuple(fc.array(base64Char, { minLength: 1, maxLength: 60 }), fc.constantFrom('', '=', '==', '!', '=A')).map(([chars, tail]) => `whsec_${chars.join('')}${tail}`),
    );
    const canonical = (key: string) => {
      const bytes = Buffer.from(key.slice(6), 'base64');
      return bytes.length > 0 && bytes.toString('base64') === key.slice(6);
    };
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.string({ unit: 'grapheme', maxLength: 200 }), secret, (msgId, ms, text, key) => {
        const timestamp = new Date(ms);
        const ours = signWebhook({ msgId, timestamp, body: text, secrets: [key] });
        if (!canonical(key)) {
          expect(ours).toMatchObject({ ok: false, kind: 'bad-secret' });
          return;
        }
        expect(ours.ok && ours.headers['webhook-signature']).toBe(new Webhook(key).sign(msgId, timestamp, text));
      }),
      { numRuns: 500 },
    );
  });
});
