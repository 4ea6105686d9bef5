// Chat messages about requests, for Slack (Block Kit) and Mattermost (text + attachments, its
// Slack-compatible format: Mattermost does not render `blocks`). Pure; every message fits the
// platform's documented limits, whatever the record holds.
import { TERMINAL_STATUSES, type RequestKind, type RequestStatus, type StoredRequest } from '../requests/record.js';
import type { FieldError } from '../requests/schemas.js';
import type { DeliveryAttempt } from '../store/deliveries.js';
import { COMMAND_USAGE, type CommandError, type CommandName } from './commands.js';

export type ChatPlatform = 'slack' | 'mattermost';

// ---- Block Kit, the subset we send (docs.slack.dev/reference/block-kit/blocks) ----
// The types of what we send; test/helpers/chat-messages.ts holds the schemas, with the platforms'
// limits, that the tests hold every message we build to (and that typecheck ties to these types).

export const BLOCK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  blocks: 50,
} as const;

type PlainText = { type: 'plain_text'; text: string; emoji?: boolean | undefined };
type Mrkdwn = { type: 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text?: PlainText | Mrkdwn | undefined; fields?: (PlainText | Mrkdwn)[] | undefined }
  | { type: 'context'; elements: (PlainText | Mrkdwn)[] }
  | { type: 'divider' };

type ResponseType = 'ephemeral' | 'in_channel';

/** A Slack message: a slash-command reply, a response_url post or an incoming-webhook post. */
export type SlackMessage = {
  response_type?: ResponseType | undefined;
  /** Shown in notifications and where blocks cannot be. */
  text: string;
  blocks: SlackBlock[];
};

// ---- Mattermost (developers.mattermost.com: message attachments) ----

type MattermostAttachment = {
  fallback: string;
  color: string;
  title?: string | undefined;
  text?: string | undefined;
  fields?: { title: string; value: string; short: boolean }[] | undefined;
  footer?: string | undefined;
};
export type MattermostMessage = {
  response_type?: ResponseType | undefined;
  text: string;
  attachments?: MattermostAttachment[] | undefined;
};

export type ChatMessage = SlackMessage | MattermostMessage;

// ---- formatting per platform ----

interface Format {
  /** Text the user or IMS wrote, made safe to show. */
  text(s: string): string;
  bold(s: string): string;
  code(s: string): string;
}

const FORMATS: Record<ChatPlatform, Format> = {
  // Slack mrkdwn: &, < and > are control characters and must be escaped.
  slack: {
    text: (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    bold: (s) => `*${s}*`,
    code: (s) => `\`${FORMATS.slack.text(s.replace(/`/g, "'"))}\``,
  },
  mattermost: {
    text: (s) => s,
    bold: (s) => `**${s}**`,
    code: (s) => `\`${s.replace(/`/g, "'")}\``,
  },
};

/** Cuts to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

// ---- the card: what a message about one request says, before it is rendered for a platform ----

interface Card {
  /** Plain text: header (Slack) or attachment title (Mattermost). */
  title: string;
  icon: string;
  color: string;
  /** Markdown lines above the fields. */
  intro?: string;
  fields: { label: string; value: string }[];
  /** A long markdown text under the fields (the error), and what to do about it. */
  detail?: { label: string; text: string; hint?: string };
  footer: string;
}

/** Our hints are short, but a stored record is shown whatever it holds. */
const HINT_MAX = 600;
const HINT_LABEL = 'What to do:';

const KIND_LABEL: Record<RequestKind, string> = { export: 'Export', import: 'Import', capture: 'Capture' };

