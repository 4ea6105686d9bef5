import { describe, expect, it } from 'vitest';
import { hashSecret, newApiKey, newWebhookSecret, parseTenants, tenantDirectory } from '../../lib/tenants.js';
import { registerSecret } from '../helpers/secrets.js';

const acmeKey = registerSecret(newApiKey());
const acmeOldKey = registerSecret(newApiKey());
const otherKey = registerSecret(newApiKey());
const tenantsJson = JSON.stringify([
  {
    id: 'acme',
    api_key_sha256: [hashSecret(acmeKey), hashSecret(acmeOldKey)],
    webhook_secrets: [registerSecret(newWebhookSecret())],
    slack_team_ids: ['T123'],
    mattermost_token_sha256: [hashSecret(registerSecret('mm-token-acme'))],
  },
  { id: 'other', api_key_sha256: [hashSecret(otherKey)], webhook_secrets: [registerSecret(newWebhookSecret())] },
]);

describe('tenant directory', () => {
  const dir = tenantDirectory(parseTenants(tenantsJson));

  it('finds the tenant of each of its keys, old and new', () => {
    expect(dir.byApiKey(acmeKey)?.id).toBe('acme');
    expect(dir.byApiKey(acmeOldKey)?.id).toBe('acme');
    expect(dir.byApiKey(otherKey)?.id).toBe('other');
  });

  it('finds no tenant for an unknown, empty or absurdly long key', () => {
    expect(dir.byApiKey(registerSecret(newApiKey()))).toBeNull();
    expect(dir.byApiKey('')).toBeNull();
    expect(dir.byApiKey('x'.repeat(10_000))).toBeNull();
  });

  it('maps Slack workspaces and Mattermost tokens to tenants', () => {
    expect(dir.bySlackTeam('T123')?.id).toBe('acme');
    expect(dir.bySlackTeam('T999')).toBeNull();
    expect(dir.byMattermostToken('mm-token-acme')?.id).toBe('acme');
    expect(dir.byMattermostToken('mm-token-other')).toBeNull();
  });

  it('stores no key in the clear', () => {
    expect(tenantsJson).not.toContain(acmeKey);
  });
});

describe('parseTenants', () => {
  it('names the failing field without echoing secret values', () => {
    const bad = JSON.stringify([{ id: 'acme', api_key_sha256: ['not-a-hash'], webhook_secrets: [registerSecret('plain-secret-value')] }]);
    let message = '';
    try {
      parseTenants(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('0.api_key_sha256.0');
    expect(message).toContain('0.webhook_secrets.0');
    expect(message).not.toContain('plain-secret-value');
  });

  it('refuses duplicate tenant ids and malformed JSON', () => {
    const t = { id: 'a', api_key_sha256: [hashSecret('k')], webhook_secrets: [registerSecret(newWebhookSecret())] };
    expect(() => parseTenants(JSON.stringify([t, t]))).toThrow(/unique/);
    expect(() => parseTenants('{')).toThrow(/not valid JSON/);
  });
});
