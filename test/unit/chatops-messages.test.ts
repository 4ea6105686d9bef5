import { describe, expect, it } from 'vitest';
import { mattermostMessage, slackMessage } from '../helpers/chat-messages.js';
import {
  acceptedReply,
  commandErrorReply,
  completionMessage,
  formatDuration,
  helpReply,
  listReply,
  noticeReply,
  statusReply,
  type ChatMessage,
} from '../../lib/chatops/messages.js';
import type { StoredRequest } from '../../lib/requests/record.js';
import { finishedExportFixture } from '../helpers/records.js';

// ---- Slack's documented block schema, written out here independently of lib/chatops ----
// docs.slack.dev/reference/block-kit/blocks: header, section, context, divider; text objects.

const BLOCK_KEYS: Record<string, { required: string[]; optional: string[] }> = {
  header: { required: ['type', 'text'], optional: ['block_id'] },
  section: { required: ['type'], optional: ['text', 'fields', 'block_id', 'accessory', 'expand'] },
  context: { required: ['type', 'elements'], optional: ['block_id'] },
  divider: { required: ['type'], optional: ['block_id'] },
};

function textObjectProblems(value: unknown, where: string, max: number, plainOnly = false): string[] {
  if (typeof value !== 'object' || value === null) return [`${where}: not a text object`];
  const t = value as Record<string, unknown>;
  const problems: string[] = [];
  const allowed = t.type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim'];
  if (t.type !== 'plain_text' && (plainOnly || t.type !== 'mrkdwn')) problems.push(`${where}: text type ${String(t.type)} not allowed`);
  if (typeof t.text !== 'string' || t.text.length < 1) problems.push(`${where}: empty text`);
  else if (t.text.length > max) problems.push(`${where}: text ${t.text.length} > ${max}`);
  for (const key of Object.keys(t)) if (!allowed.includes(key)) problems.push(`${where}: unknown key ${key}`);
  return problems;
}

function blockProblems(block: unknown, i: number): string[] {
  const where = `blocks[${i}]`;
  if (typeof block !== 'object' || block === null) return [`${where}: not an object`];
  const b = block as Record<string, unknown>;
  const shape = BLOCK_KEYS[String(b.type)];
  if (!shape) return [`${where}: block type ${String(b.type)} not allowed`];
  const problems: string[] = [];
  for (const key of shape.required) if (!(key in b)) problems.push(`${where}: missing ${key}`);
  for (const key of Object.keys(b)) if (![...shape.required, ...shape.optional].includes(key)) problems.push(`${where}: unknown key ${key}`);
  if (typeof b.block_id === 'string' && b.block_id.length > 255) problems.push(`${where}: block_id too long`);
  switch (b.type) {
    case 'header':
      problems.push(...textObjectProblems(b.text, `${where}.text`, 150, true));
      break;
    case 'section': {
      if (b.text === undefined && b.fields === undefined) problems.push(`${where}: needs text or fields`);
      if (b.text !== undefined) problems.push(...textObjectProblems(b.text, `${where}.text`, 3000));
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length < 1 || b.fields.length > 10) problems.push(`${where}: 1 to 10 fields`);
        else b.fields.forEach((f, j) => problems.push(...textObjectProblems(f, `${where}.fields[${j}]`, 2000)));
      }
      break;
    }
    case 'context':
      if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10) problems.push(`${where}: 1 to 10 elements`);
      else b.elements.forEach((e, j) => problems.push(...textObjectProblems(e, `${where}.elements[${j}]`, 3000)));
      break;
  }
  return problems;
}

/** Every way a message breaks Slack's documented block schema; [] when it is valid. */
function slackMessageProblems(message: unknown): string[] {
  const m = message as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof m.text !== 'string' || m.text.length === 0) problems.push('text: missing (the notification fallback)');
  if (m.response_type !== undefined && m.response_type !== 'ephemeral' && m.response_type !== 'in_channel') problems.push('response_type: invalid');
  if (!Array.isArray(m.blocks)) return [...problems, 'blocks: not an array'];
  if (m.blocks.length > 50) problems.push(`blocks: ${m.blocks.length} > 50`);
  m.blocks.forEach((b, i) => problems.push(...blockProblems(b, i)));
  return problems;
}

// ---- records ----

const IMAGE = 'd164b5df-1bc3-4c3f-893e-3e471fd16e64';
const INSTANCE = '877a2cda-ba63-4e1e-b95f-e67e48b6129a';

