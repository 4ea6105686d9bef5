// Standard Webhooks signatures, one `v1,` entry per secret during a rotation: HMAC-SHA256 with the
// secret's bytes over `{id}.{timestamp}.{body}`, in base64. node:crypto does it, so the worker and
// poller bundles carry no pure-JS hash; the tests verify every signature with the reference library.
import { createHmac } from 'node:crypto';


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
  const seconds = String(Math.floor(timestamp.getTime() / 1000));
  const signatures: string[] = [];
  for (const [index, secret] of secrets.entries()) {
    if (!secret.startsWith('whsec_')) {
      return { ok: false, kind: 'bad-secret', message: `webhook secret #${index + 1} does not start with whsec_` };
    }
    const encoded = secret.slice('whsec_'.length);
    const key = Buffer.from(encoded, 'base64');
    // Canonical base64 only: Buffer.from skips stray characters and would sign with another key than the receiver's.
    // The message names the secret by its position, never by any part of it.
    if (key.length === 0 || key.toString('base64') !== encoded) return { ok: false, kind: 'bad-secret', message: `webhook secret #${index + 1} is not valid base64 after whsec_` };
    const signature = createHmac('sha256', key).update(`${msgId}.${seconds}.${body}`, 'utf8').digest('base64');
    signatures.push(`v1,${signature}`);
  }
  return { ok: true, headers: { 'webhook-id': msgId, 'webhook-timestamp': seconds, 'webhook-signature': signatures.join(' ') } };
}
