// The log lines as CloudWatch and the metric filters read them: one JSON object per line, the
// invocation's context on each, nothing of the previous invocation, the level threshold honoured.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger, redactUrl } from '../../lib/log.js';

const ROOT = join(import.meta.dirname, '../..');

/** What `run` writes through the logger, by stream, each line parsed. */
function written(run: () => void): { stdout: Record<string, unknown>[]; stderr: Record<string, unknown>[] } {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  const spies = (['stdout', 'stderr'] as const).map((name) =>
    vi.spyOn(process[name], 'write').mockImplementation((chunk: string | Uint8Array) => {
      out[name].push(String(chunk));
      return true;
    }),
  );
  try {
    run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  const parse = (chunks: string[]) => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stdout: parse(out.stdout), stderr: parse(out.stderr) };
}

const context = (awsRequestId: string) =>
  ({ functionName: 'ims-transfer-dev-intake', memoryLimitInMB: '512', invokedFunctionArn: 'arn:aws:lambda:eu-de:1:function:x', awsRequestId }) as Context;

afterEach(() => logger.startInvocation(undefined));

describe('logger', () => {
  it('writes one JSON line with level, message, timestamp, service and the attributes at the top level; warnings and errors on stderr', () => {
    const { stdout, stderr } = written(() => {
      logger.info('request accepted', { requestId: 'r-1', kind: 'export' });
      logger.warn('ims call failed', { error: 'IMG.0070' });
      logger.error('unhandled error', { error: 'boom' });
    });
    expect(stdout).toHaveLength(1);
    expect(stdout[0]).toMatchObject({ level: 'INFO', message: 'request accepted', service: 'ims-transfer', requestId: 'r-1', kind: 'export' });
    expect(new Date(stdout[0]?.timestamp as string).toISOString()).toBe(stdout[0]?.timestamp);
    expect(stderr.map((l) => [l.level, l.message])).toEqual([
      ['WARN', 'ims call failed'],
      ['ERROR', 'unhandled error'],
    ]);
  });

  it('carries the Lambda context and the correlation id of the current invocation only, cold_start on the first', () => {
    const { stdout } = written(() => {
      logger.startInvocation(context('req-1'));
      logger.setCorrelationId('apigw-1');
      logger.info('first');
      logger.startInvocation(context('req-2'));
      logger.info('second');
    });
    expect(stdout[0]).toMatchObject({ function_request_id: 'req-1', correlation_id: 'apigw-1', function_name: 'ims-transfer-dev-intake', function_memory_size: 512 });
    expect(stdout[1]).toMatchObject({ function_request_id: 'req-2', cold_start: false });
    expect(stdout[1]).not.toHaveProperty('correlation_id');
    expect(typeof stdout[0]?.cold_start).toBe('boolean');
  });

  it('writes an Error attribute as its name and message, and keeps a line whose attributes cannot be serialized', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const { stdout } = written(() => {
      logger.info('with error', { error: new TypeError('bad thing') });
      logger.info('circular', { circular });
    });
    expect(stdout[0]?.error).toMatchObject({ name: 'TypeError', message: 'bad thing' });
    expect(stdout[1]).toMatchObject({ level: 'INFO', message: 'circular', log_error: 'attributes not serializable' });
  });

  it('writes a whole tenant logged by mistake without its secrets, hashes or URL tokens, at any depth', () => {
    const secrets = ['whsec_dGVzdC1zZWNyZXQtbm90LXJlYWwtMTIzNDU2Nzg=', 'a'.repeat(64), 'SK-NOT-REAL-0123456789', 'pass-not-real-987', 'T0K3N-in-path'];
    const tenant = {
      id: 'acme',
      api_key_sha256: [secrets[1]],
      webhook_secrets: [secrets[0]],
      mattermost_token_sha256: [secrets[1]],
      chat_webhook_url: `https://hooks.slack.com/services/T1/B2/${secrets[4]}`,
      ims_credentials: { ak: 'AK', sk: secrets[2] },
      nested: { password: secrets[3], authorization: `Bearer ${secrets[3]}`, callback_url: `https://user:${secrets[3]}@example.com/x?sig=${secrets[4]}` },
    };
    const { stdout } = written(() => logger.info('tenant', { tenant }));
    const text = JSON.stringify(stdout);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(stdout[0]?.tenant).toMatchObject({
      id: 'acme',
      webhook_secrets: '[redacted]',
      ims_credentials: '[redacted]',
      chat_webhook_url: 'https://hooks.slack.com',
      nested: { password: '[redacted]', callback_url: 'https://example.com' },
    });
  });

  it('writes dates, bigints, arrays and an object met twice (not a cycle) as JSON would, with secrets in arrays redacted', () => {
    const shared = { id: 'x' };
    const { stdout } = written(() =>
      logger.info('values', { at: new Date('2026-12-01T00:00:00Z'), big: 12n, list: [{ token: 't0k3n-not-real' }, 3], a: shared, b: shared, nothing: undefined }),
    );
    expect(stdout[0]).toMatchObject({ at: '2026-12-01T00:00:00.000Z', big: '12', list: [{ token: '[redacted]' }, 3], a: { id: 'x' }, b: { id: 'x' } });
    expect(stdout[0]).not.toHaveProperty('nothing');
  });

  it('drops the lines below LOG_LEVEL, as a deployed function starts with it', () => {
    const script = `import { logger } from ${JSON.stringify(join(ROOT, 'lib/log.ts'))};
      logger.debug('d'); logger.info('i'); logger.warn('w'); logger.error('e');`;
    const run = (level: string) =>
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: level }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const messages = (text: string) => text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { message: string }).message);
    expect(messages(run('WARN'))).toEqual([]);
    expect(messages(run('INFO'))).toEqual(['i']);
    expect(messages(run('nonsense'))).toEqual(['i']);
  });
});

describe('redactUrl', () => {
  it('keeps only the origin: tokens in user info, path, query and fragment are dropped', () => {
    expect(redactUrl('https://user:pass@hooks.example.com:8443/services/T1/B2/tok3n?sig=abc#frag')).toBe('https://hooks.example.com:8443');
    expect(redactUrl('http://127.0.0.1:9000/webhook')).toBe('http://127.0.0.1:9000');
  });

  it('never echoes what it cannot parse', () => {
    expect(redactUrl('not a url with secret-token')).toBe('(unparseable url)');
  });
});
