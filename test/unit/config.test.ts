import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { cachedReader, createConfigLoader, getSsmParameter, resolveSecrets } from '../../lib/config.js';
import { parseConfig } from '../../lib/jobs-config.js';
import { NodeSha256 } from '../helpers/node-sha256.js';
import { once } from '../../lib/runtime/once.js';
import { hashSecret, newWebhookSecret } from '../../lib/tenants.js';
import { registerSecret } from '../helpers/secrets.js';

const TENANTS = JSON.stringify([{ id: 'acme', api_key_sha256: [hashSecret('k')], webhook_secrets: [registerSecret(newWebhookSecret())] }]);
const base = {
  INTAKE_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/ims-transfer-dev-intake',
  IMS_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  TENANTS,
  IMS_USER: 'svc-ims',
  IMS_PASSWORD: registerSecret('correct horse battery staple'),
  IMS_DOMAIN: 'OTC-EU-DE-000000000010000',
};

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('settings', () => {
  it('parses a complete environment with OTC defaults', () => {
    const cfg = parseConfig(base);
    expect(cfg.defaultRegion).toBe('eu-de');
    expect(cfg.projectIds).toEqual({ 'eu-de': base.IMS_PROJECT_ID });
    expect(cfg.ims.auth).toEqual({ kind: 'password', user: 'svc-ims', password: base.IMS_PASSWORD, domain: base.IMS_DOMAIN });
    expect(cfg.ims.imsEndpoint).toContain('{region}');
    expect(cfg.allowLoopbackWebhooks).toBe(false);
    expect(cfg.jobDeadlineMs).toBe(24 * 3_600_000);
  });

  it('takes the submission lease from SUBMIT_LEASE_SECONDS, five minutes unless set', () => {
    expect(parseConfig(base).timings.submitLeaseMs).toBe(300_000);
    expect(parseConfig({ ...base, SUBMIT_LEASE_SECONDS: '45' }).timings.submitLeaseMs).toBe(45_000);
    expect(errorOf(() => parseConfig({ ...base, SUBMIT_LEASE_SECONDS: '0' }))).toContain('SUBMIT_LEASE_SECONDS');
  });

  it('reads OBS with the service\'s AK/SK, else with OBS_AK/OBS_SK, else not at all', () => {
    const obsSk = registerSecret('obs-secret-key-0001');
    const imsSk = registerSecret('ims-secret-key-0001');
    expect(parseConfig(base).obs).toEqual({ settings: expect.objectContaining({ endpoint: 'https://obs.{region}.otc.t-systems.com' }), key: null });
    expect(parseConfig({ ...base, OBS_AK: 'OBSAK', OBS_SK: obsSk }).obs.key).toEqual({ ak: 'OBSAK', sk: obsSk });
    expect(parseConfig({ ...base, IMS_AK: 'IMSAK', IMS_SK: imsSk, OBS_AK: 'OBSAK', OBS_SK: obsSk }).obs.key).toEqual({ ak: 'IMSAK', sk: imsSk });
    expect(parseConfig({ ...base, OBS_AK: '', OBS_SK: '' }).obs.key).toBeNull();
    expect(parseConfig({ ...base, OBS_ENDPOINT: 'http://127.0.0.1:4010' }).obs.settings.endpoint).toBe('http://127.0.0.1:4010');
    const half = errorOf(() => parseConfig({ ...base, OBS_AK: 'OBSAK' }));
    expect(half).toMatch(/OBS_AK/);
    expect(errorOf(() => parseConfig({ ...base, OBS_ENDPOINT: 'https://obs.example.com/path' }))).toMatch(/^invalid settings: OBS_ENDPOINT/);
  });

  it('chooses AK/SK signing when an access key is given', () => {
    const cfg = parseConfig({ ...base, IMS_AK: 'AKAKAKAK', IMS_SK: 'sksksksk' });
    expect(cfg.ims.auth.kind).toBe('aksk');
  });

  it('allows loopback webhooks only next to local stand-ins, never with the cloud\'s DynamoDB and SQS', () => {
    expect(errorOf(() => parseConfig({ ...base, ALLOW_LOOPBACK_WEBHOOKS: 'true' }))).toContain('ALLOW_LOOPBACK_WEBHOOKS: is for local runs only');
    expect(parseConfig({ ...base, ALLOW_LOOPBACK_WEBHOOKS: 'true', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }).allowLoopbackWebhooks).toBe(true);
    expect(parseConfig(base).allowLoopbackWebhooks).toBe(false);
  });

  it('names a missing setting', () => {
    const { INTAKE_QUEUE_URL: _q, ...rest } = base;
    expect(errorOf(() => parseConfig(rest))).toContain('INTAKE_QUEUE_URL');
    expect(errorOf(() => parseConfig({ ...base, IMS_PASSWORD: undefined }))).toContain('IMS_PASSWORD');
    expect(errorOf(() => parseConfig({ ...base, IMS_SK: '', IMS_AK: 'AK' }))).toContain('IMS_SK');
  });

  it('never repeats a secret value in its errors', () => {
    const message = errorOf(() => parseConfig({ ...base, IMS_PROJECT_ID: 'not-hex', IMS_DOMAIN: '' }));
    expect(message).toContain('IMS_PROJECT_ID');
    expect(message).not.toContain(base.IMS_PASSWORD);
  });

  it('reads secrets from the SSM parameter named by SECRETS_PARAMETER', async () => {
    const { TENANTS: _t, IMS_PASSWORD: _p, ...plain } = base;
    const asked: string[] = [];
    const env = await resolveSecrets({ ...plain, SECRETS_PARAMETER: '/ims-transfer/prod/secrets' }, async (name) => {
      asked.push(name);
      return JSON.stringify({ TENANTS, IMS_PASSWORD: base.IMS_PASSWORD });
    });
    expect(asked).toEqual(['/ims-transfer/prod/secrets']);
    expect(parseConfig(env).tenants[0]?.id).toBe('acme');
  });

  it('refuses a secrets document with unknown keys, naming the key but not the values', async () => {
    const err = await resolveSecrets({ SECRETS_PARAMETER: '/p' }, async () => JSON.stringify({ IMS_PASWORD: registerSecret('hunter2-secret') })).catch((e: Error) => e.message);
    expect(err).toContain('IMS_PASWORD');
    expect(err).not.toContain('hunter2-secret');
  });
});

