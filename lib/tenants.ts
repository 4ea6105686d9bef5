// Tenants and their API keys. Keys are stored only as SHA-256 hashes; a presented key is
// hashed and compared in constant time against every stored hash.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from './zod.js';
import { regionName } from './ims/fields.js';
import type { ImsAuth } from './ims/settings.js';

const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256'));

/** One IMS project a tenant may act in. */
export const imsProject = z.strictObject({
  region: regionName,
  project_id: z.string().check(z.regex(/^[0-9a-f]{32}$/, 'must be an IAM project id of 32 lower-case hex characters')),
});
export type ImsProject = z.infer<typeof imsProject>;

// Messages name the rule and never echo a value: these fields are secrets.
const secretString = z.string({ error: 'must be a non-empty string' }).check(z.minLength(1, 'must be a non-empty string'));

/** A tenant's own IMS credentials: an AK/SK pair, or an IAM user with password and domain. */
export const imsCredentials = z.union(
  [
    z.strictObject({ ak: secretString, sk: secretString }),
    z.strictObject({ user: secretString, password: secretString, domain: secretString }),
  ],
  { error: 'must be { ak, sk } or { user, password, domain }' },
);
export type ImsCredentials = z.infer<typeof imsCredentials>;

export const tenantSchema = z.object({
  id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lower-case slug')),
  /** SHA-256 (hex) of each valid API key; several during a rotation. */
  api_key_sha256: z.array(sha256Hex).check(z.minLength(1)),
  /** Standard Webhooks secrets (`whsec_…`); every one signs, so receivers can rotate. */
  webhook_secrets: z.array(z.string().check(z.regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, 'must be a whsec_ secret'))).check(z.minLength(1)),
  default_callback_url: z._default(z.nullable(z.url({ protocol: /^https?$/ })), null),
  /** Slack workspaces (`team_id`) whose slash commands act for this tenant. */
  slack_team_ids: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** SHA-256 (hex) of Mattermost slash-command tokens that act for this tenant. */
  mattermost_token_sha256: z._default(z.array(sha256Hex), []),
  /** Incoming webhook for chat completions when a command's response_url is spent. */
  chat_webhook_url: z._default(z.nullable(z.url({ protocol: /^https?$/ })), null),
  requests_per_minute: z._default(z.number().check(z.int(), z.positive()), 120),
  /** The IMS projects this tenant may act in; the first one is its default. Absent: the service's default only. */
  ims_projects: z.optional(z.array(imsProject).check(z.minLength(1, 'must name at least one project'))),
  /** IMS credentials used for all of this tenant's IMS calls instead of the service's own. */
  ims_credentials: z.optional(imsCredentials),
});
export type Tenant = z.infer<typeof tenantSchema>;

export const tenantsSchema = z.array(tenantSchema).check(
  z.refine((ts) => new Set(ts.map((t) => t.id)).size === ts.length, 'tenant ids must be unique'),
);

/** The IMS client's auth for a tenant's own credentials; null when the tenant uses the service's. */
export function tenantImsAuth(tenant: Pick<Tenant, 'ims_credentials'>): ImsAuth | null {
  const c = tenant.ims_credentials;
  if (!c) return null;
  return 'ak' in c ? { kind: 'aksk', ak: c.ak, sk: c.sk } : { kind: 'password', user: c.user, password: c.password, domain: c.domain };
}

/** The service's own IMS placement: its default region and the project it uses in each region. */
export interface ServicePlacement {
  defaultRegion: string;
  projectIds: Record<string, string>;
}

/** Where a request runs in IMS, or why its tenant may not run it there (the field to blame). */
export type FencedPlacement =
  | { ok: true; region: string; project_id: string }
  | { ok: false; field: 'region' | 'project_id'; message: string };

/**
 * The region and project a tenant's request runs in, checked against the tenant's fence. A tenant
 * without `ims_projects` may use only the service's default region and its project; a request that
 * names neither takes the tenant's first entry, and one naming only a region takes the tenant's
 * entry for that region. Pure: nothing is recorded or called.
 */