const STATUS_LOOK: Record<RequestStatus, { icon: string; color: string }> = {
  queued: { icon: ':inbox_tray:', color: '#9e9e9e' },
  submitting: { icon: ':outbox_tray:', color: '#439fe0' },
  running: { icon: ':hourglass_flowing_sand:', color: '#439fe0' },
  succeeded: { icon: ':white_check_mark:', color: '#2eb886' },
  failed: { icon: ':x:', color: '#a30200' },
  cancelled: { icon: ':no_entry_sign:', color: '#9e9e9e' },
};

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function asObject(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function exportFormat(params: Record<string, unknown>): string {
  return params.is_quick_export === true ? 'quick export, ZVHD2' : (str(params.file_format) ?? '?');
}

/** Where a request reads from and writes to, in words. */
function sourceAndTarget(record: StoredRequest, f: Format): { source: string; target: string } {
  const p = record.params;
  const image = (name: string | null) =>
    [name ? `image ${f.code(name)}` : 'image', record.image_id ? f.code(record.image_id) : '(not made yet)'].join(' ');
  switch (record.kind) {
    case 'export':
      return {
        source: `image ${f.code(str(p.image_id) ?? record.image_id ?? '?')}`,
        target: `${f.code(str(p.bucket_url) ?? '?')} (${f.text(exportFormat(p))})`,
      };
    case 'import':
      return {
        source: f.code(str(p.image_url) ?? '?'),
        target: `${p.disk === 'data' ? 'data disk ' : ''}${image(str(p.name))}${p.quick === true ? ' (quick import)' : ''}`,
      };
    case 'capture':
      return { source: `ECS ${f.code(str(p.instance_id) ?? '?')}`, target: image(str(p.name)) };
  }
}

function statusWords(record: StoredRequest): string {
  if (record.status === 'running' && record.progress !== null) return `running, ${record.progress} %`;
  return record.status;
}

function requestCard(record: StoredRequest, f: Format): Card {
  const look = STATUS_LOOK[record.status];
  const { source, target } = sourceAndTarget(record, f);
  const finished = TERMINAL_STATUSES.includes(record.status);
  const end = record.completed_at ?? (finished ? record.updated_at : null);
  const duration = end ? formatDuration(Date.parse(end) - Date.parse(record.created_at)) : null;
  const fields = [
    { label: 'Request', value: f.code(record.id) },
    { label: 'Outcome', value: f.text(statusWords(record)) },
    { label: 'Source', value: source },
    { label: 'Target', value: target },
    { label: duration ? 'Duration' : 'Created', value: duration ?? f.text(record.created_at) },
  ];
  const thenExport = asObject(record.params.then_export);
  if (thenExport) {
    const child = record.child_id ? ` as ${f.code(record.child_id)}` : '';
    fields.push({ label: 'Then export', value: `${f.code(str(thenExport.bucket_url) ?? '?')}${child}` });
  }
  if (record.parent_id) fields.push({ label: 'Captured by', value: f.code(record.parent_id) });
  if (record.client_ref) fields.push({ label: 'Client ref', value: f.code(record.client_ref) });

  const footer = [`tenant ${f.code(record.tenant)}`, `region ${f.code(record.region)}`];
  if (record.ims_job_id) footer.push(`IMS job ${f.code(record.ims_job_id)}`);
  const error = record.status === 'failed' ? record.error : null;
  return {
    title: `${KIND_LABEL[record.kind]} ${statusWords(record)}`,
    icon: look.icon,
    color: look.color,
    fields,
    ...(error
      ? {
          detail: {
            label: error.source === 'ims' ? `IMS error ${error.code}` : `Error ${error.code} (${error.source})`,
            // IMS's reason verbatim: users search for it.
            text: f.text(truncate(error.message || '(no reason given)', 2500)),
            ...(error.hint ? { hint: f.text(truncate(error.hint, HINT_MAX)) } : {}),
          },
        }
      : {}),
    footer: footer.join(' · '),
  };
}

// ---- rendering ----

function mrkdwnText(text: string, max: number) {
  return { type: 'mrkdwn' as const, text: truncate(text || ' ', max) };
}

function slackBlocksOf(card: Card): SlackBlock[] {
  const f = FORMATS.slack;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${card.icon} ${card.title}`, BLOCK_LIMITS.headerText), emoji: true } },
  ];
  if (card.intro) blocks.push({ type: 'section', text: mrkdwnText(card.intro, BLOCK_LIMITS.sectionText) });
  for (let i = 0; i < card.fields.length; i += BLOCK_LIMITS.sectionFields) {
    const fields = card.fields
      .slice(i, i + BLOCK_LIMITS.sectionFields)
      .map((field) => mrkdwnText(`${f.bold(field.label)}\n${field.value}`, BLOCK_LIMITS.fieldText));
    blocks.push({ type: 'section', fields });
  }
  if (card.detail) {
    const quoted = card.detail.text.split('\n').map((l) => `>${l}`).join('\n');
    blocks.push({ type: 'section', text: mrkdwnText(`${f.bold(f.text(card.detail.label))}\n${quoted}`, BLOCK_LIMITS.sectionText) });
    // Its own block, so that a long error message never cuts it off.
    if (card.detail.hint) blocks.push({ type: 'section', text: mrkdwnText(`${f.bold(HINT_LABEL)} ${card.detail.hint}`, BLOCK_LIMITS.sectionText) });
  }
  blocks.push({ type: 'context', elements: [mrkdwnText(card.footer, BLOCK_LIMITS.contextText)] });
  return blocks;
}

function mattermostAttachmentOf(card: Card) {
  const f = FORMATS.mattermost;
  return {
    fallback: card.title,
    color: card.color,
    title: `${card.icon} ${card.title}`,
    ...(card.intro || card.detail
      ? {
          text: [
            card.intro,
            card.detail ? `${f.bold(card.detail.label)}\n${card.detail.text}` : undefined,
            card.detail?.hint ? `${f.bold(HINT_LABEL)} ${card.detail.hint}` : undefined,
          ]
            .filter(Boolean)
            .join('\n\n'),
        }
      : {}),
    fields: card.fields.map((field) => ({ title: field.label, value: field.value, short: true })),
    // Mattermost shows attachment footers as plain text.
    footer: card.footer.replace(/`/g, ''),
  };
}