describe('settings over a container\'s life', () => {
  const { TENANTS: _t, IMS_PASSWORD: _p, ...plain } = base;
  const env = { ...plain, SECRETS_PARAMETER: '/ims-transfer/prod/secrets' };
  const document = (password: string) => JSON.stringify({ TENANTS, IMS_PASSWORD: password });
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

  it('reads the secrets again on the next call after a failed read at cold start', async () => {
    const answers: (() => string)[] = [() => { throw throttled(); }, () => document(base.IMS_PASSWORD)];
    const load = createConfigLoader(env, async () => (answers.shift() ?? (() => document(base.IMS_PASSWORD)))(), parseConfig);
    await expect(load()).rejects.toThrow('Rate exceeded');
    const config = await load();
    expect(config.tenants[0]?.id).toBe('acme');
  });

  it('keeps the same settings while the document is unchanged, and takes a rotated secret without a restart', async () => {
    let current = document(base.IMS_PASSWORD);
    const load = createConfigLoader(env, async () => current, parseConfig);
    const first = await load();
    expect(await load()).toBe(first);
    const rotated = registerSecret('rotated horse battery staple');
    current = document(rotated);
    const second = await load();
    expect(second).not.toBe(first);
    expect(second.ims.auth).toMatchObject({ kind: 'password', password: rotated });
  });

  it('serves the last good settings while a later read fails, and never caches the failure', async () => {
    let fail = false;
    const load = createConfigLoader(env, async () => {
      if (fail) throw throttled();
      return document(base.IMS_PASSWORD);
    }, parseConfig);
    const good = await load();
    fail = true;
    expect(await load()).toBe(good);
    fail = false;
    expect(await load()).toBe(good);
  });

  it('parses the environment alone when there is no secrets parameter, and retries an invalid one', async () => {
    const source: Record<string, string | undefined> = { ...base, IMS_PROJECT_ID: 'not-hex' };
    const load = createConfigLoader(source, async () => {
      throw new Error('no parameter should be read');
    }, parseConfig);
    await expect(load()).rejects.toThrow('IMS_PROJECT_ID');
    source.IMS_PROJECT_ID = base.IMS_PROJECT_ID;
    const config = await load();
    expect(await load()).toBe(config);
  });
});

