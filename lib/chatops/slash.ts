// POST /v1/chatops/slack: one slash command, answered at once (Slack gives 3 seconds). Requests are
// accepted through acceptRequest like the HTTP API's; the outcome is posted later by notifyChat.
//
// Answers: a failed signature, a stale or future timestamp, a replay and a wrong Mattermost token
// are 401 problems saying which (no chat message: we cannot tell who is asking). Everything from a verified
// sender is 200 with an ephemeral message, including an unmapped workspace and usage errors,
// because Slack and Mattermost show only a 200's body to the user.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiDeps } from '../api/deps.js';
import { MAX_BODY_BYTES, header, json, rawBody } from '../api/http.js';
import { logger } from '../log.js';
import { acceptRequest } from '../requests/accept.js';
import { chatUnverified, forbidden, payloadTooLarge, problem, validationFailed, type HttpResult } from '../api/problems.js';
import type { SlashCommandForm } from './schemas.js';
import type { Tenant } from '../tenants.js';
import { parseCommand, type ChatCommand } from './commands.js';
import {
  acceptedReply,
  commandErrorReply,
  helpReply,
  listReply,
  noticeReply,
  statusReply,
  type ChatMessage,
  type ChatPlatform,
} from './messages.js';
import { RESPONSE_URL_LIFETIME_MS, checkChatUrl } from './urls.js';
import { UNVERIFIED_DETAIL, authenticateSlashCommand } from './verify.js';

const LIST_SIZE = 10;

/** The one path of the chatops function (serverless.yml routes every method of it there). */
export const CHATOPS_PATH = '/v1/chatops/slack';

/** Whether API Gateway routes a path to the chatops function. */
export const isChatopsPath = (path: string): boolean => path.replace(/\/+$/, '') === CHATOPS_PATH;

interface Context {
  deps: ApiDeps;
  tenant: Tenant;
  platform: ChatPlatform;
  form: SlashCommandForm;
  idempotencyKey: string | null;
  instance: string;
}

export async function handleSlashCommand(event: APIGatewayProxyEventV2, loadDeps: () => Promise<ApiDeps>, instance: string): Promise<HttpResult> {
  const body = rawBody(event);
  if (body.length > MAX_BODY_BYTES) return payloadTooLarge(MAX_BODY_BYTES, { instance });
  const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return problem('unsupported-media-type', 'The request body must be application/x-www-form-urlencoded.', { instance });
  }
  const deps = await loadDeps();
  const auth = authenticateSlashCommand(
    { rawBody: body, headers: event.headers ?? {} },
    { tenants: deps.tenants, slackSigningSecret: deps.chat.slackSigningSecret, replays: deps.chat.replays, now: deps.now() },
  );
  if (!auth.ok) {
    switch (auth.kind) {
      case 'unauthorized':
        if (auth.why === 'no-signing-secret') logger.warn('slash command refused: SLACK_SIGNING_SECRET is not set');
        else logger.info('slash command refused', { reason: auth.why });
        return chatUnverified(UNVERIFIED_DETAIL[auth.why], { instance });
      case 'replayed':
        logger.warn('slash command refused: replayed signature');
        return chatUnverified(UNVERIFIED_DETAIL.replayed, { instance });
      case 'bad-form':
        return validationFailed(auth.fields.map((path) => ({ path, message: 'is missing or not text' })), { instance });
      case 'unmapped':
        logger.info('slash command from an unmapped workspace', { teamId: auth.form.team_id });
        return reply(
          noticeReply(auth.platform, (f) => `This workspace (team ${f.code(auth.form.team_id)}) is not connected to ims-transfer. Ask its operators to add it to a tenant's ${f.code('slack_team_ids')}.`),
        );
    }
  }
  const parsed = parseCommand(auth.form.text);
  const slash = auth.form.command || '/ims';
  if (!parsed.ok) return reply(commandErrorReply(parsed.error, auth.platform, slash));
  const ctx: Context = { deps, tenant: auth.tenant, platform: auth.platform, form: auth.form, idempotencyKey: auth.idempotencyKey, instance };
  return runCommand(ctx, parsed.command);
}

function reply(message: ChatMessage): HttpResult {
  return json(200, message);
}

