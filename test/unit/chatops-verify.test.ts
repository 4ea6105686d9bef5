import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createReplayGuard } from '../../lib/chatops/replays.js';
import { UNVERIFIED_DETAIL, authenticateSlashCommand, parseSlashForm, verifySlackSignature } from '../../lib/chatops/verify.js';
import { hashSecret, newApiKey, newWebhookSecret, parseTenants, tenantDirectory } from '../../lib/tenants.js';
import { registerSecret } from '../helpers/secrets.js';

const SIGNING_SECRET = registerSecret(randomBytes(16).toString('hex'), 'Slack signing secret');
const MM_TOKEN = registerSecret(randomBytes(13).toString('base64url'), 'Mattermost token');
const NOW = new Date('2026-03-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

const tenants = tenantDirectory(
  parseTenants(
    JSON.stringify([
      {
        id: 'acme',
        api_key_sha256: [hashSecret(newApiKey())],
        webhook_secrets: [newWebhookSecret()],
        slack_team_ids: ['T0ACME'],
        mattermost_token_sha256: [hashSecret(MM_TOKEN)],
      },
    ]),
  ),
);

function form(fields: Record<string, string>): Buffer {
  return Buffer.from(new URLSearchParams(fields).toString(), 'utf8');
}

const slackForm = (overrides: Record<string, string> = {}) =>
  form({
    token: 'deprecated-verification-token',
    team_id: 'T0ACME',
    team_domain: 'acme',
    channel_id: 'C1',
    user_id: 'U1',
    user_name: 'ada',
    command: '/ims',
    text: 'list',
    response_url: 'https://hooks.slack.com/commands/T0ACME/1/abc',
    trigger_id: `${randomBytes(6).toString('hex')}.1.abc`,
    ...overrides,
  });

/** Slack's documented recipe, written out independently of the code under test. */
function sign(body: Buffer, timestamp: number, secret = SIGNING_SECRET): Record<string, string> {
  const digest = createHmac('sha256', secret).update(`v0:${timestamp}:${body.toString('utf8')}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestamp) };
}

function deps(replays = createReplayGuard(), now = NOW) {
  return { tenants, slackSigningSecret: SIGNING_SECRET, replays, now };
}

describe('Slack signature check', () => {
  it('accepts a body signed with the signing secret at the current time', () => {
    const body = slackForm();
    const h = sign(body, NOW_S);
    expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: body, timestamp: h['x-slack-request-timestamp'], signature: h['x-slack-signature'], now: NOW })).toEqual({ ok: true });
  });

  it('refuses a signature made with another secret, or over another body', () => {
    const body = slackForm();
    const other = sign(body, NOW_S, 'not-the-signing-secret');
    expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: body, timestamp: String(NOW_S), signature: other['x-slack-signature'], now: NOW })).toEqual({ ok: false, refusal: 'forged' });
    const tampered = Buffer.from(body.toString('utf8').replace('text=list', 'text=help'));
    const h = sign(body, NOW_S);
    expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: tampered, timestamp: String(NOW_S), signature: h['x-slack-signature'], now: NOW })).toEqual({ ok: false, refusal: 'forged' });
  });

  it('refuses a signature whose timestamp was changed after signing', () => {
    const body = slackForm();
    const h = sign(body, NOW_S - 10);
    expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: body, timestamp: String(NOW_S), signature: h['x-slack-signature'], now: NOW })).toEqual({ ok: false, refusal: 'forged' });
  });

  it('refuses a request signed 6 minutes ago as stale and one 6 minutes ahead as from the future', () => {
    const body = slackForm();
    for (const [offset, refusal] of [[-360, 'stale'], [360, 'future']] as const) {
      const h = sign(body, NOW_S + offset);
      expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: body, timestamp: h['x-slack-request-timestamp'], signature: h['x-slack-signature'], now: NOW })).toEqual({ ok: false, refusal });
    }
  });

  it('accepts a request signed 4 minutes ago (within the 5-minute window)', () => {
    const body = slackForm();
    const h = sign(body, NOW_S - 240);
    expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: body, timestamp: h['x-slack-request-timestamp'], signature: h['x-slack-signature'], now: NOW }).ok).toBe(true);
  });

  it('refuses missing and malformed headers without comparing anything', () => {
    const body = slackForm();
    expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: body, timestamp: undefined, signature: 'v0=00', now: NOW })).toEqual({ ok: false, refusal: 'missing' });
    expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: body, timestamp: String(NOW_S), signature: 'v1=abc', now: NOW })).toEqual({ ok: false, refusal: 'malformed' });
    expect(verifySlackSignature({ secret: SIGNING_SECRET, rawBody: body, timestamp: 'yesterday', signature: `v0=${'0'.repeat(64)}`, now: NOW })).toEqual({ ok: false, refusal: 'malformed' });
  });
});

describe('slash command authentication', () => {
  it('maps a valid Slack command to the tenant of its workspace, with an idempotency key from its signature', () => {
    const body = slackForm();
    const headers = sign(body, NOW_S);
    const auth = authenticateSlashCommand({ rawBody: body, headers }, deps());
    expect(auth).toMatchObject({ ok: true, platform: 'slack', tenant: { id: 'acme' }, form: { text: 'list', team_id: 'T0ACME' } });
    if (auth.ok) expect(auth.idempotencyKey).toBe(`slack-signature:${headers['x-slack-signature']?.slice(3)}`);
  });

  it('refuses the same signed request the second time it arrives', () => {
    const replays = createReplayGuard();
    const body = slackForm();
    const headers = sign(body, NOW_S);
    expect(authenticateSlashCommand({ rawBody: body, headers }, deps(replays)).ok).toBe(true);
    expect(authenticateSlashCommand({ rawBody: body, headers }, deps(replays, new Date(NOW.getTime() + 1000)))).toEqual({ ok: false, kind: 'replayed' });
    // Another command (another signature) still passes.
    const next = slackForm({ text: 'help' });
    expect(authenticateSlashCommand({ rawBody: next, headers: sign(next, NOW_S) }, deps(replays)).ok).toBe(true);
  });

  it('does not let forged requests fill the replay cache', () => {
    const replays = createReplayGuard();
    const body = slackForm();
    const headers = sign(body, NOW_S);
    const forged = { ...headers, 'x-slack-signature': headers['x-slack-signature']?.replace(/.$/, (c) => (c === '0' ? '1' : '0')) };
    expect(authenticateSlashCommand({ rawBody: body, headers: forged }, deps(replays))).toMatchObject({ ok: false, kind: 'unauthorized', why: 'forged' });
    expect(authenticateSlashCommand({ rawBody: body, headers }, deps(replays)).ok).toBe(true);
  });

  it('forgets signatures once their timestamps are too old to pass anyway, and stays bounded', () => {
    const replays = createReplayGuard({ maxEntries: 3 });
    const later = new Date(NOW.getTime() + 6 * 60_000);
    expect(replays.firstSight('v0=a', NOW_S, NOW)).toBe(true);
    expect(replays.firstSight('v0=a', NOW_S, NOW)).toBe(false);
    expect(replays.firstSight('v0=a', NOW_S, later)).toBe(true);
    for (const s of ['b', 'c', 'd', 'e']) replays.firstSight(`v0=${s}`, NOW_S, NOW);
    // The oldest entries made room; the newest are still remembered.
    expect(replays.firstSight('v0=e', NOW_S, NOW)).toBe(false);
  });

  it('refuses stale and future Slack commands as unauthorized', () => {
    const body = slackForm();
    expect(authenticateSlashCommand({ rawBody: body, headers: sign(body, NOW_S - 360) }, deps())).toMatchObject({ ok: false, kind: 'unauthorized', why: 'stale' });
    expect(authenticateSlashCommand({ rawBody: body, headers: sign(body, NOW_S + 360) }, deps())).toMatchObject({ ok: false, kind: 'unauthorized', why: 'future' });
  });

  it('refuses every Slack command when no signing secret is configured', () => {
    const body = slackForm();
    const auth = authenticateSlashCommand({ rawBody: body, headers: sign(body, NOW_S) }, { ...deps(), slackSigningSecret: null });
    expect(auth).toMatchObject({ ok: false, kind: 'unauthorized', why: 'no-signing-secret' });
  });

  it('reports a verified command from an unmapped workspace as unmapped, with its team id', () => {
    const body = slackForm({ team_id: 'T0STRANGER' });
    const auth = authenticateSlashCommand({ rawBody: body, headers: sign(body, NOW_S) }, deps());
    expect(auth).toMatchObject({ ok: false, kind: 'unmapped', platform: 'slack', form: { team_id: 'T0STRANGER' } });
  });

  it('accepts a Mattermost command with a configured token and refuses a wrong or missing one', () => {
    const mm = (token?: string) =>
      form({ ...(token ? { token } : {}), team_id: 'mmteam', user_id: 'u1', command: '/ims', text: 'list', trigger_id: 'trig-1', response_url: 'https://chat.acme.example/hooks/commands/xyz' });
    const right = authenticateSlashCommand({ rawBody: mm(MM_TOKEN), headers: {} }, deps());
    expect(right).toMatchObject({ ok: true, platform: 'mattermost', tenant: { id: 'acme' } });
    if (right.ok) expect(right.idempotencyKey).toMatch(/^mattermost-trigger:[0-9a-f]{64}$/);
    expect(authenticateSlashCommand({ rawBody: mm(`${MM_TOKEN}x`), headers: {} }, deps())).toMatchObject({ ok: false, kind: 'unauthorized', why: 'bad-token' });
    expect(authenticateSlashCommand({ rawBody: mm(), headers: {} }, deps())).toMatchObject({ ok: false, kind: 'unauthorized', why: 'no-credentials' });
  });

  it('never tries the Mattermost token on a request that carries a Slack signature', () => {
    const body = form({ token: MM_TOKEN, team_id: 'T0ACME', user_id: 'u1', command: '/ims', text: 'list' });
    const auth = authenticateSlashCommand({ rawBody: body, headers: { 'x-slack-signature': `v0=${'a'.repeat(64)}`, 'x-slack-request-timestamp': String(NOW_S) } }, deps());
    expect(auth).toMatchObject({ ok: false, kind: 'unauthorized', why: 'forged' });
  });

  it('names the missing fields of a verified but incomplete form', () => {
    const body = form({ command: '/ims', text: 'list' });
    expect(authenticateSlashCommand({ rawBody: body, headers: sign(body, NOW_S) }, deps())).toMatchObject({ ok: false, kind: 'bad-form', fields: expect.arrayContaining(['team_id', 'user_id']) });
  });
});

describe('slash command form', () => {
  it('decodes percent-encoding and plus signs as spaces', () => {
    const parsed = parseSlashForm(Buffer.from('command=%2Fims&text=import+ims-image%3Aa.qcow2+web+40+Ubuntu+20.04+server+64bit&team_id=T1&user_id=U1'));
    expect(parsed).toMatchObject({ ok: true, form: { command: '/ims', text: 'import ims-image:a.qcow2 web 40 Ubuntu 20.04 server 64bit' } });
  });
});

describe('refusal details', () => {
  it('give each reason a chat request can be refused for its own message, naming no API key', () => {
    const details = Object.values(UNVERIFIED_DETAIL);
    expect(Object.keys(UNVERIFIED_DETAIL).sort()).toEqual(['bad-token', 'forged', 'future', 'malformed', 'missing', 'no-credentials', 'no-signing-secret', 'replayed', 'stale']);
    expect(new Set(details).size).toBe(details.length);
    for (const detail of details) expect(detail).not.toMatch(/API key|Bearer/);
  });
});