function render(card: Card, platform: ChatPlatform, responseType: 'ephemeral' | 'in_channel', summary: string): ChatMessage {
  if (platform === 'slack') return { response_type: responseType, text: truncate(summary, 3000), blocks: slackBlocksOf(card) };
  return { response_type: responseType, text: truncate(summary, 4000), attachments: [mattermostAttachmentOf(card)] };
}

function notice(platform: ChatPlatform, markdown: { slack: string; mattermost: string }, plain: string): ChatMessage {
  if (platform === 'slack') {
    return { response_type: 'ephemeral', text: truncate(plain, 3000), blocks: [{ type: 'section', text: mrkdwnText(markdown.slack, BLOCK_LIMITS.sectionText) }] };
  }
  return { response_type: 'ephemeral', text: truncate(markdown.mattermost, 4000) };
}

/** The same markdown for both platforms, built with each one's format. */
function both(build: (f: Format) => string): { slack: string; mattermost: string } {
  return { slack: build(FORMATS.slack), mattermost: build(FORMATS.mattermost) };
}

// ---- the messages ----

/** The completion message for a finished request, posted where everyone in the channel sees it. */
export function completionMessage(record: StoredRequest, platform: ChatPlatform): ChatMessage {
  const card = requestCard(record, FORMATS[platform]);
  const error = record.status === 'failed' && record.error ? ` (${record.error.code})` : '';
  return render(card, platform, 'in_channel', `${KIND_LABEL[record.kind]} ${record.id} ${record.status}${error}`);
}

/** The answer to `status <id>`, with the request's last webhook or chat delivery attempt if it had one. */
export function statusReply(record: StoredRequest, platform: ChatPlatform, lastDelivery: DeliveryAttempt | null = null): ChatMessage {
  const f = FORMATS[platform];
  const card = requestCard(record, f);
  if (lastDelivery) card.fields.push({ label: 'Last delivery', value: deliveryWords(lastDelivery, f) });
  return render(card, platform, 'ephemeral', `${KIND_LABEL[record.kind]} ${record.id}: ${statusWords(record)}`);
}

/** e.g. "webhook attempt 2 to https://hooks.example: HTTP 204 at 2026-…Z" (only the origin is ever kept). */
function deliveryWords(d: DeliveryAttempt, f: Format): string {
  const what = d.type === 'chat' ? 'chat message' : 'webhook';
  const outcome = d.error === null ? `HTTP ${d.status_code ?? '?'}` : d.error;
  return f.text(`${what} attempt ${d.attempt} to ${d.url_origin}: ${outcome} at ${d.at}`);
}