/** An export of IMAGE that succeeded after 1 h 2 min 30 s, started from a slash command. */
function record(overrides: Partial<StoredRequest> = {}): StoredRequest {
  return finishedExportFixture({
    params: { image_id: IMAGE, bucket_url: 'ims-image:centos7.qcow2', file_format: 'qcow2' },
    image_id: IMAGE,
    updated_at: '2026-03-01T11:02:30.000Z',
    completed_at: '2026-03-01T11:02:30.000Z',
    ...overrides,
  });
}

const failedExport = record({
  status: 'failed',
  image_id: null,
  progress: null,
  error: { code: 'IMG.0070', message: 'The file already exists in the OBS bucket.', source: 'ims' },
});

/** All text a Slack message shows, to look for content. */
function slackText(message: ChatMessage): string {
  return JSON.stringify(message);
}

function expectValidSlack(message: ChatMessage) {
  expect(slackMessageProblems(message)).toEqual([]);
  expect(slackMessage.safeParse(message).success).toBe(true);
}

describe('the Block Kit validator of this test', () => {
  it('finds the documented mistakes, and so does the message schema of lib/chatops', () => {
    const broken: unknown[] = [
      { text: 'x', blocks: [{ type: 'image', image_url: 'https://a', alt_text: 'a' }] },
      { text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'bold' } }] },
      { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] },
      { text: 'x', blocks: [{ type: 'section' }] },
      { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }] },
      { text: 'x', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] },
      { text: 'x', blocks: [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] }] },
      { text: 'x', blocks: [{ type: 'context', elements: [] }] },
      { text: 'x', blocks: [{ type: 'divider', text: { type: 'plain_text', text: 'no' } }] },
      { text: 'x', blocks: [{ type: 'section', text: { type: 'markdown', text: 'x' } }] },
      { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
      { blocks: [{ type: 'divider' }] },
    ];
    for (const message of broken) {
      expect(slackMessageProblems(message), JSON.stringify(message).slice(0, 80)).not.toEqual([]);
      expect(slackMessage.safeParse(message).success, JSON.stringify(message).slice(0, 80)).toBe(false);
    }
  });
});

