// The IMS client against the IMS simulator over real loopback sockets (and two tiny misbehaving
// servers for the transport failures the simulator cannot produce).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';
import { IMS_CODES } from '../../local/ims-sim/errors.js';
import { startImsSimulator, type ImsSimulator } from '../../local/ims-sim/server.js';
import { createImsClient, type ImsClient, type ImsClientDeps } from '../../lib/ims/client.js';
import { isImsError, type ImsError } from '../../lib/ims/errors.js';
import { createHttpTransport, type HttpTransport } from '../../lib/ims/http.js';
import { imsSettings, type ImsSettingsInput } from '../../lib/ims/settings.js';
import { signRequest } from '../../lib/ims/signer.js';
import { preflightExport } from '../../lib/requests/preflight.js';
import { submitToIms } from '../../lib/requests/submit.js';
import { storedRequestFixture } from '../helpers/records.js';
import { logger } from '../../lib/log.js';
import { registerSecret } from '../helpers/secrets.js';

const JOB_MS = 60_000;
const START = Date.parse('2026-11-23T10:00:00.000Z');
let clock = START;
const now = () => clock;

const target = { region: SIM_DEFAULTS.region, projectId: SIM_DEFAULTS.projectId };
const ids = SIM_DEFAULTS.images;
const passwordAuth = { kind: 'password', user: SIM_DEFAULTS.user, password: SIM_DEFAULTS.password, domain: SIM_DEFAULTS.domain } as const;
const akskAuth = { kind: 'aksk', ak: SIM_DEFAULTS.ak, sk: SIM_DEFAULTS.sk } as const;

let sim: ImsSimulator;
let otcSim: ImsSimulator;
const clients: ImsClient[] = [];
/** Every token IAM handed out, so the test can prove none of them reached a log line or error. */
const issuedTokens: string[] = [];
const logged: string[] = [];
const sleeps: number[] = [];

function recordingTransport(timeouts: Parameters<typeof createHttpTransport>[0]): HttpTransport {
  const inner = createHttpTransport(timeouts);
  return {
    async send(origin, request) {
      const answer = await inner.send(origin, request);
      const token = answer.headers['x-subject-token'];
      if (token) issuedTokens.push(registerSecret(token, 'IAM token'));
      return answer;
    },
    close: () => inner.close(),
  };
}

