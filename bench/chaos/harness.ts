// The chaos harness, black-box: requests go in through the HTTP API, faults through the IMS
// simulator's control API (/_sim/), and every figure is read back from the API, the simulator's
// IMS API and a webhook receiver, never from lib/ internals, so it measures whatever the code does.
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { SIM_DEFAULTS } from '../../local/ims-sim/defaults.js';

export type RequestShape = 'export' | 'export-quick' | 'import-system' | 'import-data' | 'import-quick' | 'capture' | 'capture-export' | 'invalid' | 'sim-fail';

/** A seeded generator (mulberry32), so a run's mix, faults and spreads can be repeated (`CHAOS_SEED`; the lag bench too). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

export interface PlannedRequest {
  n: number;
  shape: RequestShape;
  route: '/v1/exports' | '/v1/imports' | '/v1/captures';
  body: Record<string, unknown>;
  /** The outcome a correct service reaches (faults only delay it): sim-fail ones fail, valid ones succeed. */
  expect: 'succeeded' | 'failed' | 'rejected';
}

const VALID_SHAPES: RequestShape[] = ['export', 'export-quick', 'import-system', 'import-data', 'import-quick', 'capture', 'capture-export'];

/** N requests of every kind: 10 % invalid (answered 4xx), 10 % that IMS fails (`sim-fail` names), the rest valid. */
export function planRequests(count: number, runId: string, rnd: () => number): PlannedRequest[] {
  const plan: PlannedRequest[] = [];
  for (let n = 0; n < count; n++) {
    const roll = rnd();
    const shape: RequestShape = roll < 0.1 ? 'invalid' : roll < 0.2 ? 'sim-fail' : (VALID_SHAPES[n % VALID_SHAPES.length] as RequestShape);
    plan.push(planOne(n, shape, runId, rnd));
  }
  return plan;
}

function planOne(n: number, shape: RequestShape, runId: string, rnd: () => number): PlannedRequest {
  const name = `chaos-${runId}-${n}`;
  const object = `chaos/${runId}/${n}`;
  const exportBody = { image_id: SIM_DEFAULTS.images.exportable, bucket_url: `chaos-bucket:${object}.qcow2`, file_format: 'qcow2', client_ref: name };
  switch (shape) {
    case 'export':
      return { n, shape, route: '/v1/exports', body: exportBody, expect: 'succeeded' };
    case 'export-quick':
      return { n, shape, route: '/v1/exports', body: { image_id: SIM_DEFAULTS.images.large, bucket_url: `chaos-bucket:${object}.zvhd2`, is_quick_export: true, client_ref: name }, expect: 'succeeded' };
    case 'import-system':
      return { n, shape, route: '/v1/imports', body: { name, image_url: `chaos-bucket:${object}.qcow2`, min_disk: 40, os_version: 'Ubuntu 18.04 server 64bit', client_ref: name }, expect: 'succeeded' };
    case 'import-data':
      return { n, shape, route: '/v1/imports', body: { name, image_url: `chaos-bucket:${object}.qcow2`, min_disk: 40, disk: 'data', client_ref: name }, expect: 'succeeded' };
    case 'import-quick':
      return { n, shape, route: '/v1/imports', body: { name, image_url: `chaos-bucket:${object}.zvhd2`, min_disk: 40, quick: true, os_version: 'Ubuntu 18.04 server 64bit', client_ref: name }, expect: 'succeeded' };
    case 'capture':
      return { n, shape, route: '/v1/captures', body: { name, instance_id: randomUUID(), client_ref: name }, expect: 'succeeded' };
    case 'capture-export':
      return { n, shape, route: '/v1/captures', body: { name, instance_id: randomUUID(), then_export: { bucket_url: `chaos-bucket:${object}.qcow2`, file_format: 'qcow2' }, client_ref: name }, expect: 'succeeded' };
    case 'sim-fail': {
      const failName = `sim-fail-${runId}-${n}`;
      const which = pick(rnd, ['export', 'import', 'capture'] as const);
      if (which === 'export') return { n, shape, route: '/v1/exports', body: { ...exportBody, bucket_url: `sim-fail-bucket:${object}.qcow2` }, expect: 'failed' };
      if (which === 'import') return { n, shape, route: '/v1/imports', body: { name: failName, image_url: `chaos-bucket:${object}.qcow2`, min_disk: 40, os_version: 'Ubuntu 18.04 server 64bit', client_ref: name }, expect: 'failed' };
      return { n, shape, route: '/v1/captures', body: { name: failName, instance_id: randomUUID(), client_ref: name }, expect: 'failed' };
    }
    case 'invalid': {
      const mutations: [PlannedRequest['route'], Record<string, unknown>][] = [
        ['/v1/exports', { ...exportBody, image_id: 'not-a-uuid' }],
        ['/v1/exports', { ...exportBody, file_format: 'iso' }],
        ['/v1/exports', { ...exportBody, is_quick_export: true }],
        ['/v1/imports', { name, image_url: 'no-colon', min_disk: 40 }],
        ['/v1/imports', { name, image_url: `chaos-bucket:${object}`, min_disk: 4096 }],
        ['/v1/captures', { name: ' leading space', instance_id: randomUUID() }],
        ['/v1/captures', { name, instance_id: randomUUID(), surprise: true }],
      ];
      const [route, body] = pick(rnd, mutations);
      return { n, shape, route, body, expect: 'rejected' };
    }
  }
}

