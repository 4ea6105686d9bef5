import { describe, expect, it } from 'vitest';
import { parseConfig, resolveSecrets } from '../../lib/config.js';
import { hashSecret, newWebhookSecret } from '../../lib/tenants.js';
import { registerSecret } from '../helpers/secrets.js';

const TENANTS = JSON.stringify([{ id: 'acme', api_key_sha256: [hashSecret('k')], webhook_secrets: [registerSecret(newWebhookSecret())] }]);
const base = {
  INTAKE_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/ims-transfer-dev-intake',
  IMS_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  TENANTS,
  IMS_USER: 'svc-ims',
  IMS_PASSWORD: registerSecret('correct horse battery staple'),
  IMS_DOMAIN: 'OTC-EU-DE-000000000010000',
};

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('settings', () => {
  it('parses a complete environment with OTC defaults', () => {
    const cfg = parseConfig(base);
    expect(cfg.defaultRegion).toBe('eu-de');
    expect(cfg.projectIds).toEqual({ 'eu-de': base.IMS_PROJECT_ID });
    expect(cfg.ims.auth).toEqual({ kind: 'password', user: 'svc-ims', password: base.IMS_PASSWORD, domain: base.IMS_DOMAIN });
    expect(cfg.ims.imsEndpoint).toContain('{region}');
    expect(cfg.allowLoopbackWebhooks).toBe(false);
    expect(cfg.jobDeadlineMs).toBe(24 * 3_600_000);
  });

  it('chooses AK/SK signing when an access key is given', () => {
    const cfg = parseConfig({ ...base, IMS_AK: 'AKAKAKAK', IMS_SK: 'sksksksk' });
    expect(cfg.ims.auth.kind).toBe('aksk');
  });

  it('allows loopback webhooks only next to local stand-ins, never with the cloud\'s DynamoDB and SQS', () => {
    expect(errorOf(() => parseConfig({ ...base, ALLOW_LOOPBACK_WEBHOOKS: 'true' }))).toContain('ALLOW_LOOPBACK_WEBHOOKS: is for local runs only');
    expect(parseConfig({ ...base, ALLOW_LOOPBACK_WEBHOOKS: 'true', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }).allowLoopbackWebhooks).toBe(true);
    expect(parseConfig(base).allowLoopbackWebhooks).toBe(false);
  });

  it('names a missing setting', () => {
    const { INTAKE_QUEUE_URL: _q, ...rest } = base;
    expect(errorOf(() => parseConfig(rest))).toContain('INTAKE_QUEUE_URL');
    expect(errorOf(() => parseConfig({ ...base, IMS_PASSWORD: undefined }))).toContain('IMS_PASSWORD');
    expect(errorOf(() => parseConfig({ ...base, IMS_SK: '', IMS_AK: 'AK' }))).toContain('IMS_SK');
  });

  it('never repeats a secret value in its errors', () => {
    const message = errorOf(() => parseConfig({ ...base, IMS_PROJECT_ID: 'not-hex', IMS_DOMAIN: '' }));
    expect(message).toContain('IMS_PROJECT_ID');
    expect(message).not.toContain(base.IMS_PASSWORD);
  });

  it('reads secrets from the SSM parameter named by SECRETS_PARAMETER', async () => {
    const { TENANTS: _t, IMS_PASSWORD: _p, ...plain } = base;
    const asked: string[] = [];
    const env = await resolveSecrets({ ...plain, SECRETS_PARAMETER: '/ims-transfer/prod/secrets' }, async (name) => {
      asked.push(name);
      return JSON.stringify({ TENANTS, IMS_PASSWORD: base.IMS_PASSWORD });
    });
    expect(asked).toEqual(['/ims-transfer/prod/secrets']);
    expect(parseConfig(env).tenants[0]?.id).toBe('acme');
  });

  it('refuses a secrets document with unknown keys, naming the key but not the values', async () => {
    const err = await resolveSecrets({ SECRETS_PARAMETER: '/p' }, async () => JSON.stringify({ IMS_PASWORD: registerSecret('hunter2-secret') })).catch((e: Error) => e.message);
    expect(err).toContain('IMS_PASWORD');
    expect(err).not.toContain('hunter2-secret');
  });
});