describe('once', () => {
  it('keeps a built value, but not a promise that rejected', async () => {
    let calls = 0;
    const value = once(async () => {
      calls++;
      if (calls === 1) throw new Error('cold start read failed');
      return { built: calls };
    });
    await expect(value()).rejects.toThrow('cold start read failed');
    const built = await value();
    expect(built).toEqual({ built: 2 });
    expect(await value()).toBe(built);
    expect(calls).toBe(2);
  });
});

describe('the secrets parameter read', () => {
  it('keeps a read for its max age, reads again after it, and never keeps a failure', async () => {
    let clock = 0;
    let reads = 0;
    let fail = false;
    const read = cachedReader(async () => {
      reads++;
      if (fail) throw new Error('ThrottlingException');
      return `doc ${reads}`;
    }, 300_000, () => clock);
    expect(await read('/p')).toBe('doc 1');
    clock = 299_999;
    expect(await read('/p')).toBe('doc 1');
    clock = 300_000;
    fail = true;
    await expect(read('/p')).rejects.toThrow('ThrottlingException');
    fail = false;
    expect(await read('/p')).toBe('doc 3');
    expect(reads).toBe(3);
  });

  it('asks SSM GetParameter with decryption, SigV4-signed with the role\'s session credentials', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: registerSecret('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'), sessionToken: registerSecret('session-token-example') };
    const document = JSON.stringify({ IMS_PASSWORD: base.IMS_PASSWORD });
    const seen: { headers: IncomingHttpHeaders; body: string; verified: boolean }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        void (async () => {
          // Signed again by the AWS SDK's own signer from what arrived: the same signature only if ours is right.
          const signer = new SignatureV4({ service: 'ssm', region: 'eu-central-1', credentials, sha256: NodeSha256, applyChecksum: false });
          const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => ['host', 'content-type', 'x-amz-target', 'x-amz-date', 'x-amz-security-token'].includes(k))) as Record<string, string>;
          const again = await signer.sign(
            { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', query: {}, headers, body },
            { signingDate: new Date(Date.UTC(2026, 11, 1, 1, 30)) },
          );
          seen.push({ headers: req.headers, body, verified: again.headers.authorization === req.headers.authorization });
          const name = (JSON.parse(body) as { Name: string }).Name;
          res.setHeader('content-type', 'application/x-amz-json-1.1');
          if (name === '/missing') {
            res.statusCode = 400;
            res.end(JSON.stringify({ __type: 'com.amazonaws.ssm#ParameterNotFound', message: `parameter ${document} not found` }));
          } else res.end(JSON.stringify({ Parameter: { Name: name, Type: 'SecureString', Value: document } }));
        })();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const options = { region: 'eu-central-1', credentials, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, now: () => new Date(Date.UTC(2026, 11, 1, 1, 30)) };
      expect(await getSsmParameter('/ims-transfer/prod/secrets', options)).toBe(document);
      expect(seen[0]?.verified).toBe(true);
      expect(seen[0]?.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
      expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual({ Name: '/ims-transfer/prod/secrets', WithDecryption: true });
      const error = await getSsmParameter('/missing', options).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('ParameterNotFound');
      expect((error as Error).message).not.toContain(base.IMS_PASSWORD);
    } finally {
      server.close();
    }
  });
});
