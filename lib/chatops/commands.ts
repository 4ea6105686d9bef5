// Slash-command text → what to do (the commands `help` lists). Pure: the request a command makes is
// validated by the same schemas as the HTTP API, so chat and HTTP refuse the same requests.
import { OS_VERSIONS, exportFileFormat } from '../ims/fields.js';
import { REQUEST_ID } from '../requests/ids.js';
import type { RequestKind } from '../requests/record.js';
import { parseRequest, type FieldError } from '../requests/schemas.js';

export type ChatCommand =
  | { action: 'create'; kind: RequestKind; request: Record<string, unknown> }
  | { action: 'status'; id: string }
  | { action: 'list' }
  | { action: 'help' };

/** `usage`: the words do not fit the command; `invalid`: they do, but the request breaks a field rule. */
export type CommandError =
  | { kind: 'usage'; command: CommandName | null; message: string }
  | { kind: 'invalid'; command: RequestKind; errors: FieldError[]; suggestions: string[] };

export type ParsedCommand = { ok: true; command: ChatCommand } | { ok: false; error: CommandError };

export const COMMAND_USAGE = {
  export: 'export <image_id> <bucket:object> [qcow2|vhd|zvhd|vmdk|quick]',
  import: 'import <bucket:object> <name> <min_disk> [os_version...]',
  capture: 'capture <instance_id> <name>',
  status: 'status <request id>',
  list: 'list',
  help: 'help',
} as const;
export type CommandName = keyof typeof COMMAND_USAGE;

const EXPORT_CHOICES = [...exportFileFormat.options, 'quick'] as const;

function usage(command: CommandName | null, message: string): ParsedCommand {
  return { ok: false, error: { kind: 'usage', command, message } };
}

function isCommandName(word: string): word is CommandName {
  return Object.hasOwn(COMMAND_USAGE, word);
}

/**
 * Slack may wrap what looks like a link, user or channel as `<target|label>` or `<target>` and
 * escapes `&`, `<`, `>` (with should_escape off it mostly does not); either way the user meant the label.
 */