describe('completion message for Slack', () => {
  it('shows a succeeded export with source, target, outcome and duration in valid blocks', () => {
    const message = completionMessage(record(), 'slack');
    expectValidSlack(message);
    expect(message).toMatchObject({ response_type: 'in_channel', text: 'Export req_01J9ZC5K7Q3T8V6W2X4Y0A1B2C succeeded' });
    const text = slackText(message);
    expect(text).toContain(':white_check_mark: Export succeeded');
    expect(text).toContain(`image \`${IMAGE}\``);
    expect(text).toContain('`ims-image:centos7.qcow2` (qcow2)');
    expect(text).toContain('*Duration*\\n1 h 2 min');
    expect(text).toContain('IMS job `edc89b490d7d4392898e19b2deb34797`');
    expect(text).not.toContain('hooks.slack.com');
  });

  it('shows a failed export with the IMS error code and reason', () => {
    const message = completionMessage(failedExport, 'slack');
    expectValidSlack(message);
    expect(message.text).toBe('Export req_01J9ZC5K7Q3T8V6W2X4Y0A1B2C failed (IMG.0070)');
    if (!('blocks' in message)) throw new Error('a Slack message has blocks');
    const errorBlock = message.blocks.find((b) => b.type === 'section' && b.text?.text.includes('IMG.0070'));
    expect(errorBlock).toMatchObject({ text: { type: 'mrkdwn', text: '*IMS error IMG.0070*\n>The file already exists in the OBS bucket.' } });
    expect(slackText(message)).toContain(':x: Export failed');
  });

  it('shows what to do in a block of its own after the error, when the error has a hint', () => {
    const hint = 'Choose another object name in bucket_url, or delete the old object, and export again.';
    const message = completionMessage(record({ ...failedExport, error: { code: 'IMG.0070', message: 'The file already exists in the OBS bucket.', source: 'ims', hint } }), 'slack');
    expectValidSlack(message);
    if (!('blocks' in message)) throw new Error('a Slack message has blocks');
    const texts = message.blocks.map((b) => (b.type === 'section' ? (b.text?.text ?? '') : ''));
    const errorAt = texts.findIndex((t) => t.startsWith('*IMS error IMG.0070*'));
    expect(errorAt).toBeGreaterThan(0);
    expect(texts[errorAt + 1]).toBe(`*What to do:* ${hint}`);
    expect(slackText(completionMessage(failedExport, 'slack'))).not.toContain('What to do');
  });

  it('keeps the whole hint however long the error message is, and escapes it', () => {
    const hint = 'Use a bucket <in> the region & try again.';
    const message = completionMessage(
      record({ ...failedExport, error: { code: 'BUCKET_REGION', message: 'line\n'.repeat(1500), source: 'validation', hint } }),
      'slack',
    );
    expectValidSlack(message);
    expect(slackText(message)).toContain('*What to do:* Use a bucket &lt;in&gt; the region &amp; try again.');
  });

  it('names what imports and captures read and made', () => {
    const imported = completionMessage(
      record({ kind: 'import', params: { image_url: 'ims-image:ubuntu.qcow2', name: 'ubuntu-18', min_disk: 40, disk: 'system' }, image_id: IMAGE }),
      'slack',
    );
    expectValidSlack(imported);
    expect(slackText(imported)).toContain('`ims-image:ubuntu.qcow2`');
    expect(slackText(imported)).toContain(`image \`ubuntu-18\` \`${IMAGE}\``);
    const captured = completionMessage(
      record({ kind: 'capture', params: { instance_id: INSTANCE, name: 'web golden', then_export: { bucket_url: 'ims-image:web.qcow2', file_format: 'qcow2' } }, child_id: 'req_01J9ZC5K7Q3T8V6W2X4Y0A1B2D' }),
      'slack',
    );
    expectValidSlack(captured);
    expect(slackText(captured)).toContain(`ECS \`${INSTANCE}\``);
    expect(slackText(captured)).toContain('`ims-image:web.qcow2` as `req_01J9ZC5K7Q3T8V6W2X4Y0A1B2D`');
  });

  it('stays within every limit when IMS and the user write far too much, and escapes their markup', () => {
    const huge = record({
      status: 'failed',
      client_ref: `<!channel> ${'r'.repeat(127 - 11)}`,
      params: { image_id: IMAGE, bucket_url: `ims-image:${'o/'.repeat(500)}x.qcow2`, file_format: 'qcow2' },
      error: { code: `IMG.${'9'.repeat(200)}`, message: `<script>&${'why '.repeat(2000)}`, source: 'ims' },
    });
    const message = completionMessage(huge, 'slack');
    expectValidSlack(message);
    const text = slackText(message);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&lt;script&gt;&amp;');
  });

  it('labels failures that are not IMS\'s with their source', () => {
    const timedOut = completionMessage(record({ status: 'failed', error: { code: 'JOB_DEADLINE', message: 'did not finish within 24 h', source: 'timeout' } }), 'slack');
    expectValidSlack(timedOut);
    expect(slackText(timedOut)).toContain('*Error JOB_DEADLINE (timeout)*');
  });
});

describe('completion message for Mattermost', () => {
  it('uses text and an attachment with fields, and no blocks', () => {
    const message = completionMessage(failedExport, 'mattermost');
    expect(mattermostMessage.safeParse(message).success).toBe(true);
    expect(message).not.toHaveProperty('blocks');
    if (!('attachments' in message) || !message.attachments) throw new Error('a Mattermost message has attachments');
    const [attachment] = message.attachments;
    expect(attachment).toMatchObject({ color: '#a30200', title: ':x: Export failed', text: expect.stringContaining('**IMS error IMG.0070**\nThe file already exists in the OBS bucket.') });
    expect(attachment?.fields?.map((f) => f.title)).toEqual(['Request', 'Outcome', 'Source', 'Target', 'Duration']);
    expect(attachment?.fields?.find((f) => f.title === 'Target')?.value).toBe('`ims-image:centos7.qcow2` (qcow2)');
  });
});

describe('hints in Mattermost messages and status replies', () => {
  const hint = 'Set is_quick_export to true and export again.';
  const tooLarge = record({ ...failedExport, error: { code: 'IMG.0160', message: 'Only images less than 128 GB can be exported.', source: 'ims', hint } });

  it('puts the hint under the error in the attachment text', () => {
    const message = completionMessage(tooLarge, 'mattermost');
    expect(mattermostMessage.safeParse(message).success).toBe(true);
    if (!('attachments' in message) || !message.attachments) throw new Error('a Mattermost message has attachments');
    expect(message.attachments[0]?.text).toBe(
      `**IMS error IMG.0160**\nOnly images less than 128 GB can be exported.\n\n**What to do:** ${hint}`,
    );
  });

  it('shows the hint when someone asks for the status of a failed request', () => {
    const message = statusReply(tooLarge, 'slack');
    expectValidSlack(message);
    expect(slackText(message)).toContain(`*What to do:* ${hint}`);
  });

  it('shows no hint for a request that has not failed', () => {
    const running = record({ status: 'running', progress: 40, completed_at: null, error: { code: 'IMS_UNAVAILABLE', message: 'x', source: 'internal', hint } });
    expect(slackText(statusReply(running, 'slack'))).not.toContain('What to do');
  });
});

