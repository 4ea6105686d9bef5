// Tenants and their API keys. Keys are stored only as SHA-256 hashes; a presented key is
// hashed and compared in constant time against every stored hash.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256');

export const tenantSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lower-case slug'),
  /** SHA-256 (hex) of each valid API key; several during a rotation. */
  api_key_sha256: z.array(sha256Hex).min(1),
  /** Standard Webhooks secrets (`whsec_…`); every one signs, so receivers can rotate. */
  webhook_secrets: z.array(z.string().regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, 'must be a whsec_ secret')).min(1),
  default_callback_url: z.url({ protocol: /^https?$/ }).nullable().default(null),
  /** Slack workspaces (`team_id`) whose slash commands act for this tenant. */
  slack_team_ids: z.array(z.string().min(1)).default([]),
  /** SHA-256 (hex) of Mattermost slash-command tokens that act for this tenant. */
  mattermost_token_sha256: z.array(sha256Hex).default([]),
  /** Incoming webhook for chat completions when a command's response_url is spent. */
  chat_webhook_url: z.url({ protocol: /^https?$/ }).nullable().default(null),
  requests_per_minute: z.number().int().positive().default(120),
});
export type Tenant = z.infer<typeof tenantSchema>;

export const tenantsSchema = z
  .array(tenantSchema)
  .refine((ts) => new Set(ts.map((t) => t.id)).size === ts.length, 'tenant ids must be unique');

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

function matchHash(presented: string, hashes: readonly string[]): boolean {
  const candidate = Buffer.from(hashSecret(presented), 'hex');
  let found = false;
  // Compare against every hash, without an early exit, so timing says nothing about which matched.
  for (const h of hashes) {
    if (timingSafeEqual(candidate, Buffer.from(h, 'hex'))) found = true;
  }
  return found;
}

function findByHash(tenants: readonly Tenant[], presented: string, field: (t: Tenant) => readonly string[]): Tenant | null {
  let match: Tenant | null = null;
  for (const t of tenants) {
    if (matchHash(presented, field(t)) && match === null) match = t;
  }
  return match;
}

export function tenantDirectory(tenants: readonly Tenant[]): TenantDirectory {
  return {
    byApiKey: (key) => (key.length > 0 && key.length <= 512 ? findByHash(tenants, key, (t) => t.api_key_sha256) : null),
    byId: (id) => tenants.find((t) => t.id === id) ?? null,
    bySlackTeam: (teamId) => tenants.find((t) => t.slack_team_ids.includes(teamId)) ?? null,
    byMattermostToken: (token) =>
      token.length > 0 && token.length <= 512 ? findByHash(tenants, token, (t) => t.mattermost_token_sha256) : null,
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