export function unescapeSlackText(text: string): string {
  return text
    .replace(/<([^<>|]*)\|([^<>]*)>/g, '$2')
    .replace(/<([^<>]*)>/g, (_m, inner: string) => inner.replace(/^(mailto:|https?:\/\/)/, ''))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The text after the slash command, as one command. */
export function parseCommand(text: string): ParsedCommand {
  const line = unescapeSlackText(text).replace(/[\u00a0\s]+/g, ' ').trim();
  if (line === '') return { ok: true, command: { action: 'help' } };
  const [first = '', ...args] = line.split(' ');
  const name = first.toLowerCase();
  if (!isCommandName(name)) {
    return usage(null, `"${clip(first)}" is not a command. Commands: ${Object.keys(COMMAND_USAGE).join(', ')}.`);
  }
  const { rest, placement } = placementWords(args);
  if (Object.keys(placement).length > 0 && (name === 'status' || name === 'list' || name === 'help')) {
    return usage(name, `${name} takes no region= or project=.`);
  }
  switch (name) {
    case 'export':
      return withPlacement(exportCommand(rest), placement);
    case 'import':
      return withPlacement(importCommand(rest), placement);
    case 'capture':
      return withPlacement(captureCommand(rest), placement);
    case 'status':
      return statusCommand(args);
    case 'list':
    case 'help':
      return args.length > 0 ? usage(name, `${name} takes no arguments.`) : { ok: true, command: { action: name } };
  }
}

/** `region=<name>` and `project=<id>` words, anywhere after the command: which IMS project to act in. */
function placementWords(args: string[]): { rest: string[]; placement: { region?: string; project_id?: string } } {
  const placement: { region?: string; project_id?: string } = {};
  const rest = args.filter((word) => {
    const m = /^(region|project)=(.*)$/i.exec(word);
    if (!m) return true;
    if (m[1]?.toLowerCase() === 'region') placement.region = m[2] ?? '';
    else placement.project_id = m[2] ?? '';
    return false;
  });
  return { rest, placement };
}

/** A create command with its placement words, validated again as the whole request the API would get. */
function withPlacement(parsed: ParsedCommand, placement: { region?: string; project_id?: string }): ParsedCommand {
  if (!parsed.ok || parsed.command.action !== 'create' || Object.keys(placement).length === 0) return parsed;
  return validated(parsed.command.kind, { ...parsed.command.request, ...placement });
}

function missing(command: CommandName, names: readonly string[], given: number): ParsedCommand {
  const absent = names.slice(given);
  return usage(command, `${command} needs ${absent.map((n) => `<${n}>`).join(' ')} (missing ${absent.length === 1 ? 'it' : 'them'}).`);
}

function exportCommand(args: string[]): ParsedCommand {
  const [imageId, target, format, ...extra] = args;
  if (imageId === undefined || target === undefined) return missing('export', ['image_id', 'bucket:object'], args.length);
  if (extra.length > 0) return usage('export', `export takes at most 3 arguments; "${clip(extra.join(' '))}" is one too many.`);
  const choice = format === undefined ? defaultExportFormat(target) : format.toLowerCase();
  if (!(EXPORT_CHOICES as readonly string[]).includes(choice)) {
    return usage('export', `"${clip(format ?? '')}" is not an export format: use one of ${EXPORT_CHOICES.join(', ')}.`);
  }
  const request = { image_id: imageId, bucket_url: target, ...(choice === 'quick' ? { is_quick_export: true } : { file_format: choice }) };
  return validated('export', request);
}

/** Without a format the object's extension decides (centos7.vhd → vhd), else qcow2, the most common one. */
function defaultExportFormat(target: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(target)?.[1]?.toLowerCase();
  return extension !== undefined && (exportFileFormat.options as readonly string[]).includes(extension) ? extension : 'qcow2';
}

function importCommand(args: string[]): ParsedCommand {
  const [source, name, minDisk, ...osWords] = args;
  if (source === undefined || name === undefined || minDisk === undefined) {
    return missing('import', ['bucket:object', 'name', 'min_disk'], args.length);
  }
  if (!/^\d+$/.test(minDisk)) return usage('import', `<min_disk> must be a whole number of GB, not "${clip(minDisk)}".`);
  const request: Record<string, unknown> = { image_url: source, name, min_disk: Number(minDisk) };
  if (osWords.length > 0) request.os_version = canonicalOsVersion(osWords.join(' '));
  return validated('import', request);
}

/** IMS's spelling of an OS version typed in any case, or the text as typed (the schema then says what is wrong). */
function canonicalOsVersion(typed: string): string {
  const wanted = typed.toLowerCase();
  return OS_VERSIONS.find((v) => v.toLowerCase() === wanted) ?? typed;
}

/** Up to three OS versions that share the first word of what was typed, to suggest. */
function similarOsVersions(typed: string): string[] {
  const first = typed.trim().split(' ')[0]?.toLowerCase() ?? '';
  if (first === '') return [];
  return OS_VERSIONS.filter((v) => v.toLowerCase().startsWith(first)).slice(0, 3);
}

function captureCommand(args: string[]): ParsedCommand {
  const [instanceId, ...nameWords] = args;
  if (instanceId === undefined || nameWords.length === 0) return missing('capture', ['instance_id', 'name'], args.length);
  // IMS names may contain spaces, so the name is the rest of the line.
  return validated('capture', { instance_id: instanceId, name: nameWords.join(' ') });
}

function statusCommand(args: string[]): ParsedCommand {
  const [id, ...extra] = args;
  if (id === undefined) return missing('status', ['request id'], 0);
  if (extra.length > 0) return usage('status', 'status takes one request id.');
  const upper = `req_${id.replace(/^req_/i, '').toUpperCase()}`;
  if (!REQUEST_ID.test(upper)) return usage('status', `"${clip(id)}" is not a request id (they look like req_01J…, 30 characters).`);
  return { ok: true, command: { action: 'status', id: upper } };
}

function validated(kind: RequestKind, request: Record<string, unknown>): ParsedCommand {
  const parsed = parseRequest(kind, request);
  if (!parsed.ok) {
    const badOs = parsed.errors.some((e) => e.path === 'os_version') && typeof request.os_version === 'string';
    const suggestions = badOs ? similarOsVersions(String(request.os_version)) : [];
    return { ok: false, error: { kind: 'invalid', command: kind, errors: parsed.errors, suggestions } };
  }
  return { ok: true, command: { action: 'create', kind, request: parsed.request as Record<string, unknown> } };
}

/** Echoed user input stays short, so a pasted novel cannot fill the reply. */
function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
