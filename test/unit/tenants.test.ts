import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hashSecret,
  newApiKey,
  newWebhookSecret,
  parseTenants,
  placeInFence,
  tenantDirectory,
  tenantImsAuth,
  type ImsProject,
} from '../../lib/tenants.js';
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

// ---- fences ----

const P = (c: string) => c.repeat(32);
const service = { defaultRegion: 'eu-de', projectIds: { 'eu-de': P('a'), 'eu-nl': P('b') } };
const fenced = {
  id: 'acme',
  ims_projects: [
    { region: 'eu-nl', project_id: P('c') },
    { region: 'eu-de', project_id: P('d') },
    { region: 'eu-de', project_id: P('e') },
  ],
};
const unfenced = { id: 'plain' };

function tenantJson(extra: Record<string, unknown>): string {
  return JSON.stringify([
    { id: 'acme', api_key_sha256: [hashSecret(registerSecret(newApiKey()))], webhook_secrets: [registerSecret(newWebhookSecret())], ...extra },
  ]);
}

describe('tenant fence', () => {
  it('gives a tenant without ims_projects the service default region and its project', () => {
    expect(placeInFence(unfenced, {}, service)).toEqual({ ok: true, region: 'eu-de', project_id: P('a') });
    expect(placeInFence(unfenced, { region: 'eu-de' }, service)).toEqual({ ok: true, region: 'eu-de', project_id: P('a') });
    expect(placeInFence(unfenced, { project_id: P('a') }, service)).toEqual({ ok: true, region: 'eu-de', project_id: P('a') });
  });

  it('refuses a tenant without ims_projects every other region and project the service reaches', () => {
    expect(placeInFence(unfenced, { region: 'eu-nl' }, service)).toMatchObject({ ok: false, field: 'region' });
    expect(placeInFence(unfenced, { region: 'eu-nl', project_id: P('b') }, service)).toMatchObject({ ok: false, field: 'region' });
    expect(placeInFence(unfenced, { region: 'eu-de', project_id: P('b') }, service)).toMatchObject({ ok: false, field: 'project_id' });
    expect(placeInFence(unfenced, { project_id: P('b') }, service)).toMatchObject({ ok: false, field: 'project_id' });
  });

  it('places a request that names nothing in the tenant first project, not the service default', () => {
    expect(placeInFence(fenced, {}, service)).toEqual({ ok: true, region: 'eu-nl', project_id: P('c') });
  });

  it('places a request that names only a region in the tenant first project of that region', () => {
    expect(placeInFence(fenced, { region: 'eu-de' }, service)).toEqual({ ok: true, region: 'eu-de', project_id: P('d') });
  });

  it('places a request that names only a project in that project region', () => {
    expect(placeInFence(fenced, { project_id: P('e') }, service)).toEqual({ ok: true, region: 'eu-de', project_id: P('e') });
  });

  it('refuses a region, or a project of a region, outside the tenant projects, naming the field', () => {
    expect(placeInFence(fenced, { region: 'eu-fr' }, service)).toMatchObject({ ok: false, field: 'region' });
    // The service default is not part of a fenced tenant projects.
    expect(placeInFence(fenced, { region: 'eu-de', project_id: P('a') }, service)).toMatchObject({ ok: false, field: 'project_id' });
    // A project of the tenant, but in another region than the one named.
    expect(placeInFence(fenced, { region: 'eu-nl', project_id: P('d') }, service)).toMatchObject({ ok: false, field: 'project_id' });
    expect(placeInFence(fenced, { project_id: P('f') }, service)).toMatchObject({ ok: false, field: 'project_id' });
  });

  it('never places a request outside the fence, and always honours what the request names (property)', () => {
    const regions = ['eu-de', 'eu-nl', 'eu-fr'];
    const projects = ['a', 'b', 'c', 'd'].map(P);
    const entry = fc.record({ region: fc.constantFrom(...regions), project_id: fc.constantFrom(...projects) });
    fc.assert(
      fc.property(
        fc.option(fc.array(entry, { minLength: 1, maxLength: 4 }), { nil: undefined }),
        fc.option(fc.constantFrom(...regions), { nil: undefined }),
        fc.option(fc.constantFrom(...projects), { nil: undefined }),
        (imsProjects, region, projectId) => {
          const tenant = imsProjects === undefined ? { id: 't' } : { id: 't', ims_projects: imsProjects };
          const fence: ImsProject[] = imsProjects ?? [{ region: 'eu-de', project_id: P('a') }];
          const placed = placeInFence(tenant, { region, project_id: projectId }, service);
          const inFence = fence.some((p) => (region === undefined || p.region === region) && (projectId === undefined || p.project_id === projectId));
          expect(placed.ok).toBe(inFence);
          if (placed.ok) {
            expect(fence).toContainEqual({ region: placed.region, project_id: placed.project_id });
            if (region !== undefined) expect(placed.region).toBe(region);
            if (projectId !== undefined) expect(placed.project_id).toBe(projectId);
          }
        },
      ),
    );
  });
});

describe('tenant IMS projects and credentials', () => {
  it('reads ims_projects and either kind of ims_credentials', () => {
    const sk = registerSecret('tenant-sk-0123456789abcdef');
    const [withAkSk] = parseTenants(tenantJson({ ims_projects: [{ region: 'eu-de', project_id: P('d') }], ims_credentials: { ak: 'AKTENANT0001', sk } }));
    expect(withAkSk?.ims_projects).toEqual([{ region: 'eu-de', project_id: P('d') }]);
    expect(tenantImsAuth(withAkSk!)).toEqual({ kind: 'aksk', ak: 'AKTENANT0001', sk });
    const password = registerSecret('tenant-password-0123');
    const [withPassword] = parseTenants(tenantJson({ ims_credentials: { user: 'u1', password, domain: 'd1' } }));
    expect(tenantImsAuth(withPassword!)).toEqual({ kind: 'password', user: 'u1', password, domain: 'd1' });
    expect(tenantImsAuth(parseTenants(tenantJson({}))[0]!)).toBeNull();
  });

  it('names the broken field of ims_credentials without its value', () => {
    const secret = registerSecret('half-given-password-xyz');
    for (const creds of [{ user: 'u1', password: secret }, { ak: 'AK1', sk: secret, extra: 1 }, { ak: 'AK1', sk: 42 }, secret]) {
      let message = '';
      try {
        parseTenants(tenantJson({ ims_credentials: creds }));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain('0.ims_credentials');
      expect(message).not.toContain(secret);
    }
  });

  it('refuses an ims_projects entry with a malformed region or project id, or an empty list', () => {
    expect(() => parseTenants(tenantJson({ ims_projects: [{ region: 'EU DE', project_id: P('d') }] }))).toThrow(/0\.ims_projects\.0\.region/);
    expect(() => parseTenants(tenantJson({ ims_projects: [{ region: 'eu-de', project_id: 'x' }] }))).toThrow(/0\.ims_projects\.0\.project_id/);
    expect(() => parseTenants(tenantJson({ ims_projects: [] }))).toThrow(/0\.ims_projects/);
  });
});