describe('replies to commands', () => {
  const queued = record({ status: 'queued', completed_at: null, progress: null, image_id: null, ims_job_id: null });

  it('acknowledges a new request ephemerally with its id and how to follow it', () => {
    const message = acceptedReply(queued, 'slack', '/ims');
    expectValidSlack(message);
    expect(message.response_type).toBe('ephemeral');
    expect(message.text).toContain(queued.id);
    expect(slackText(message)).toContain(`\`/ims status ${queued.id}\``);
    const mm = acceptedReply(queued, 'mattermost', '/ims');
    expect(mattermostMessage.safeParse(mm).success).toBe(true);
  });

  it('shows progress in a status reply', () => {
    const message = statusReply(record({ status: 'running', progress: 40, completed_at: null }), 'slack');
    expectValidSlack(message);
    expect(slackText(message)).toContain('Export running, 40 %');
  });

  it('shows the last delivery in a status reply, and nothing about deliveries when there was none', () => {
    const last = { event_id: 'msg_1', type: 'image.export.succeeded', attempt: 2, at: '2026-03-01T10:05:00.000Z', url_origin: 'https://hooks.example', status_code: 503, error: 'receiver answered HTTP 503', duration_ms: 12 };
    const message = statusReply(record({}), 'slack', last);
    expectValidSlack(message);
    expect(slackText(message)).toContain('webhook attempt 2 to https://hooks.example: receiver answered HTTP 503');
    expect(slackText(statusReply(record({}), 'slack'))).not.toContain('Last delivery');
  });

  it('lists requests in one section and says when there are none', () => {
    const many = Array.from({ length: 10 }, (_, i) => record({ id: `req_01J9ZC5K7Q3T8V6W2X4Y0A1B${String(i).padStart(2, '0')}`, params: { image_id: IMAGE, bucket_url: `ims-image:${'x'.repeat(900)}.qcow2`, file_format: 'qcow2' } }));
    const message = listReply(many, 'slack', '/ims');
    expectValidSlack(message);
    expect(slackText(message)).toContain('Latest 10 requests');
    expect(slackText(listReply([], 'slack', '/ims'))).toContain('No requests yet');
    expect(listReply([], 'mattermost', '/ims').text).toBe('No requests yet. Try `/ims help`.');
  });

  it('helps with every command', () => {
    const message = helpReply('slack', '/ims');
    expectValidSlack(message);
    for (const name of ['export', 'import', 'capture', 'status', 'list', 'help']) expect(slackText(message)).toContain(`/ims ${name}`);
  });

  it('renders a usage error with the usage line, and field errors as "field: message"', () => {
    const usage = commandErrorReply({ kind: 'usage', command: 'export', message: 'export needs <bucket:object> (missing it).' }, 'slack', '/ims');
    expectValidSlack(usage);
    expect(slackText(usage)).toContain('export needs &lt;bucket:object&gt; (missing it).');
    expect(slackText(usage)).toContain('Usage: `/ims export &lt;image_id&gt; &lt;bucket:object&gt; [qcow2|vhd|zvhd|vmdk|quick]`');
    const invalid = commandErrorReply(
      { kind: 'invalid', command: 'import', errors: [{ path: 'min_disk', message: 'must be between 1 and 1024 GB for a system-disk import' }], suggestions: ['Ubuntu 18.04 server 64bit'] },
      'mattermost',
      '/ims',
    );
    expect(invalid.text).toContain('**The import request is not valid**:\n• `min_disk`: must be between 1 and 1024 GB for a system-disk import');
    expect(invalid.text).toContain('Did you mean `Ubuntu 18.04 server 64bit`?');
  });

  it('sends notices as one ephemeral section', () => {
    const message = noticeReply('slack', (f) => `No request ${f.code('req_X')}.`);
    expectValidSlack(message);
    expect(message).toMatchObject({ response_type: 'ephemeral', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No request `req_X`.' } }] });
  });
});

describe('durations', () => {
  it('reads like a person would say them', () => {
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(3 * 60_000 + 12_000)).toBe('3 min 12 s');
    expect(formatDuration(2 * 3_600_000)).toBe('2 h');
    expect(formatDuration(26 * 3_600_000)).toBe('1 d 2 h');
    expect(formatDuration(-1)).toBe('—');
  });
});