// ---- faults ----

export interface FaultSpec { label: string; fault: Record<string, unknown> }

/** Every fault kind the simulator has, for a client whose timeout is `clientTimeoutMs`. */
export function faultKinds(clientTimeoutMs: number): FaultSpec[] {
  const stall = clientTimeoutMs + 1_000;
  const kinds: FaultSpec[] = [];
  for (const status of [429, 500, 502, 503, 504]) kinds.push({ label: `${status}`, fault: { status } });
  // IMS acted and the gateway's error replaced its answer: 500/502/504. A 429 or 503 means IMS did
  // nothing (throttled, unavailable), and the client may resubmit after one; acting first is not that fault.
  for (const status of [500, 502, 504]) kinds.push({ label: `${status} acted`, fault: { status, acted: true } });
  kinds.push({ label: 'slow answer', fault: { delay_ms: 300 } });
  kinds.push({ label: 'answer lost (stall past timeout)', fault: { delay_ms: stall } });
  kinds.push({ label: 'request lost (504 after delay)', fault: { delay_ms: 300, lost: 'request' } });
  kinds.push({ label: 'request lost (stall past timeout)', fault: { delay_ms: stall, lost: 'request' } });
  return kinds;
}

/** The IMS routes faults go to, as the simulator matches them, with a harmless call that drains them. */
const FAULT_ROUTES = [
  'POST /v1/cloudimages/*/file',
  'POST /v2/cloudimages/action',
  'POST /v2/cloudimages/quickimport/action',
  'POST /v1/cloudimages/dataimages/action',
  'GET /v1/*/jobs/*',
  'GET /v1/cloudimages/job/*',
  'GET /v2/cloudimages',
] as const;

function routeOf(method: string, path: string): string | undefined {
  const segments = path.split('/');
  return FAULT_ROUTES.find((r) => {
    const [m, p] = r.split(' ') as [string, string];
    const pattern = p.split('/');
    return m === method && pattern.length === segments.length && pattern.every((s, i) => s === '*' || s === segments[i]);
  });
}

async function json(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: Record<string, string | string[] | undefined> }> {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: kept as text
  }
  return { status: res.statusCode, body, headers: res.headers };
}

export interface FaultFeeder {
  /** Faults given to the simulator so far, by kind. */
  injected: Map<string, number>;
  imsCalls: () => number;
  stop(): Promise<void>;
  /** After stop: calls each route until it answers unfaulted, so the checks below see the real IMS. */
  drain(simUrl: string): Promise<void>;
}

/**
 * Keeps about `share` of the IMS calls on each route faulted: every `everyMs` it reads the call log
 * and tops each route's injected faults up to share × its calls + 1 (the simulator takes them in order).
 */