function client(overrides: Partial<ImsSettingsInput> & { url?: string } = {}, deps: ImsClientDeps = {}): ImsClient {
  const { url = sim.url, ...rest } = overrides;
  const settings = imsSettings.parse({
    imsEndpoint: url,
    iamEndpoint: url,
    auth: passwordAuth,
    getRetry: { attempts: 3, baseMs: 10, capMs: 40 },
    timeouts: { connectMs: 2_000, headersMs: 5_000, bodyMs: 5_000 },
    ...rest,
  });
  const c = createImsClient(settings, {
    now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    transport: recordingTransport(settings.timeouts),
    ...deps,
  });
  clients.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<ImsError> {
  try {
    await promise;
  } catch (err) {
    if (isImsError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const callsTo = (method: string, pathPattern: RegExp) => sim.calls().filter((c) => c.method === method && pathPattern.test(c.path));
const tokenCalls = (s: ImsSimulator = sim) => s.calls().filter((c) => c.path === '/v3/auth/tokens').length;

beforeAll(async () => {
  sim = await startImsSimulator({ jobMs: JOB_MS, now });
  otcSim = await startImsSimulator({ jobMs: JOB_MS, now, progressApi: false });
  for (const level of ['debug', 'info', 'warn', 'error'] as const)
    vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
      logged.push(JSON.stringify(args));
    });
});

beforeEach(() => {
  sim.reset();
  otcSim.reset();
  sleeps.length = 0;
  clock = START;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  // No secret may ever reach a log line, whatever the tests above did.
  const secrets = [SIM_DEFAULTS.password, SIM_DEFAULTS.sk, ...issuedTokens];
  expect(issuedTokens.length).toBeGreaterThan(0);
  for (const line of logged) for (const secret of secrets) expect(line).not.toContain(secret);
  vi.restoreAllMocks();
  await Promise.all([sim?.close(), otcSim?.close()]);
});

describe('operations with a password token', () => {
  it('exports an image and follows its job from INIT to SUCCESS with progress', async () => {
    const ims = client();
    const { jobId } = await ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:out/centos.qcow2', file_format: 'qcow2' });
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    expect(callsTo('POST', /^\/v1\/cloudimages\/[^/]+\/file$/)[0]?.body).toEqual({ bucket_url: 'sim-bucket:out/centos.qcow2', file_format: 'qcow2' });

    expect((await ims.getJob(target, jobId)).status).toBe('INIT');
    clock += JOB_MS / 2;
    const running = await ims.getJob(target, jobId);
    expect(running.status).toBe('RUNNING');
    expect(running.progress).toBeGreaterThan(0);
    expect(running.progress).toBeLessThan(100);
    clock += JOB_MS;
    const done = await ims.getJob(target, jobId);
    expect([done.status, done.job_type, done.progress]).toEqual(['SUCCESS', 'imsNativeExportImageJob', 100]);
    expect(callsTo('GET', /^\/v1\/cloudimages\/job\//)).toHaveLength(3);
  });

  it('imports a system disk, a data disk and a quick import, each making an image found by id and name', async () => {
    const ims = client();
    const imports = [
      ['system', { name: 'it-system', image_url: 'sim-bucket:in/system.qcow2', min_disk: 40, os_version: 'CentOS 7.0 64bit' }],
      ['data', { name: 'it-data', image_url: 'sim-bucket:in/data.qcow2', min_disk: 40 }],
      ['quick', { name: 'it-quick', image_url: 'sim-bucket:in/quick.zvhd2', min_disk: 40, os_version: 'CentOS 7.0 64bit' }],
    ] as const;
    const jobs = [];
    for (const [disk, body] of imports) jobs.push((await ims.importImage(target, disk, body)).jobId);
    expect(callsTo('POST', /^\/v[12]\/cloudimages\//).map((c) => c.path)).toEqual([
      '/v2/cloudimages/action',
      '/v1/cloudimages/dataimages/action',
      '/v2/cloudimages/quickimport/action',
    ]);
    clock += JOB_MS;
    for (const [i, jobId] of jobs.entries()) {
      const job = await ims.getJob(target, jobId);
      expect(job.status).toBe('SUCCESS');
      const imageId = job.entities?.image_id ?? '';
      const image = await ims.getImage(target, imageId);
      expect(image?.name).toBe(imports[i]?.[1].name);
      expect(image?.status).toBe('active');
      expect(image?.__data_origin).toBe(`file,${imports[i]?.[1].image_url}`);
      const found = await ims.findImages(target, { name: imports[i]?.[1].name ?? '' });
      expect(found.map((f) => f.id)).toEqual([imageId]);
    }
  });

  it('captures a stopped ECS into an image whose origin names the instance', async () => {
    const ims = client();
    const instanceId = '11111111-2222-4333-8444-555555555555';
    const { jobId } = await ims.captureImage(target, { name: 'it-capture', instance_id: instanceId });
    clock += JOB_MS;
    const job = await ims.getJob(target, jobId);
    expect([job.status, job.job_type]).toEqual(['SUCCESS', 'imsCreateImageByInstance']);
    const image = await ims.getImage(target, job.entities?.image_id ?? '');
    expect(image?.__data_origin).toBe(`instance,${instanceId}`);
  });

  it('reports a failed job with IMS\'s error_code and fail_reason', async () => {
    const ims = client();
    const { jobId } = await ims.importImage(target, 'data', { name: 'sim-fail-data', image_url: 'sim-bucket:x.qcow2', min_disk: 40 });
    clock += JOB_MS;
    const job = await ims.getJob(target, jobId);
    expect(job.status).toBe('FAIL');
    expect(job.error_code).toMatch(/^[A-Z]+\.\d{4}$/);
    expect(job.fail_reason).toBeTruthy();
  });

  it('answers null for an image IMS does not know', async () => {
    expect(await client().getImage(target, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('asks IAM once for many calls and concurrent callers', async () => {
    const ims = client();
    await Promise.all(Array.from({ length: 6 }, () => ims.getImage(target, ids.exportable)));
    await ims.findImages(target, { name: 'sim-exportable-centos' });
    expect(tokenCalls()).toBe(1);
    expect(sim.calls().filter((c) => c.path === '/v2/cloudimages').every((c) => c.auth === 'token')).toBe(true);
  });
});

describe('job status on a cloud without the progress call (OTC)', () => {
  it('falls back to the status call and stops asking for progress on that endpoint', async () => {
    const ims = client({ url: otcSim.url });
    const { jobId } = await ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:otc.vhd', file_format: 'vhd' });
    clock += JOB_MS / 2;
    const first = await ims.getJob(target, jobId);
    const second = await ims.getJob(target, jobId);
    expect([first.status, second.status]).toEqual(['RUNNING', 'RUNNING']);
    expect(first.progress).toBeNull();
    const paths = otcSim.calls().filter((c) => c.method === 'GET').map((c) => c.path);
    expect(paths).toEqual([`/v1/cloudimages/job/${jobId}`, `/v1/${target.projectId}/jobs/${jobId}`, `/v1/${target.projectId}/jobs/${jobId}`]);
  });

  it('still reports an unknown job as refused, not as a missing progress call', async () => {
    const err = await failure(client({ url: otcSim.url }).getJob(target, 'ffffffffffffffffffffffffffffffff'));
    expect([err.kind, err.status]).toEqual(['refused', 404]);
  });
});

describe('AK/SK signing', () => {
  it('performs every kind of call signed, with no IAM token', async () => {
    const ims = client({ auth: akskAuth });
    const exported = await ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:aksk.vmdk', file_format: 'vmdk' });
    const captured = await ims.captureImage(target, { name: 'aksk-capture', instance_id: '21111111-2222-4333-8444-555555555555' });
    const imported = await ims.importImage(target, 'system', { name: 'aksk-import', image_url: 'sim-bucket:a.qcow2', min_disk: 40 });
    clock += JOB_MS;
    for (const { jobId } of [exported, captured, imported]) expect((await ims.getJob(target, jobId)).status).toBe('SUCCESS');
    expect((await ims.findImages(target, { name: 'aksk-import' })).length).toBe(1);
    expect(tokenCalls()).toBe(0);
    expect(sim.calls().every((c) => c.auth === 'aksk')).toBe(true);
  });

  it('is refused as auth with a wrong SK, and the SK appears nowhere in the error', async () => {
    const wrongSk = registerSecret('wrong-secret-key-that-must-not-leak');
    const err = await failure(client({ auth: { ...akskAuth, sk: wrongSk } }).getImage(target, ids.exportable));
    expect([err.kind, err.status]).toEqual(['auth', 401]);
    expect(JSON.stringify({ ...err.toJSON(), stack: err.stack })).not.toContain(wrongSk);
  });
});

describe('token lifetime', () => {
  it('refreshes the token ahead of its expiry', async () => {
    const ims = client();
    await ims.getImage(target, ids.exportable);
    clock += 22 * 3_600_000;
    await ims.getImage(target, ids.exportable);
    expect(tokenCalls()).toBe(1);
    clock += 1.5 * 3_600_000; // within the last hour of 24
    await ims.getImage(target, ids.exportable);
    expect(tokenCalls()).toBe(2);
  });

  it('renews a token IMS no longer accepts and retries the call once, even a POST', async () => {
    // The client's clock lags a day, so it keeps a token the simulator has already expired.
    const ims = client({}, { now: () => clock - 25 * 3_600_000 });
    await ims.getImage(target, ids.exportable);
    clock += 25 * 3_600_000;
    const { jobId } = await ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:after-401.qcow2', file_format: 'qcow2' });
    expect(jobId).toBeTruthy();
    expect(tokenCalls()).toBe(2);
    expect(callsTo('POST', /\/file$/)).toHaveLength(2); // the 401 and the retry
  });

  it('shares one refresh among concurrent calls that all got a 401', async () => {
    const ims = client({}, { now: () => clock - 25 * 3_600_000 });
    await ims.getImage(target, ids.exportable);
    clock += 25 * 3_600_000; // every call below carries a token the simulator has expired
    const images = await Promise.all(Array.from({ length: 6 }, () => ims.getImage(target, ids.exportable)));
    expect(images.every((image) => image?.id === ids.exportable)).toBe(true);
    expect(callsTo('GET', /^\/v2\/cloudimages$/)).toHaveLength(1 + 6 + 6);
    expect(tokenCalls()).toBe(2);
  });

  it('gives up with auth when IMS answers 401 again after a fresh token', async () => {
    const ims = client();
    sim.addFault({ match: 'GET /v2/cloudimages', status: 401, times: 2 });
    const err = await failure(ims.getImage(target, ids.exportable));
    expect([err.kind, err.status]).toEqual(['auth', 401]);
    expect(tokenCalls()).toBe(2);
  });

  it('reports credentials IAM refuses as auth, without the password in the error', async () => {
    const wrong = registerSecret('not-the-password-0123');
    const err = await failure(client({ auth: { ...passwordAuth, password: wrong } }).getImage(target, ids.exportable));
    expect(err.kind).toBe('auth');
    expect(err.operation).toBe('iam.token');
    expect(JSON.stringify({ ...err.toJSON(), stack: err.stack })).not.toContain(wrong);
    expect(callsTo('GET', /./)).toHaveLength(0);
  });
});

describe('tenant credentials', () => {
  // The simulator knows one user and one key; a tenant's set is either that one or a wrong one.
  const tenantPassword = { target: { ...target, auth: passwordAuth } };
  const tokenUsers = () => sim.calls().filter((c) => c.path === '/v3/auth/tokens').map((c) => JSON.stringify(c.body));

  it('signs a call carrying a tenant AK/SK with that key, while the service keeps its password token', async () => {
    const ims = client();
    await ims.getImage(target, ids.exportable);
    const { jobId } = await ims.exportImage({ ...target, auth: akskAuth }, ids.exportable, { bucket_url: 'sim-bucket:tenant.qcow2', file_format: 'qcow2' });
    expect(jobId).toBeTruthy();
    expect(callsTo('POST', /\/file$/).map((c) => c.auth)).toEqual(['aksk']);
    expect(tokenCalls()).toBe(1);
  });

  it('fetches a token for a tenant password once, shared by its concurrent calls, beside the service AK/SK', async () => {
    const ims = client({ auth: akskAuth });
    await Promise.all(Array.from({ length: 6 }, () => ims.getImage(tenantPassword.target, ids.exportable)));
    await ims.getImage(target, ids.exportable);
    expect(tokenCalls()).toBe(1);
    expect(sim.calls().filter((c) => c.path === '/v2/cloudimages').map((c) => c.auth)).toEqual([...Array(6).fill('token'), 'aksk']);
  });

  it('never lends one credential set\u2019s token to another on the same IAM endpoint and project', async () => {
    const ims = client();
    await ims.getImage(target, ids.exportable); // the service's token is cached now
    const wrong = registerSecret('tenant-wrong-password-77');
    const err = await failure(ims.getImage({ ...target, auth: { ...passwordAuth, user: 'other-tenant', password: wrong } }, ids.exportable));
    expect([err.kind, err.operation]).toEqual(['auth', 'iam.token']);
    expect(JSON.stringify({ ...err.toJSON(), stack: err.stack })).not.toContain(wrong);
    expect(tokenUsers().map((b) => b.includes('other-tenant'))).toEqual([false, true]);
    // The service's own calls go on with its cached token.
    expect((await ims.getImage(target, ids.exportable))?.id).toBe(ids.exportable);
    expect(tokenCalls()).toBe(2);
    expect(callsTo('GET', /^\/v2\/cloudimages$/)).toHaveLength(2);
  });

  it('never signs a tenant call with the service key when the tenant key is wrong', async () => {
    const ims = client({ auth: akskAuth });
    const wrongSk = registerSecret('tenant-wrong-sk-0000000000');
    const err = await failure(ims.exportImage({ ...target, auth: { ...akskAuth, sk: wrongSk } }, ids.exportable, { bucket_url: 'sim-bucket:t.qcow2', file_format: 'qcow2' }));
    expect([err.kind, err.status]).toEqual(['auth', 401]);
    expect(callsTo('POST', /\/file$/)).toHaveLength(1);
  });
});

describe('failing fast on credentials', () => {
  const exportBody = { bucket_url: 'sim-bucket:fast.qcow2', file_format: 'qcow2' } as const;

  it('ends a POST with auth after one fresh token when IMS keeps answering 401: 2 IAM calls, 2 submissions', async () => {
    sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 401, times: 5 });
    const err = await failure(client().exportImage(target, ids.exportable, exportBody));
    expect([err.kind, err.status]).toEqual(['auth', 401]);
    expect([tokenCalls(), callsTo('POST', /\/file$/).length]).toEqual([2, 2]);
  });

  it('ends with auth after one IAM call when IAM refuses the password, with no IMS call', async () => {
    const wrong = registerSecret('wrong-password-fast-1');
    const ims = client({ auth: { ...passwordAuth, password: wrong } });
    const errs = await Promise.all([ims.exportImage(target, ids.exportable, exportBody), ims.getImage(target, ids.exportable)].map(failure));
    expect(errs.map((e) => e.kind)).toEqual(['auth', 'auth']);
    expect(tokenCalls()).toBe(1);
    expect(sim.calls().filter((c) => c.path !== '/v3/auth/tokens')).toHaveLength(0);
  });

  it('ends with auth when IAM will not scope a token to an unknown project', async () => {
    const err = await failure(client().exportImage({ ...target, projectId: 'f'.repeat(32) }, ids.exportable, exportBody));
    expect([err.kind, err.operation]).toEqual(['auth', 'iam.token']);
    expect(tokenCalls()).toBe(1);
    expect(callsTo('POST', /\/file$/)).toHaveLength(0);
  });

  it('ends an AK/SK call naming a project the key does not reach with auth after one submission', async () => {
    const err = await failure(client({ auth: akskAuth }).exportImage({ ...target, projectId: 'f'.repeat(32) }, ids.exportable, exportBody));
    expect(err.kind).toBe('auth');
    expect([401, 403]).toContain(err.status);
    expect(callsTo('POST', /\/file$/)).toHaveLength(1);
  });

  it.each(['IMG.0030', 'IMG.0067', 'IMG.0108'])('ends with auth when IMS answers %s (project or token wrong) after one fresh token', async (code) => {
    sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 400, body: { error: { code, message: 'project' } }, times: 5 });
    const err = await failure(client().exportImage(target, ids.exportable, exportBody));
    expect([err.kind, err.code]).toEqual(['auth', code]);
    expect([tokenCalls(), callsTo('POST', /\/file$/).length]).toEqual([2, 2]);
  });

  it('keeps transient IAM and IMS faults retryable', async () => {
    sim.addFault({ match: 'POST /v3/auth/tokens', status: 503, times: 1 });
    const iamDown = await failure(client().exportImage(target, ids.exportable, exportBody));
    expect([iamDown.kind, iamDown.operation]).toEqual(['retryable', 'iam.token']);
    sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 429, times: 1 });
    const throttled = await failure(client().exportImage(target, ids.exportable, exportBody));
    expect([throttled.kind, throttled.status]).toEqual(['retryable', 429]);
    sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 503, times: 1 });
    const unavailable = await failure(client().exportImage(target, ids.exportable, exportBody));
    expect([unavailable.kind, unavailable.status]).toEqual(['retryable', 503]);
  });
});

