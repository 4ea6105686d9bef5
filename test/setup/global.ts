// globalSetup: makes the run directory the workers capture their output into (capture-logs.ts),
// and afterwards fails the run if any registered test secret, or an encoding of one, was written out.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURE_SUFFIX, LOG_DIR_ENV, MIN_SECRET_LENGTH, SECRETS_FILE, registeredSecret, type RegisteredSecret } from '../helpers/secrets.js';

/** One way a secret can appear in output: as itself, escaped, or encoded. */
export interface SecretForm {
  encoding: string;
  text: string;
}

export interface Leak {
  kind: string;
  registeredBy: string;
  encoding: string;
  /** The test file whose run wrote it. */
  source: string;
  captureFile: string;
  line: number;
}

export interface ScanResult {
  leaks: Leak[];
  /** Lines of the secrets file that could not be read: the scan cannot vouch for those secrets. */
  unreadable: number[];
  secrets: number;
  files: number;
  bytes: number;
}

/** The forms a secret takes in JSON logs, URLs, form bodies and base64 (at any alignment, e.g. inside Basic auth). */
export function secretForms(value: string): SecretForm[] {
  const forms: SecretForm[] = [
    { encoding: 'as is', text: value },
    { encoding: 'JSON-escaped', text: JSON.stringify(value).slice(1, -1) },
    { encoding: 'URL-encoded', text: encodeURIComponent(value) },
    { encoding: 'form-encoded', text: new URLSearchParams({ s: value }).toString().slice(2) },
  ];
  const bytes = Buffer.from(value, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const base64 = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Only the characters made of the secret's bits alone, whatever precedes or follows it.
    const core = base64.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6));
    forms.push({ encoding: 'base64-encoded', text: core }, { encoding: 'base64url-encoded', text: core.replace(/\+/g, '-').replace(/\//g, '_') });
  }
  const seen = new Set<string>();
  return forms.filter((f) => f.text.length >= MIN_SECRET_LENGTH && !seen.has(f.text) && seen.add(f.text));
}

/** The registered secrets, one entry per value (the first registration names it). */
export function readSecrets(dir: string): { secrets: RegisteredSecret[]; unreadable: number[] } {
  let text = '';
  try {
    text = readFileSync(join(dir, SECRETS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const byValue = new Map<string, RegisteredSecret>();
  const unreadable: number[] = [];
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    let parsed: ReturnType<typeof registeredSecret.safeParse>;
    try {
      parsed = registeredSecret.safeParse(JSON.parse(line));
    } catch {
      unreadable.push(index + 1);
      return;
    }
    if (!parsed.success) unreadable.push(index + 1);
    else if (!byValue.has(parsed.data.value)) byValue.set(parsed.data.value, parsed.data);
  });
  return { secrets: [...byValue.values()], unreadable };
}

const KEY_LENGTH = MIN_SECRET_LENGTH;

/** Every captured file in `dir` searched for every form of every registered secret; one leak per secret, form and file. */
export function scanCapturedOutput(dir: string): ScanResult {
  const { secrets, unreadable } = readSecrets(dir);
  // Index the forms by their first characters, so each file is read once however many secrets there are.
  const byKey = new Map<string, { secret: RegisteredSecret; form: SecretForm }[]>();
  for (const secret of secrets) {
    for (const form of secretForms(secret.value)) {
      const key = form.text.slice(0, KEY_LENGTH);
      byKey.set(key, [...(byKey.get(key) ?? []), { secret, form }]);
    }
  }
  const captureFiles = readdirSync(dir).filter((name) => name.endsWith(CAPTURE_SUFFIX)).sort();
  const leaks: Leak[] = [];
  let bytes = 0;
  for (const name of captureFiles) {
    const captureFile = join(dir, name);
    const content = readFileSync(captureFile, 'utf8');
    bytes += content.length;
    const source = /^# output captured from (.*) \(pid \d+\)$/m.exec(content)?.[1] ?? '(unknown test file)';
    const reported = new Set<string>();
    let line = 1;
    for (let i = 0; i + KEY_LENGTH <= content.length; i++) {
      if (content.charCodeAt(i) === 10) line++;
      const candidates = byKey.get(content.slice(i, i + KEY_LENGTH));
      if (!candidates) continue;
      for (const { secret, form } of candidates) {
        const id = `${secret.value}\u0000${form.encoding}`;
        if (reported.has(id) || !content.startsWith(form.text, i)) continue;
        reported.add(id);
        leaks.push({ kind: secret.kind, registeredBy: secret.by, encoding: form.encoding, source, captureFile, line });
      }
    }
  }
  return { leaks, unreadable, secrets: secrets.length, files: captureFiles.length, bytes };
}

/** A leak as reported: which kind of secret, where it was written; never the secret itself. */
export function describeLeak(leak: Leak): string {
  return `secret kind "${leak.kind}" (registered by ${leak.registeredBy}) appears ${leak.encoding} in the output of ${leak.source} at ${leak.captureFile}:${leak.line}`;
}

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'ims-transfer-test-logs-'));
  // Workers are forked after this runs, so they inherit it.
  process.env[LOG_DIR_ENV] = dir;
  return () => {
    const result = scanCapturedOutput(dir);
    const problems = [
      ...result.leaks.map(describeLeak),
      ...result.unreadable.map((n) => `line ${n} of ${join(dir, SECRETS_FILE)} is not a registered secret the scan can read`),
    ];
    if (problems.length === 0) {
      console.log(`secret scan: ${result.secrets} test secrets, ${result.files} capture files (${result.bytes} characters): none found. TEST_LOGS=1 shows the captured output.`);
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    // A teardown error alone is only logged by vitest; the exit code is what CI sees.
    process.exitCode = 1;
    throw new Error(`secret scan failed (captured output kept in ${dir}):\n  ${problems.join('\n  ')}`);
  };
}