export function startFaultFeeder(simUrl: () => string, share: number, kinds: FaultSpec[], rnd: () => number, everyMs = 500): FaultFeeder {
  const injected = new Map<string, number>();
  let perRoute = new Map<string, number>();
  let calls = 0;
  let stopped = false;
  const tick = async () => {
    const got = await json(`${simUrl()}/_sim/calls`);
    if (got.status !== 200 || !Array.isArray(got.body)) return;
    const counts = new Map<string, number>();
    for (const c of got.body as { method: string; path: string }[]) {
      const route = routeOf(c.method, c.path);
      if (route) counts.set(route, (counts.get(route) ?? 0) + 1);
    }
    // IMS calls only: OBS reads (the worker's pre-submission checks, the evidence of exports) are not faulted.
    calls = (got.body as { service?: string }[]).filter((c) => c.service !== 'obs').length;
    for (const route of FAULT_ROUTES) {
      const wanted = Math.floor(share * (counts.get(route) ?? 0)) + 1;
      let have = perRoute.get(route) ?? 0;
      while (have < wanted) {
        const kind = pick(rnd, kinds);
        const added = await json(`${simUrl()}/_sim/faults`, { method: 'POST', body: { match: route, ...kind.fault } });
        if (added.status !== 201) throw new Error(`the simulator refused a fault: ${JSON.stringify(added.body)}`);
        injected.set(kind.label, (injected.get(kind.label) ?? 0) + 1);
        have++;
      }
      perRoute.set(route, have);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        await tick();
      } catch {
        // the simulator is restarting (crash run): the next tick tries again
        perRoute = new Map();
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    injected,
    imsCalls: () => calls,
    async stop() {
      stopped = true;
      await loop;
    },
    drain: drainFaults,
  };
}

async function drainFaults(simUrl: string): Promise<void> {
  const token = await imsToken(simUrl);
  const p = SIM_DEFAULTS.projectId;
  const harmless: Record<(typeof FAULT_ROUTES)[number], { method: string; path: string; body?: unknown }> = {
    'POST /v1/cloudimages/*/file': { method: 'POST', path: `/v1/cloudimages/${randomUUID()}/file`, body: { bucket_url: 'drain:x.qcow2', file_format: 'qcow2' } },
    'POST /v2/cloudimages/action': { method: 'POST', path: '/v2/cloudimages/action', body: {} },
    'POST /v2/cloudimages/quickimport/action': { method: 'POST', path: '/v2/cloudimages/quickimport/action', body: {} },
    'POST /v1/cloudimages/dataimages/action': { method: 'POST', path: '/v1/cloudimages/dataimages/action', body: {} },
    'GET /v1/*/jobs/*': { method: 'GET', path: `/v1/${p}/jobs/drain` },
    'GET /v1/cloudimages/job/*': { method: 'GET', path: '/v1/cloudimages/job/drain' },
    'GET /v2/cloudimages': { method: 'GET', path: '/v2/cloudimages?limit=1' },
  };
  await Promise.all(
    FAULT_ROUTES.map(async (route) => {
      const call = harmless[route];
      // An unfaulted answer is a 2xx or 4xx that came at once; a fault is a 429/5xx or a delay.
      for (let i = 0; i < 200; i++) {
        const started = Date.now();
        const got = await json(`${simUrl}${call.path}`, { method: call.method, body: call.body, headers: { 'x-auth-token': token } });
        if (got.status < 429 && Date.now() - started < 250) return;
      }
      throw new Error(`faults on ${route} did not drain`);
    }),
  );
}

// ---- reading IMS (the simulator) ----

export async function imsToken(simUrl: string): Promise<string> {
  const got = await json(`${simUrl}/v3/auth/tokens`, {
    method: 'POST',
    body: {
      auth: {
        identity: { methods: ['password'], password: { user: { name: SIM_DEFAULTS.user, password: SIM_DEFAULTS.password, domain: { name: SIM_DEFAULTS.domain } } } },
        scope: { project: { id: SIM_DEFAULTS.projectId } },
      },
    },
  });
  const token = got.headers['x-subject-token'];
  if (got.status !== 201 || typeof token !== 'string') throw new Error(`the simulator gave no token (${got.status})`);
  return token;
}

export interface ImsImage { id: string; name: string; status: string; __data_origin?: string }

/** Every image the simulator holds for our project, through its IMS image list. */
export async function listImages(simUrl: string, token: string): Promise<ImsImage[]> {
  const all: ImsImage[] = [];
  let marker: string | undefined;
  for (;;) {
    const got = await json(`${simUrl}/v2/cloudimages?limit=1000&sort_key=id&sort_dir=asc${marker ? `&marker=${marker}` : ''}`, { headers: { 'x-auth-token': token } });
    if (got.status !== 200) throw new Error(`image list answered ${got.status}`);
    const page = (got.body as { images: ImsImage[] }).images;
    all.push(...page);
    if (page.length < 1000) return all;
    marker = page[page.length - 1]?.id;
  }
}

export async function jobStatus(simUrl: string, token: string, jobId: string): Promise<string> {
  const got = await json(`${simUrl}/v1/${SIM_DEFAULTS.projectId}/jobs/${jobId}`, { headers: { 'x-auth-token': token } });
  return got.status === 200 ? String((got.body as { status: string }).status) : `HTTP ${got.status}`;
}

/** Every OBS object the simulator shows as complete (uploaded, or written by an export job that succeeded), as `bucket:key`. */
export async function writtenObjects(simUrl: string): Promise<Set<string>> {
  const got = await json(`${simUrl}/_sim/objects`);
  if (got.status !== 200) throw new Error(`GET /_sim/objects answered ${got.status}`);
  const objects = (got.body as { objects: { bucket: string; key: string; complete?: boolean }[] }).objects;
  return new Set(objects.filter((o) => o.complete !== false).map((o) => `${o.bucket}:${o.key}`));
}

// ---- the API ----

export interface ApiRecord {
  id: string;
  kind: 'export' | 'import' | 'capture';
  status: string;
  params: Record<string, unknown>;
  ims_job_id: string | null;
  image_id: string | null;
  parent_id: string | null;
  child_id: string | null;
  client_ref: string | null;
  attempts: number;
  webhook: { status: string; attempts: number };
  error: { code: string } | null;
  next_check_at: string | null;
}

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** `simUrl`: the simulator whose OBS receives an import's source file before the import is sent. */
export interface Api { url: string; key: string; simUrl?: string }

export async function submit(api: Api, planned: PlannedRequest): Promise<{ status: number; id?: string; problemType?: string }> {
  // A user uploads the file before importing it; the worker checks that the source object exists.
  const source = typeof planned.body.image_url === 'string' ? planned.body.image_url : '';
  const colon = source.indexOf(':');
  if (api.simUrl && colon > 0) {
    const put = await json(`${api.simUrl}/_sim/objects`, { method: 'POST', body: { bucket: source.slice(0, colon), key: source.slice(colon + 1) } });
    if (put.status !== 201) throw new Error(`the simulator refused an upload: ${JSON.stringify(put.body)}`);
  }
  const key = `chaos-${String(planned.body.client_ref ?? randomUUID())}-${planned.n}`;
  let got = await json(`${api.url}${planned.route}`, { method: 'POST', headers: { authorization: `Bearer ${api.key}`, 'idempotency-key': key }, body: planned.body });
  // Throttled: wait as told and send the same request again (same Idempotency-Key), as a client would.
  for (let i = 0; got.status === 429 && i < 20; i++) {
    await new Promise((r) => setTimeout(r, Math.min(60, Number(got.headers['retry-after'] ?? 1)) * 1000));
    got = await json(`${api.url}${planned.route}`, { method: 'POST', headers: { authorization: `Bearer ${api.key}`, 'idempotency-key': key }, body: planned.body });
  }
  const body = got.body as { id?: string; type?: string } | null;
  return { status: got.status, ...(body?.id ? { id: body.id } : {}), ...(body?.type ? { problemType: body.type } : {}) };
}

/** Every record of the tenant, through the paged list. */
export async function listRecords(api: Api): Promise<ApiRecord[]> {
  const all: ApiRecord[] = [];
  let cursor: string | null = null;
  for (;;) {
    const got = await json(`${api.url}/v1/requests?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { authorization: `Bearer ${api.key}` } });
    if (got.status !== 200) throw new Error(`GET /v1/requests answered ${got.status}`);
    const page = got.body as { items: ApiRecord[]; next_cursor: string | null };
    all.push(...page.items);
    if (!page.next_cursor) return all;
    cursor = page.next_cursor;
  }
}

/** Runs `fn` over `items` with at most `width` in flight. */
export async function inFlight<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}