describe('export pre-flight against the simulator\u2019s images', () => {
  const cases = [
    ['an image IMS does not know', '00000000-0000-4000-8000-000000000000', false, 'image-not-found'],
    ['a public image', ids.publicImage, false, 'image-public'],
    ['an image that is not active', ids.notActive, false, 'image-not-active'],
    ['a full-ECS image', ids.wholeImage, false, 'image-full-ecs'],
    ['an ISO image', ids.iso, false, 'image-iso'],
    ['an image from a backup', ids.fromBackup, false, 'image-from-backup'],
    ['an image from the Windows public image', ids.fromPublicWindows, false, 'image-from-licensed-public-image'],
    ['an image from an Ubuntu public image', ids.fromPublicUbuntu, false, 'image-from-licensed-public-image'],
    ['an image of 1 TB, even quickly', ids.huge, true, 'image-too-large'],
    ['an image over 128 GB without quick export', ids.large, false, 'image-needs-quick-export'],
  ] as const;

  it.each(cases)('refuses %s with only image look-ups, no submission', async (_what, imageId, isQuick, rule) => {
    const refusal = await preflightExport(client(), target, imageId, { is_quick_export: isQuick });
    expect(refusal?.rule).toBe(rule);
    expect(refusal?.code).toMatch(/^IMG\.\d{4}$/);
    expect(sim.calls().filter((c) => c.method !== 'GET' && c.path !== '/v3/auth/tokens')).toHaveLength(0);
  });

  it('lets the exportable image through, and the large one with quick export', async () => {
    const ims = client();
    expect(await preflightExport(ims, target, ids.exportable, {})).toBeNull();
    expect(await preflightExport(ims, target, ids.large, { is_quick_export: true })).toBeNull();
    expect(callsTo('GET', /^\/v2\/cloudimages$/)).toHaveLength(2);
  });
});