/** The acknowledgment of a new request, within Slack's 3 seconds. */
export function acceptedReply(record: StoredRequest, platform: ChatPlatform, slashCommand: string): ChatMessage {
  const f = FORMATS[platform];
  const card = requestCard(record, f);
  card.title = `${KIND_LABEL[record.kind]} accepted`;
  card.intro = `${f.bold(`${KIND_LABEL[record.kind]} request`)} ${f.code(record.id)} is queued. I will post the outcome here when it finishes; meanwhile ${f.code(`${slashCommand} status ${record.id}`)} shows where it stands.`;
  return render(card, platform, 'ephemeral', `${KIND_LABEL[record.kind]} request ${record.id} accepted`);
}

/** The answer to `list`: the tenant's latest requests, newest first. */
export function listReply(records: readonly StoredRequest[], platform: ChatPlatform, slashCommand: string): ChatMessage {
  const body = both((f) => {
    if (records.length === 0) return `No requests yet. Try ${f.code(`${slashCommand} help`)}.`;
    const lines = records.map((r) => {
      const { target } = sourceAndTarget(r, f);
      return `${STATUS_LOOK[r.status].icon} ${f.code(r.id)} ${r.kind} · ${f.text(statusWords(r))} · ${target}`;
    });
    return `${f.bold(`Latest ${records.length} request${records.length === 1 ? '' : 's'}`)}\n${lines.join('\n')}`;
  });
  return notice(platform, body, `Latest ${records.length} requests`);
}

const COMMAND_HELP: Record<CommandName, string> = {
  export: 'export an IMS image to OBS; the format defaults to the object\'s extension, else qcow2',
  import: 'import an image file from OBS as a system disk image; os_version is the rest of the line',
  capture: 'capture a (stopped) ECS as an IMS image; the name is the rest of the line',
  status: 'where a request stands',
  list: 'your latest requests',
  help: 'this help',
};

export function helpReply(platform: ChatPlatform, slashCommand: string): ChatMessage {
  const body = both((f) =>
    [
      f.bold('ims-transfer: move VM images in and out of IMS'),
      ...Object.entries(COMMAND_USAGE).map(([name, usage]) => `• ${f.code(`${slashCommand} ${usage}`)}: ${COMMAND_HELP[name as CommandName]}`),
      `Add ${f.code('region=<region>')} or ${f.code('project=<project id>')} to export, import or capture to act in another IMS project your workspace may use.`,
    ].join('\n'),
  );
  return notice(platform, body, 'ims-transfer commands');
}

function fieldErrorLines(errors: readonly FieldError[], f: Format): string[] {
  return errors.map((e) => `• ${f.code(e.path || '(request)')}: ${f.text(e.message)}`);
}

/** A usage error or the request's field errors, with the usage line of the command. */
export function commandErrorReply(error: CommandError, platform: ChatPlatform, slashCommand: string): ChatMessage {
  const body = both((f) => {
    const usageLine = (name: CommandName | null) =>
      name ? `Usage: ${f.code(`${slashCommand} ${COMMAND_USAGE[name]}`)}` : `See ${f.code(`${slashCommand} help`)}.`;
    if (error.kind === 'usage') return `${f.text(error.message)}\n${usageLine(error.command)}`;
    const lines = fieldErrorLines(error.errors, f);
    if (error.suggestions.length > 0) lines.push(`Did you mean ${error.suggestions.map((s) => f.code(s)).join(', ')}?`);
    return [`${f.bold(`The ${error.command} request is not valid`)}:`, ...lines, usageLine(error.command)].join('\n');
  });
  return notice(platform, body, error.kind === 'usage' ? error.message : `The ${error.command} request is not valid`);
}

/** A one-line ephemeral answer (refusals, limits, outages). */
export function noticeReply(platform: ChatPlatform, build: (f: Format) => string): ChatMessage {
  const body = both(build);
  return notice(platform, body, body.mattermost);
}