async function runCommand(ctx: Context, command: ChatCommand): Promise<HttpResult> {
  const slash = ctx.form.command || '/ims';
  switch (command.action) {
    case 'help':
      return reply(helpReply(ctx.platform, slash));
    case 'status':
      return statusOf(ctx, command.id);
    case 'list':
      return listOf(ctx, slash);
    case 'create':
      return create(ctx, command, slash);
  }
}

const unavailable = (platform: ChatPlatform) => reply(noticeReply(platform, () => 'ims-transfer cannot reach its request store right now. Please try again in a minute.'));

async function statusOf(ctx: Context, id: string): Promise<HttpResult> {
  const found = await ctx.deps.store.get(id);
  if (found instanceof Error) {
    logger.error('store unavailable for a chat status', { error: found.message });
    return unavailable(ctx.platform);
  }
  // Another tenant's request is indistinguishable from one that does not exist.
  if (!found || found.tenant !== ctx.tenant.id) return reply(noticeReply(ctx.platform, (f) => `No request ${f.code(id)}.`));
  const lastDelivery = (await ctx.deps.deliveries.list(found.id).catch(() => [])).at(-1) ?? null;
  return reply(statusReply(found, ctx.platform, lastDelivery));
}

async function listOf(ctx: Context, slash: string): Promise<HttpResult> {
  const page = await ctx.deps.store.list(ctx.tenant.id, { limit: LIST_SIZE });
  if (page instanceof Error) {
    logger.error('store unavailable for a chat list', { error: page.message });
    return unavailable(ctx.platform);
  }
  return reply(listReply(page.items, ctx.platform, slash));
}

/** The response_url as we may keep it: only a URL of the command's own platform that we may post to. */
function keptResponseUrl(ctx: Context): string | null {
  const raw = ctx.form.response_url;
  if (!raw) return null;
  const checked = checkChatUrl(raw, { allowLoopback: ctx.deps.chat.allowLoopback });
  if (checked.ok && checked.platform === ctx.platform) return checked.url;
  logger.warn('slash command response_url not kept', { platform: ctx.platform, reason: checked.ok ? 'another platform\'s URL' : checked.reason });
  return null;
}

async function create(ctx: Context, command: Extract<ChatCommand, { action: 'create' }>, slash: string): Promise<HttpResult> {
  const { deps, tenant, platform } = ctx;
  const responseUrl = keptResponseUrl(ctx);
  const expiresAt = responseUrl ? new Date(deps.now().getTime() + RESPONSE_URL_LIFETIME_MS).toISOString() : null;
  const outcome = await acceptRequest(
    tenant,
    command.kind,
    command.request,
    { via: 'chat', platform, idempotencyKey: ctx.idempotencyKey, chat: { response_url: responseUrl, expires_at: expiresAt } },
    deps,
  );
  switch (outcome.outcome) {
    case 'invalid':
      return reply(commandErrorReply({ kind: 'invalid', command: command.kind, errors: outcome.errors, suggestions: [] }, platform, slash));
    case 'rate-limited': {
      const wait = Math.max(1, Math.ceil(outcome.retryAfterSeconds));
      return reply(noticeReply(platform, () => `Too many requests for this workspace; try again in ${wait} s.`));
    }
    case 'forbidden':
      // As over HTTP: 403 problem+json naming the field; nothing was recorded.
      return forbidden(outcome.errors, { instance: ctx.instance });
    case 'no-project':
      return reply(noticeReply(platform, (f) => `No IMS project is configured for region ${f.code(outcome.region)}; ask the operators.`));
    case 'unavailable':
      logger.error('store unavailable at chat intake', { error: outcome.error.message });
      return unavailable(platform);
    case 'conflict':
    case 'replayed':
      // The key comes from the signature (or Mattermost's trigger_id): another container already took this very command.
      logger.warn('slash command refused: already recorded', { requestId: outcome.record.id, platform });
      return platform === 'slack' ? chatUnverified(UNVERIFIED_DETAIL.replayed, { instance: ctx.instance }) : reply(acceptedReply(outcome.record, platform, slash));
    case 'created':
      return reply(acceptedReply(outcome.record, platform, slash));
  }
}
