// Who sent a slash command: Slack (signed with the app's signing secret) or Mattermost (its
// command token), and which tenant it acts for. Signatures are checked over the raw bytes,
// before the form is parsed; nothing secret ever reaches an error or a log line.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { slashCommandForm, type SlashCommandForm } from './schemas.js';
import type { Tenant, TenantDirectory } from '../tenants.js';
import type { ChatPlatform } from './messages.js';
import { SLACK_MAX_SKEW_MS, type ReplayGuard } from './replays.js';


export type SignatureRefusal = 'missing' | 'malformed' | 'stale' | 'future' | 'forged';

/** Slack's `v0` scheme: `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`). */
export function slackSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`v0:${timestamp}:`, 'utf8');
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

export function verifySlackSignature(input: {
  secret: string;
  rawBody: Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  now: Date;
}): { ok: true } | { ok: false; refusal: SignatureRefusal } {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, refusal: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, refusal: 'malformed' };
  const skew = input.now.getTime() - Number(timestamp) * 1000;
  if (skew > SLACK_MAX_SKEW_MS) return { ok: false, refusal: 'stale' };
  if (skew < -SLACK_MAX_SKEW_MS) return { ok: false, refusal: 'future' };
  const expected = Buffer.from(slackSignature(input.secret, timestamp, input.rawBody), 'utf8');
  const presented = Buffer.from(signature, 'utf8');
  // Both are `v0=` + 64 hex by now, so the lengths match and the comparison is constant-time.
  return expected.length === presented.length && timingSafeEqual(expected, presented) ? { ok: true } : { ok: false, refusal: 'forged' };
}

/** Signatures seen in this container; an entry lives as long as its timestamp is acceptable. */
/** What the chat route needs beyond the API's deps; built once per container. */
export interface ChatSettings {
  slackSigningSecret: string | null;
  replays: ReplayGuard;
  /** Local development: response URLs on localhost are kept. */
  allowLoopback: boolean;
}


/** Parses `application/x-www-form-urlencoded` bytes into the slash-command form, or says which fields are wrong. */
export function parseSlashForm(rawBody: Buffer): { ok: true; form: SlashCommandForm } | { ok: false; fields: string[] } {
  const params = new URLSearchParams(rawBody.toString('utf8'));
  const parsed = slashCommandForm.safeParse(Object.fromEntries(params));
  if (parsed.success) return { ok: true, form: parsed.data };
  return { ok: false, fields: [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(form)'))] };
}

export type UnverifiedReason = SignatureRefusal | 'no-credentials' | 'no-signing-secret' | 'bad-token';

/** What was wrong with an unverified chat request, for the caller setting up the integration; names headers and settings, never values. */
export const UNVERIFIED_DETAIL: Record<UnverifiedReason | 'replayed', string> = {
  missing: 'The Slack request lacks X-Slack-Request-Timestamp or X-Slack-Signature.',
  malformed: 'X-Slack-Signature must be v0=<64 hex digits> and X-Slack-Request-Timestamp Unix seconds.',
  stale: 'X-Slack-Request-Timestamp is more than 5 minutes old: the request is stale (or a clock is wrong).',
  future: 'X-Slack-Request-Timestamp is more than 5 minutes ahead: a clock is wrong.',
  forged: "X-Slack-Signature does not match the body: the Slack app's signing secret differs from the service's SLACK_SIGNING_SECRET.",
  replayed: 'This Slack signature was already used: a replayed request is refused.',
  'no-signing-secret': 'The service cannot verify Slack requests: SLACK_SIGNING_SECRET is not set. Ask its operators.',
  'no-credentials': 'A chat request needs X-Slack-Signature (Slack) or a token field (Mattermost).',
  'bad-token': "No X-Slack-Signature, and the token is no tenant's Mattermost token: add the SHA-256 of the slash command's token to a tenant's mattermost_token_sha256.",
};

export type SlashAuthRefusal =
  | { kind: 'unauthorized'; why: UnverifiedReason }
  | { kind: 'replayed' }
  | { kind: 'bad-form'; fields: string[] }
  /** Verified, but the workspace is mapped to no tenant: answered in chat, so the user knows whom to ask. */
  | { kind: 'unmapped'; platform: ChatPlatform; form: SlashCommandForm };

export type SlashAuth =
  | {
      ok: true;
      platform: ChatPlatform;
      tenant: Tenant;
      form: SlashCommandForm;
      /** Idempotency-Key for requests this command creates: a replay elsewhere finds the same request. */
      idempotencyKey: string | null;
    }
  | ({ ok: false } & SlashAuthRefusal);

export interface SlashAuthDeps {
  tenants: TenantDirectory;
  slackSigningSecret: string | null;
  replays: ReplayGuard;
  now: Date;
}

/**
 * Authenticates one slash command. A request carrying `X-Slack-Signature` is judged as Slack's only
 * (never retried as Mattermost); one without it needs a Mattermost `token` field.
 */
export function authenticateSlashCommand(
  request: { rawBody: Buffer; headers: Record<string, string | undefined> },
  deps: SlashAuthDeps,
): SlashAuth {
  const signature = request.headers['x-slack-signature'];
  if (signature !== undefined) return authenticateSlack(request.rawBody, signature, request.headers['x-slack-request-timestamp'], deps);
  return authenticateMattermost(request.rawBody, deps);
}

function authenticateSlack(rawBody: Buffer, signature: string, timestamp: string | undefined, deps: SlashAuthDeps): SlashAuth {
  if (!deps.slackSigningSecret) return { ok: false, kind: 'unauthorized', why: 'no-signing-secret' };
  const verified = verifySlackSignature({ secret: deps.slackSigningSecret, rawBody, timestamp, signature, now: deps.now });
  if (!verified.ok) return { ok: false, kind: 'unauthorized', why: verified.refusal };
  if (!deps.replays.firstSight(signature, Number(timestamp), deps.now)) return { ok: false, kind: 'replayed' };
  const parsed = parseSlashForm(rawBody);
  if (!parsed.ok) return { ok: false, kind: 'bad-form', fields: parsed.fields };
  const tenant = deps.tenants.bySlackTeam(parsed.form.team_id);
  if (!tenant) return { ok: false, kind: 'unmapped', platform: 'slack', form: parsed.form };
  return { ok: true, platform: 'slack', tenant, form: parsed.form, idempotencyKey: `slack-signature:${signature.slice(3)}` };
}

function authenticateMattermost(rawBody: Buffer, deps: SlashAuthDeps): SlashAuth {
  // The token is checked before anything else is read, so an unauthenticated caller learns nothing about the form.
  const token = new URLSearchParams(rawBody.toString('utf8')).get('token');
  if (!token) return { ok: false, kind: 'unauthorized', why: 'no-credentials' };
  const tenant = deps.tenants.byMattermostToken(token);
  if (!tenant) return { ok: false, kind: 'unauthorized', why: 'bad-token' };
  const parsed = parseSlashForm(rawBody);
  if (!parsed.ok) return { ok: false, kind: 'bad-form', fields: parsed.fields };
  // Mattermost has no signature; its trigger_id is unique per command run.
  const trigger = parsed.form.trigger_id;
  const idempotencyKey = trigger ? `mattermost-trigger:${createHash('sha256').update(trigger).digest('hex')}` : null;
  return { ok: true, platform: 'mattermost', tenant, form: parsed.form, idempotencyKey };
}