describe('the worker\u2019s submission with pre-flight and credentials', () => {
  const exportRecord = (imageId: string, extra: Record<string, unknown> = {}) =>
    storedRequestFixture({
      id: 'req_preflight',
      status: 'submitting',
      region: target.region,
      project_id: target.projectId,
      params: { image_id: imageId, bucket_url: 'sim-bucket:pre.qcow2', file_format: 'qcow2', ...extra },
    });
  const at = () => new Date(clock);

  it('ends an export of an ISO image as a precheck refusal with no submission', async () => {
    const event = await submitToIms(client(), exportRecord(ids.iso), false, at);
    expect(event).toMatchObject({ type: 'ims-refused', source: 'precheck', code: 'IMG.0167' });
    expect(callsTo('POST', /\/file$/)).toHaveLength(0);
  });

  it('submits an exportable image after its look-up', async () => {
    const event = await submitToIms(client(), exportRecord(ids.exportable), false, at);
    expect(event.type).toBe('ims-accepted');
    expect(callsTo('POST', /\/file$/)).toHaveLength(1);
  });

  it('makes every call of a tenant request with the tenant credentials, never the service ones', async () => {
    const wrong = registerSecret('tenant-password-submit-9');
    const event = await submitToIms(client({ auth: akskAuth }), exportRecord(ids.exportable), false, at, { ...passwordAuth, password: wrong });
    expect(event).toMatchObject({ type: 'ims-refused', source: 'auth', code: 'AUTH_FAILED' });
    expect(tokenCalls()).toBe(1);
    expect(sim.calls().filter((c) => c.auth === 'aksk')).toHaveLength(0);
  });

  it('ends with source auth after at most 2 IAM calls when IMS keeps refusing the token', async () => {
    sim.addFault({ match: 'GET /v2/cloudimages', status: 401, times: 5 });
    const event = await submitToIms(client(), exportRecord(ids.exportable), false, at);
    expect(event).toMatchObject({ type: 'ims-refused', source: 'auth' });
    expect(tokenCalls()).toBeLessThanOrEqual(2);
    expect(callsTo('POST', /\/file$/)).toHaveLength(0);
  });
});