export function placeInFence(
  tenant: Pick<Tenant, 'id' | 'ims_projects'>,
  request: { region?: string | undefined; project_id?: string | undefined },
  service: ServicePlacement,
): FencedPlacement {
  const fence: readonly ImsProject[] = tenant.ims_projects ?? serviceFence(service);
  const { region, project_id } = request;
  const refuse = (field: 'region' | 'project_id', message: string): FencedPlacement => ({ ok: false, field, message });
  const allowedRegions = () => [...new Set(fence.map((p) => p.region))].join(', ') || 'none';

  if (region === undefined && project_id === undefined) {
    const first = fence[0];
    if (!first) return refuse('region', `tenant ${tenant.id} has no IMS project to use`);
    return { ok: true, region: first.region, project_id: first.project_id };
  }
  if (region === undefined) {
    const entry = fence.find((p) => p.project_id === project_id);
    if (!entry) return refuse('project_id', `tenant ${tenant.id} may not use this project`);
    return { ok: true, region: entry.region, project_id: entry.project_id };
  }
  const inRegion = fence.filter((p) => p.region === region);
  if (inRegion.length === 0) return refuse('region', `tenant ${tenant.id} may not use region ${region} (allowed: ${allowedRegions()})`);
  if (project_id === undefined) {
    const entry = inRegion[0] as ImsProject;
    return { ok: true, region: entry.region, project_id: entry.project_id };
  }
  if (!inRegion.some((p) => p.project_id === project_id))
    return refuse('project_id', `tenant ${tenant.id} may not use this project in region ${region}`);
  return { ok: true, region, project_id };
}

/** A tenant without a fence of its own gets the service's default region and that region's project. */
function serviceFence(service: ServicePlacement): ImsProject[] {
  const projectId = service.projectIds[service.defaultRegion];
  return projectId === undefined ? [] : [{ region: service.defaultRegion, project_id: projectId }];
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new API key: 32 random bytes, prefixed so that secret scanners recognise it. */
export function newApiKey(): string {
  return `imt_${randomBytes(32).toString('base64url')}`;
}

/** A new Standard Webhooks secret. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface TenantDirectory {
  byApiKey(key: string): Tenant | null;
  byId(id: string): Tenant | null;
  bySlackTeam(teamId: string): Tenant | null;
  byMattermostToken(token: string): Tenant | null;
}

/** A tenant's stored hashes of one kind, decoded once: a lookup hashes what was presented once, whatever the number of tenants. */
type HashIndex = readonly { tenant: Tenant; hashes: readonly Buffer[] }[];

function hashIndex(tenants: readonly Tenant[], field: (t: Tenant) => readonly string[]): HashIndex {
  return tenants.map((tenant) => ({ tenant, hashes: field(tenant).map((h) => Buffer.from(h, 'hex')) }));
}

function findByHash(index: HashIndex, presented: string): Tenant | null {
  if (presented.length === 0 || presented.length > 512) return null;
  const candidate = Buffer.from(hashSecret(presented), 'hex');
  let match: Tenant | null = null;
  // Every hash of every tenant is compared, without an early exit, so timing says nothing about which matched.
  for (const { tenant, hashes } of index) {
    let found = false;
    for (const h of hashes) if (timingSafeEqual(candidate, h)) found = true;
    if (found && match === null) match = tenant;
  }
  return match;
}

export function tenantDirectory(tenants: readonly Tenant[]): TenantDirectory {
  const apiKeys = hashIndex(tenants, (t) => t.api_key_sha256);
  const mattermostTokens = hashIndex(tenants, (t) => t.mattermost_token_sha256);
  return {
    byApiKey: (key) => findByHash(apiKeys, key),
    byId: (id) => tenants.find((t) => t.id === id) ?? null,
    bySlackTeam: (teamId) => tenants.find((t) => t.slack_team_ids.includes(teamId)) ?? null,
    byMattermostToken: (token) => findByHash(mattermostTokens, token),
  };
}

/** Parses the TENANTS setting (JSON). Errors name the tenant index and field, never a secret's value. */
export function parseTenants(json: string): Tenant[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('TENANTS is not valid JSON');
  }
  const parsed = tenantsSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`TENANTS is invalid: ${where}`);
  }
  return parsed.data;
}
