// The suite-wide secret scan: that this worker's output really is captured, and that the scan finds
// a registered secret in any form it can take, says where, and fails the run without printing it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../lib/log.js';
import { hashSecret, newApiKey, newWebhookSecret } from '../../lib/tenants.js';
import { CAPTURE_SUFFIX, LOG_DIR_ENV, SECRETS_FILE, appendSecret, registerSecret } from '../helpers/secrets.js';
import { captureInto, teeStream } from '../setup/capture-logs.js';
import setup, { describeLeak, readSecrets, scanCapturedOutput } from '../setup/global.js';

const THIS_FILE = 'test/integration/secret-scan.test.ts';
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secret-scan-test-'));
  tempDirs.push(dir);
  return dir;
}

/** A run directory holding one secret and what test/x.test.ts wrote, in separate writes. */
function runWith(secret: string, ...writes: string[]): string {
  const dir = tempDir();
  appendSecret(dir, { kind: 'webhook secret', value: secret, by: 'test/secrets.test.ts' });
  const capture = captureInto(dir, () => 'test/x.test.ts');
  for (const text of writes) capture(text);
  return dir;
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('capture in this worker', () => {
  it('writes this file\'s logger, console and stdout output, DEBUG lines included, into the run directory', () => {
    const dir = process.env[LOG_DIR_ENV];
    expect(dir, 'vitest.config.ts must load test/setup/global.ts and capture-logs.ts').toBeTruthy();
    const marker = `capture-marker-${randomBytes(6).toString('hex')}`;
    logger.debug('capture check', { marker: `${marker}-logger` });
    console.log(`${marker}-console`);
    process.stderr.write(`${marker}-stderr\n`);
    const mine = readdirSync(dir as string)
      .filter((name) => name.startsWith(THIS_FILE.replace(/[^\w.-]+/g, '_')) && name.endsWith(CAPTURE_SUFFIX))
      .map((name) => readFileSync(join(dir as string, name), 'utf8'))
      .join('');
    expect(mine).toContain(`# output captured from ${THIS_FILE}`);
    expect(mine).toMatch(new RegExp(`"level":"DEBUG".*${marker}-logger`));
    expect(mine).toContain(`${marker}-console\n`);
    expect(mine).toContain(`${marker}-stderr\n`);
  });

  it('records a registered secret with its kind and the test file that made it', () => {
    const key = registerSecret(newApiKey());
    const { secrets } = readSecrets(process.env[LOG_DIR_ENV] as string);
    expect(secrets.find((s) => s.value === key)).toEqual({ kind: 'API key', value: key, by: THIS_FILE });
    expect(secrets.map((s) => s.kind)).toEqual(expect.arrayContaining(['IMS simulator SK', 'IMS simulator password']));
  });

  it('refuses to register a secret too short to scan for', () => {
    expect(() => registerSecret('p')).toThrow(/shorter than 8 characters/);
  });
});

describe('teeStream', () => {
  it('keeps the stream quiet but still completes the write when not passing through', async () => {
    const reached: unknown[] = [];
    const captured: string[] = [];
    const stream = { write: ((chunk: unknown) => reached.push(chunk) > 0) as NodeJS.WriteStream['write'] };
    teeStream(stream, (text) => captured.push(text), false);
    const done = new Promise<void>((resolve) => stream.write('one\n', () => resolve()));
    stream.write(Buffer.from('two\n'));
    stream.write('dGhyZWUK', 'base64');
    await done;
    expect(reached).toEqual([]);
    expect(captured).toEqual(['one\n', 'two\n', 'three\n']);
  });

  it('passes every write through as well with TEST_LOGS=1', () => {
    const reached: unknown[] = [];
    const stream = { write: ((chunk: unknown) => reached.push(chunk) > 0) as NodeJS.WriteStream['write'] };
    teeStream(stream, () => undefined, true);
    stream.write('shown\n');
    expect(reached).toEqual(['shown\n']);
  });
});

describe('scanCapturedOutput', () => {
  // Quote, backslash and space make the escaped and encoded forms differ; six tildes put a '+' in its base64 at any alignment.
  const secret = `whsec_test~~~~~~"quote\\back slash-${randomBytes(6).toString('hex')}`;

  it.each([
    ['as is', 'as is', `secret=${secret}\n`],
    ['in a JSON log line', 'JSON-escaped', `${JSON.stringify({ level: 'DEBUG', secret })}\n`],
    ['in a query string', 'URL-encoded', `GET /hook?token=${encodeURIComponent(secret)}\n`],
    ['in a form body', 'form-encoded', `body: ${new URLSearchParams({ token: secret }).toString()}\n`],
    ['in Basic auth after 2 bytes', 'base64-encoded', `authorization: Basic ${Buffer.from(`u:${secret}`).toString('base64')}\n`],
    ['in Basic auth after 3 bytes', 'base64-encoded', `authorization: Basic ${Buffer.from(`us:${secret}`).toString('base64')}\n`],
    ['in Basic auth after 4 bytes', 'base64-encoded', `authorization: Basic ${Buffer.from(`use:${secret}`).toString('base64')}\n`],
    ['in a base64url cursor', 'base64url-encoded', `cursor=${Buffer.from(`k=${secret}`).toString('base64url')}\n`],
  ])('finds a secret written %s and names its kind, encoding, test file and line', (_where, encoding, leak) => {
    const dir = runWith(secret, 'line one\n', 'line two\n', leak);
    const { leaks } = scanCapturedOutput(dir);
    expect(leaks).toContainEqual(
      expect.objectContaining({ kind: 'webhook secret', registeredBy: 'test/secrets.test.ts', encoding, source: 'test/x.test.ts', line: 4 }),
    );
    for (const found of leaks) expect(describeLeak(found)).not.toContain(secret);
  });

  it('finds a secret split across two writes', () => {
    const dir = runWith(secret, `start ${secret.slice(0, 10)}`, `${secret.slice(10)} end\n`);
    expect(scanCapturedOutput(dir).leaks).toHaveLength(1);
  });

  it('finds nothing in output that holds only the secret\'s hash or a part of it', () => {
    const dir = runWith(secret, `${hashSecret(secret)}\n`, `${secret.slice(0, -1)}\n`, `${secret.slice(1)}\n`);
    const result = scanCapturedOutput(dir);
    expect(result).toMatchObject({ leaks: [], unreadable: [], secrets: 1, files: 1 });
  });

  it('reports secrets-file lines it cannot read, since it cannot vouch for them', () => {
    const dir = runWith(secret, 'nothing\n');
    writeFileSync(join(dir, SECRETS_FILE), '{"kind":"x","val\n', { flag: 'a' });
    expect(scanCapturedOutput(dir).unreadable).toEqual([2]);
  });
});

describe('the global teardown', () => {
  function withRunDirectory(check: (dir: string, teardown: () => void) => void): void {
    const saved = { dir: process.env[LOG_DIR_ENV], exitCode: process.exitCode };
    const teardown = setup();
    const dir = process.env[LOG_DIR_ENV] as string;
    tempDirs.push(dir);
    try {
      check(dir, teardown);
    } finally {
      process.env[LOG_DIR_ENV] = saved.dir;
      process.exitCode = saved.exitCode;
    }
  }

  it('fails the run and sets a failing exit code when a secret was written, without printing it', () => {
    const secret = newWebhookSecret();
    withRunDirectory((dir, teardown) => {
      appendSecret(dir, { kind: 'webhook secret', value: secret, by: 'test/a.test.ts' });
      captureInto(dir, () => 'test/b.test.ts')(`{"message":"delivering","secret":"${secret}"}\n`);
      let message = '';
      try {
        teardown();
      } catch (err) {
        message = (err as Error).message;
      }
      expect(process.exitCode).toBe(1);
      expect(message).toMatch(/secret scan failed.*\n.*secret kind "webhook secret" \(registered by test\/a\.test\.ts\) appears as is in the output of test\/b\.test\.ts at .*:2$/);
      expect(message).not.toContain(secret);
      expect(existsSync(dir)).toBe(true);
    });
  });

  it('passes and removes the run directory when no secret was written', () => {
    withRunDirectory((dir, teardown) => {
      appendSecret(dir, { kind: 'API key', value: newApiKey(), by: 'test/a.test.ts' });
      captureInto(dir, () => 'test/b.test.ts')('{"message":"fine"}\n');
      expect(() => teardown()).not.toThrow();
      expect(process.exitCode).not.toBe(1);
      expect(existsSync(dir)).toBe(false);
    });
  });
});