describe('refusals IMS alone can know', () => {
  const exportRefusals = [
    ['a full-ECS image', ids.wholeImage, 'IMG.0128'],
    ['an ISO image', ids.iso, 'IMG.0081'],
    ['an image from a charged public image', ids.fromPublicWindows, 'IMG.0079'],
    ['an image from Ubuntu', ids.fromPublicUbuntu, 'IMG.0071'],
    ['an image from a backup', ids.fromBackup, 'IMG.0080'],
    ['a public image', ids.publicImage, 'IMG.0077'],
    ['an image of 1 TB', ids.huge, 'IMG.0071'],
    ['an image over 128 GB without quick export', ids.large, 'IMG.0160'],
    ['an image that is not active', ids.notActive, 'IMG.0046'],
  ] as const;
  it.each(exportRefusals)('refuses to export %s with its IMS code and message verbatim', async (_what, imageId, code) => {
    const err = await failure(client().exportImage(target, imageId, { bucket_url: 'sim-bucket:r.qcow2', file_format: 'qcow2' }));
    expect([err.kind, err.status, err.code, err.message]).toEqual(['refused', 400, code, IMS_CODES[code]]);
  });

  it('exports an image over 128 GB with quick export', async () => {
    const { jobId } = await client().exportImage(target, ids.large, { bucket_url: 'sim-bucket:large.zvhd2', is_quick_export: true });
    expect(jobId).toBeTruthy();
  });

  it('refuses a second export onto an object the first one wrote (IMG.0070)', async () => {
    const ims = client();
    await ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:twice.qcow2', file_format: 'qcow2' });
    clock += JOB_MS;
    const err = await failure(ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:twice.qcow2', file_format: 'qcow2' }));
    expect([err.kind, err.code]).toEqual(['refused', 'IMG.0070']);
  });

  it.each([
    ['running', SIM_DEFAULTS.instances.running, 'IMG.0008'],
    ['busy', SIM_DEFAULTS.instances.busy, 'IMG.0010'],
    ['missing', SIM_DEFAULTS.instances.missing, 'IMG.0005'],
  ] as const)('refuses to capture a %s ECS with %s', async (_what, instanceId, code) => {
    const err = await failure(client().captureImage(target, { name: 'cap', instance_id: instanceId }));
    expect([err.kind, err.code]).toEqual(['refused', code]);
  });
});

describe('validation before sending, and the simulator agreeing when it is bypassed', () => {
  const PATHS = {
    export: `/v1/cloudimages/${ids.exportable}/file`,
    system: '/v2/cloudimages/action',
    data: '/v1/cloudimages/dataimages/action',
    quick: '/v2/cloudimages/quickimport/action',
  } as const;
  type Call = keyof typeof PATHS;
  /** Hands a deliberately invalid body to the client, past the compile-time types. */
  const submit = (ims: ImsClient, call: Call, body: Record<string, unknown>) =>
    call === 'export'
      ? ims.exportImage(target, ids.exportable, body as never)
      : ims.importImage(target, call, body as never);
  const system = { name: 'v', image_url: 'sim-bucket:v.qcow2', min_disk: 40 };
  const dataDisk = { image_url: 'sim-bucket:d', min_disk: 40 };
  const cases: { what: string; call: Call; body: Record<string, unknown>; field: string; code: keyof typeof IMS_CODES }[] = [
    { what: 'quick export with a file format', call: 'export', body: { bucket_url: 'sim-bucket:a', file_format: 'vhd', is_quick_export: true }, field: 'file_format', code: 'IMG.0001' },
    { what: 'an export format IMS does not write', call: 'export', body: { bucket_url: 'sim-bucket:a', file_format: 'raw' }, field: 'file_format', code: 'IMG.0072' },
    { what: 'a name of 129 characters', call: 'system', body: { ...system, name: 'n'.repeat(129) }, field: 'name', code: 'IMG.0002' },
    { what: 'a system min_disk of 1025 GB', call: 'system', body: { ...system, min_disk: 1025 }, field: 'min_disk', code: 'IMG.0055' },
    { what: 'a data disk min_disk of 39 GB', call: 'data', body: { ...system, min_disk: 39 }, field: 'min_disk', code: 'IMG.0055' },
    { what: 'an unknown os_version', call: 'system', body: { ...system, os_version: 'CentOS 99 64bit' }, field: 'os_version', code: 'IMG.0056' },
    { what: 'an ISO import without os_version', call: 'system', body: { ...system, type: 'IsoImage' }, field: 'os_version', code: 'IMG.0166' },
    { what: 'a quick import without os_version', call: 'quick', body: system, field: 'os_version', code: 'IMG.0056' },
    { what: 'tags and image_tags together', call: 'system', body: { ...system, tags: ['a.b'], image_tags: [{ key: 'a', value: 'b' }] }, field: 'image_tags', code: 'IMG.0115' },
    { what: 'four data disks', call: 'system', body: { ...system, data_images: [dataDisk, dataDisk, dataDisk, dataDisk] }, field: 'data_images', code: 'IMG.0194' },
    { what: 'a description with angle brackets', call: 'system', body: { ...system, description: '<script>' }, field: 'description', code: 'IMG.0054' },
    { what: 'a file name with a space', call: 'system', body: { ...system, image_url: 'sim-bucket:my file.qcow2' }, field: 'image_url', code: 'IMG.0175' },
  ];

  it.each(cases)('refuses $what naming $field without calling IMS; IMS itself says $code', async ({ call, body, field, code }) => {
    const err = await failure(submit(client({ auth: akskAuth }), call, body));
    expect([err.kind, err.field, err.status]).toEqual(['refused', field, null]);
    expect(sim.calls()).toHaveLength(0);

    // The same body sent straight to the simulator, past the client's validation.
    const url = `${sim.url}${PATHS[call]}`;
    const text = JSON.stringify(body);
    const headers = signRequest(
      { method: 'POST', url, headers: { 'content-type': 'application/json', 'X-Project-Id': target.projectId }, body: text },
      akskAuth,
      new Date(clock),
    );
    const answer = await undiciRequest(url, { method: 'POST', headers, body: text });
    const answered = (await answer.body.json()) as { error?: { code?: string } };
    expect([answer.statusCode, answered.error?.code]).toEqual([400, code]);
  });
});

describe('retries', () => {
  it('retries a GET answered 429 and then 503 with backoff, then succeeds', async () => {
    const ims = client();
    sim.addFault({ match: 'GET /v2/cloudimages', status: 429, times: 1 });
    sim.addFault({ match: 'GET /v2/cloudimages', status: 503, times: 1 });
    const image = await ims.getImage(target, ids.exportable);
    expect(image?.id).toBe(ids.exportable);
    expect(callsTo('GET', /^\/v2\/cloudimages$/)).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    for (const ms of sleeps) expect(ms).toBeLessThanOrEqual(40);
  });

  it('waits as long as a 429\'s Retry-After asks before retrying a GET', async () => {
    let answered = 0;
    const throttling: HttpServer = createHttpServer((_req, res) => {
      answered++;
      if (answered === 1) res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ images: [{ id: ids.exportable, name: 'x' }] }));
    });
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(throttling.address() as { port: number }).port}`;
      const image = await client({ url, auth: akskAuth }).getImage(target, ids.exportable);
      expect(image?.id).toBe(ids.exportable);
      expect(sleeps).toEqual([2000]);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await new Promise<void>((resolve) => throttling.close(() => resolve()));
    }
  });

  it('gives up on a GET after the configured attempts with retryable and IMS\'s status', async () => {
    const ims = client();
    sim.addFault({ match: 'GET /v2/cloudimages', status: 503, times: 5 });
    const err = await failure(ims.getImage(target, ids.exportable));
    expect([err.kind, err.status]).toEqual(['retryable', 503]);
    expect(callsTo('GET', /^\/v2\/cloudimages$/)).toHaveLength(3);
  });

  it('never repeats a POST that IMS answered with 503', async () => {
    const ims = client();
    sim.addFault({ match: 'POST /v1/cloudimages/*/file', status: 503, times: 1 });
    const err = await failure(ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:503.qcow2', file_format: 'qcow2' }));
    expect([err.kind, err.status]).toEqual(['retryable', 503]);
    expect(callsTo('POST', /\/file$/)).toHaveLength(1);
  });
});

describe('stalled answers', () => {
  // undici checks headers and body timeouts on a ~0.5 s tick, so 250 ms fires within about a second:
  // the simulator holds its answer well beyond that.
  const quick = { timeouts: { connectMs: 1_000, headersMs: 250, bodyMs: 250 } };

  it('times out a stalled GET and succeeds on the retry', async () => {
    const ims = client(quick);
    await ims.getImage(target, ids.exportable); // token first, so only the GET stalls
    sim.addFault({ match: 'GET /v2/cloudimages', delay_ms: 2_500, times: 1 });
    const image = await ims.getImage(target, ids.exportable);
    expect(image?.id).toBe(ids.exportable);
    expect(sleeps).toHaveLength(1);
  });

  it('reports a stalled GET as retryable once attempts run out', async () => {
    const ims = client({ ...quick, getRetry: { attempts: 1, baseMs: 1, capMs: 1 } });
    await ims.getImage(target, ids.exportable);
    sim.addFault({ match: 'GET /v2/cloudimages', delay_ms: 2_500, times: 1 });
    const err = await failure(ims.getImage(target, ids.exportable));
    expect([err.kind, err.code]).toEqual(['retryable', 'UND_ERR_HEADERS_TIMEOUT']);
  });

  it('reports a stalled export as unknown-outcome, sent once, and IMS did act on it', async () => {
    const ims = client(quick);
    await ims.getImage(target, ids.exportable);
    sim.addFault({ match: 'POST /v1/cloudimages/*/file', delay_ms: 2_500, times: 1 });
    const body = { bucket_url: 'sim-bucket:stalled.qcow2', file_format: 'qcow2' } as const;
    const err = await failure(ims.exportImage(target, ids.exportable, body));
    expect([err.kind, err.status]).toEqual(['unknown-outcome', null]);
    expect(callsTo('POST', /\/file$/)).toHaveLength(1);
    // The export did happen: once it wrote the object, a second one onto it is IMG.0070.
    clock += JOB_MS;
    const again = await failure(ims.exportImage(target, ids.exportable, body));
    expect(again.code).toBe('IMG.0070');
  });
});

describe('connections that fail', () => {
  let closedPort: number;
  let resetServer: NetServer;
  let resetUrl: string;
  let resetConnections = 0;

  beforeAll(async () => {
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // Reads the request, then drops the connection without answering: sent, answer lost.
    resetServer = createNetServer((socket) => {
      resetConnections++;
      socket.once('data', () => socket.destroy());
    });
    await new Promise<void>((resolve) => resetServer.listen(0, '127.0.0.1', resolve));
    resetUrl = `http://127.0.0.1:${(resetServer.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => resetServer.close(() => resolve()));
  });

  beforeEach(() => {
    resetConnections = 0;
  });

  it('retries a POST that could not connect, since it never left, and ends retryable', async () => {
    const ims = client({ url: `http://127.0.0.1:${closedPort}`, auth: akskAuth });
    const err = await failure(ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:x.qcow2', file_format: 'qcow2' }));
    expect([err.kind, err.code]).toEqual(['retryable', 'ECONNREFUSED']);
    expect(sleeps).toHaveLength(2);
  });

  it('reports a POST whose connection broke after sending as unknown-outcome, without retrying', async () => {
    const ims = client({ url: resetUrl, auth: akskAuth });
    const err = await failure(ims.exportImage(target, ids.exportable, { bucket_url: 'sim-bucket:x.qcow2', file_format: 'qcow2' }));
    expect(err.kind).toBe('unknown-outcome');
    expect(resetConnections).toBe(1);
  });

  it('retries a GET whose connection broke, then reports retryable', async () => {
    const ims = client({ url: resetUrl, auth: akskAuth });
    const err = await failure(ims.getImage(target, ids.exportable));
    expect(err.kind).toBe('retryable');
    expect(resetConnections).toBe(3);
  });
});
