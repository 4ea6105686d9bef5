// Standard Webhooks signatures via the reference library, one `v1,` entry per secret during a rotation.
import { Webhook } from 'standardwebhooks';

export type SignResult =
  | { ok: true; headers: { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } }
  | { ok: false; kind: 'bad-secret'; message: string };

export interface SignInput {
  msgId: string;
  /** The attempt's send time: receivers reject timestamps more than 5 minutes off. */
  timestamp: Date;
  body: string;
  /** `whsec_...` secrets, current first; all of them sign during a key rotation. */
  secrets: readonly string[];
}

export function signWebhook({ msgId, timestamp, body, secrets }: SignInput): SignResult {
  if (secrets.length === 0) return { ok: false, kind: 'bad-secret', message: 'no webhook secret configured' };
  const signatures: string[] = [];
  for (const [index, secret] of secrets.entries()) {
    if (!secret.startsWith('whsec_')) {
      return { ok: false, kind: 'bad-secret', message: `webhook secret #${index + 1} does not start with whsec_` };
    }
    try {
      signatures.push(new Webhook(secret).sign(msgId, timestamp, body));
    } catch {
      // The library's own message is not ours to vouch for, so the secret cannot leak through it.
      return { ok: false, kind: 'bad-secret', message: `webhook secret #${index + 1} is not valid base64 after whsec_` };
    }
  }
  return {
    ok: true,
    headers: {
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signatures.join(' '),
    },
  };
}
