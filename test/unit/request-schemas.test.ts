import { describe, expect, it } from 'vitest';
import type { RequestKind } from '../../lib/requests/record.js';
import { parseQueueMessage } from '../../lib/requests/queue-message.js';
import { parseRequest, requestSchemas, validationErrors } from '../../lib/requests/schemas.js';
import { config } from '../../lib/zod.js';

const IMAGE_ID = 'd164b5df-1bc3-4c3f-893e-3e471fd16e64';
const INSTANCE_ID = '877a2cda-ba63-4e1e-b95f-e67e48b6129a';
const PROJECT_ID = '1bed856811654c1cb661a6ca845ebc77';

const valid: Record<RequestKind, Record<string, unknown>> = {
  export: { image_id: IMAGE_ID, bucket_url: 'ims-image:centos7.qcow2', file_format: 'qcow2' },
  import: { name: 'centos7', image_url: 'ims-image:centos7.qcow2', min_disk: 40 },
  capture: { name: 'web-1', instance_id: INSTANCE_ID },
};

const chars = (n: number, c = 'a') => c.repeat(n);
const httpsUrlOfLength = (n: number) => {
  const head = 'https://hooks.example.com/';
  return head + chars(n - head.length);
};

/** A case: the fields changed from the kind's valid body, and the path of the error expected (none: accepted). */
type Case = { does: string; patch: Record<string, unknown>; path?: string };

function check(kind: RequestKind, { patch, path }: Case) {
  const result = parseRequest(kind, { ...valid[kind], ...patch });
  if (path === undefined) {
    expect(result).toMatchObject({ ok: true });
  } else {
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path)).toContain(path);
  }
}

const commonCases: Case[] = [
  { does: 'accepts an https callback_url', patch: { callback_url: 'https://hooks.example.com/ims' } },
  { does: 'refuses an http callback_url', patch: { callback_url: 'http://hooks.example.com/ims' }, path: 'callback_url' },
  { does: 'refuses a callback_url that is no URL', patch: { callback_url: 'hooks.example.com' }, path: 'callback_url' },
  { does: 'accepts a callback_url of 2048 characters', patch: { callback_url: httpsUrlOfLength(2048) } },
  { does: 'refuses a callback_url of 2049 characters', patch: { callback_url: httpsUrlOfLength(2049) }, path: 'callback_url' },
  { does: 'accepts region eu-de', patch: { region: 'eu-de' } },
  { does: 'accepts region ap-southeast-1', patch: { region: 'ap-southeast-1' } },
  { does: 'accepts a region of 32 characters', patch: { region: chars(32) } },
  { does: 'refuses a region of 33 characters', patch: { region: chars(33) }, path: 'region' },
  { does: 'refuses an upper-case region', patch: { region: 'EU-DE' }, path: 'region' },
  { does: 'refuses a region with an underscore', patch: { region: 'eu_de' }, path: 'region' },
  { does: 'refuses a region with a doubled "-" (no IMS host has one)', patch: { region: 'eu--de' }, path: 'region' },
  { does: 'refuses a region ending in "-"', patch: { region: 'eu-' }, path: 'region' },
  { does: 'accepts a project_id of 32 hex characters', patch: { project_id: PROJECT_ID } },
  { does: 'refuses a project_id of 31 hex characters', patch: { project_id: PROJECT_ID.slice(1) }, path: 'project_id' },
  { does: 'refuses a project_id of 33 hex characters', patch: { project_id: `${PROJECT_ID}a` }, path: 'project_id' },
  { does: 'refuses a project_id with a non-hex character', patch: { project_id: `g${PROJECT_ID.slice(1)}` }, path: 'project_id' },
  { does: 'accepts a client_ref of 128 characters', patch: { client_ref: chars(128) } },
  { does: 'refuses a client_ref of 129 characters', patch: { client_ref: chars(129) }, path: 'client_ref' },
  { does: 'refuses an unknown field by its name', patch: { bukcet_url: 'x' }, path: 'bukcet_url' },
];

const nameCases: Case[] = [
  { does: 'accepts a name of 128 characters', patch: { name: chars(128) } },
  { does: 'refuses a name of 129 characters', patch: { name: chars(129) }, path: 'name' },
  { does: 'refuses an empty name', patch: { name: '' }, path: 'name' },
  { does: 'accepts a name with letters, digits, "-", ".", "_" and inner spaces', patch: { name: 'Cent OS_7.9-x' } },
  { does: 'refuses a name with a leading space', patch: { name: ' centos' }, path: 'name' },
  { does: 'refuses a name with a trailing space', patch: { name: 'centos ' }, path: 'name' },
  { does: 'refuses a name with a slash', patch: { name: 'cent/os' }, path: 'name' },
  { does: 'refuses a missing name', patch: { name: undefined }, path: 'name' },
];

const descriptionCases: Case[] = [
  { does: 'accepts a description of 1024 characters', patch: { description: chars(1024) } },
  { does: 'refuses a description of 1025 characters', patch: { description: chars(1025) }, path: 'description' },
  { does: 'refuses a description with "<"', patch: { description: 'a <b> tag' }, path: 'description' },
  { does: 'refuses a description with ">"', patch: { description: 'a > b' }, path: 'description' },
  { does: 'refuses a description with a carriage return', patch: { description: 'line\rbreak' }, path: 'description' },
];

const tagCases: Case[] = [
  { does: 'accepts tags as key.value', patch: { tags: ['env.prod', 'team.ops'] } },
  { does: 'accepts a tag with an empty value', patch: { tags: ['flag.'] } },
  { does: 'accepts a tag key of 36 characters', patch: { tags: [`${chars(36)}.v`] } },
  { does: 'refuses a tag key of 37 characters', patch: { tags: [`${chars(37)}.v`] }, path: 'tags.0' },
  { does: 'accepts a tag value of 43 characters', patch: { tags: [`k.${chars(43)}`] } },
  { does: 'refuses a tag value of 44 characters', patch: { tags: [`k.${chars(44)}`] }, path: 'tags.0' },
  { does: 'refuses a tag without a dot', patch: { tags: ['env'] }, path: 'tags.0' },
  { does: 'refuses a tag with a bad character, at its index', patch: { tags: ['ok.1', 'en$v.prod'] }, path: 'tags.1' },
  { does: 'accepts image_tags as key and value', patch: { image_tags: [{ key: 'env', value: 'prod' }] } },
  { does: 'accepts an image_tags key of 36 characters', patch: { image_tags: [{ key: chars(36), value: '' }] } },
  { does: 'refuses an image_tags key of 37 characters', patch: { image_tags: [{ key: chars(37), value: '' }] }, path: 'image_tags.0.key' },
  { does: 'accepts an image_tags value of 43 characters', patch: { image_tags: [{ key: 'k', value: chars(43) }] } },
  { does: 'refuses an image_tags value of 44 characters', patch: { image_tags: [{ key: 'k', value: chars(44) }] }, path: 'image_tags.0.value' },
  {
    does: 'refuses an empty image_tags key, at its index',
    patch: { image_tags: [{ key: 'a', value: 'b' }, { key: '  ', value: 'b' }] },
    path: 'image_tags.1.key',
  },
  { does: 'refuses an unknown field inside image_tags', patch: { image_tags: [{ key: 'a', value: 'b', kye: 'c' }] }, path: 'image_tags.0.kye' },
  { does: 'refuses tags together with image_tags', patch: { tags: ['a.b'], image_tags: [{ key: 'a', value: 'b' }] }, path: 'image_tags' },
];

const bucketCases = (field: 'bucket_url' | 'image_url'): Case[] => [
  { does: `accepts a ${field} bucket of 3 characters`, patch: { [field]: 'abc:file.qcow2' } },
  { does: `refuses a ${field} bucket of 2 characters`, patch: { [field]: 'ab:file.qcow2' }, path: field },
  { does: `accepts a ${field} bucket of 63 characters`, patch: { [field]: `${chars(63)}:file.qcow2` } },
  { does: `refuses a ${field} bucket of 64 characters`, patch: { [field]: `${chars(64)}:file.qcow2` }, path: field },
  { does: `refuses an upper-case ${field} bucket`, patch: { [field]: 'Ims-Image:file.qcow2' }, path: field },
  { does: `refuses a ${field} without a colon`, patch: { [field]: 'ims-image/file.qcow2' }, path: field },
  { does: `refuses a ${field} with an empty object name`, patch: { [field]: 'ims-image:' }, path: field },
  { does: `accepts a ${field} object with folders`, patch: { [field]: 'ims-image:images/2026/file.qcow2' } },
  { does: `refuses a ${field} object with a space (IMG.0175)`, patch: { [field]: 'ims-image:my file.qcow2' }, path: field },
];

const exportCases: Case[] = [
  ...commonCases,
  ...bucketCases('bucket_url'),
  ...['qcow2', 'vhd', 'zvhd', 'vmdk'].map((f) => ({ does: `accepts file_format ${f}`, patch: { file_format: f } })),
  { does: 'refuses file_format raw', patch: { file_format: 'raw' }, path: 'file_format' },
  { does: 'refuses a missing file_format', patch: { file_format: undefined }, path: 'file_format' },
  { does: 'accepts a quick export without file_format', patch: { file_format: undefined, is_quick_export: true } },
  { does: 'refuses a quick export with file_format', patch: { is_quick_export: true }, path: 'file_format' },
  { does: 'refuses a non-quick export without file_format', patch: { file_format: undefined, is_quick_export: false }, path: 'file_format' },
  { does: 'refuses an image_id that is no UUID', patch: { image_id: 'd164b5df1bc34c3f893e3e471fd16e64' }, path: 'image_id' },
  { does: 'refuses a missing image_id', patch: { image_id: undefined }, path: 'image_id' },
];

const COS = 'CentOS 7.0 64bit';
const importCases: Case[] = [
  ...commonCases,
  ...nameCases,
  ...descriptionCases,
  ...tagCases,
  ...bucketCases('image_url'),
  { does: 'refuses a system-disk min_disk of 0', patch: { min_disk: 0 }, path: 'min_disk' },
  { does: 'accepts a system-disk min_disk of 1', patch: { min_disk: 1 } },
  { does: 'accepts a system-disk min_disk of 1024', patch: { min_disk: 1024 } },
  { does: 'refuses a system-disk min_disk of 1025', patch: { min_disk: 1025 }, path: 'min_disk' },
  { does: 'refuses a data-disk min_disk of 39', patch: { disk: 'data', min_disk: 39 }, path: 'min_disk' },
  { does: 'accepts a data-disk min_disk of 40', patch: { disk: 'data', min_disk: 40 } },
  { does: 'accepts a data-disk min_disk of 2048', patch: { disk: 'data', min_disk: 2048 } },
  { does: 'refuses a data-disk min_disk of 2049', patch: { disk: 'data', min_disk: 2049 }, path: 'min_disk' },
  { does: 'refuses a quick-import min_disk of 0', patch: { quick: true, os_version: COS, min_disk: 0 }, path: 'min_disk' },
  { does: 'accepts a quick-import min_disk of 1', patch: { quick: true, image_url: 'ims-image:centos7.zvhd2', os_version: COS, min_disk: 1 } },
  { does: 'accepts a quick-import min_disk of 1024', patch: { quick: true, image_url: 'ims-image:centos7.zvhd2', os_version: COS, min_disk: 1024 } },
  { does: 'refuses a quick-import min_disk of 1025', patch: { quick: true, os_version: COS, min_disk: 1025 }, path: 'min_disk' },
  { does: 'accepts a quick data-disk min_disk of 1', patch: { quick: true, image_url: 'ims-image:centos7.zvhd2', disk: 'data', min_disk: 1 } },
  { does: 'refuses a quick data-disk min_disk of 1025', patch: { quick: true, disk: 'data', min_disk: 1025 }, path: 'min_disk' },
  { does: 'refuses a fractional min_disk', patch: { min_disk: 40.5 }, path: 'min_disk' },
  { does: 'refuses a min_disk given as a string', patch: { min_disk: '40' }, path: 'min_disk' },
  { does: 'refuses a missing min_disk', patch: { min_disk: undefined }, path: 'min_disk' },
  { does: 'accepts an os_version from the IMS list', patch: { os_version: COS } },
  { does: 'refuses an os_version not on the IMS list', patch: { os_version: 'CentOS 99 64bit' }, path: 'os_version' },
  { does: 'requires os_version for a quick import', patch: { quick: true }, path: 'os_version' },
  { does: 'requires os_version for type IsoImage', patch: { type: 'IsoImage' }, path: 'os_version' },
  { does: 'accepts type IsoImage with os_version', patch: { type: 'IsoImage', os_version: COS } },
  { does: 'refuses os_version on a data disk', patch: { disk: 'data', os_version: COS }, path: 'os_version' },
  { does: 'accepts os_type on a data disk', patch: { disk: 'data', os_type: 'Windows' } },
  { does: 'refuses os_type on a system disk', patch: { os_type: 'Linux' }, path: 'os_type' },
  { does: 'accepts type Ironic for a system disk', patch: { type: 'Ironic' } },
  { does: 'refuses an unknown type', patch: { type: 'VM' }, path: 'type' },
  { does: 'refuses type DataImage for a system disk', patch: { type: 'DataImage' }, path: 'type' },
  { does: 'accepts type BMS with quick', patch: { quick: true, image_url: 'ims-image:centos7.zvhd2', os_version: COS, type: 'BMS' } },
  { does: 'refuses type FusionCompute with quick', patch: { quick: true, os_version: COS, type: 'FusionCompute' }, path: 'type' },
  { does: 'accepts type DataImage for a quick data-disk import', patch: { quick: true, image_url: 'ims-image:centos7.zvhd2', disk: 'data', type: 'DataImage' } },
  { does: 'refuses a quick import of a .qcow2 file, which is not RAW or ZVHD2', patch: { quick: true, os_version: COS }, path: 'image_url' },
  { does: 'refuses type ECS for a quick data-disk import', patch: { quick: true, disk: 'data', type: 'ECS' }, path: 'type' },
  { does: 'refuses any type for a data disk without quick', patch: { disk: 'data', type: 'ECS' }, path: 'type' },
  { does: 'refuses an unknown disk', patch: { disk: 'boot' }, path: 'disk' },
  { does: 'accepts is_config and is_config_init for a system disk', patch: { is_config: true, is_config_init: false } },
  { does: 'refuses is_config with quick', patch: { quick: true, os_version: COS, is_config: true }, path: 'is_config' },
  { does: 'refuses is_config_init on a data disk', patch: { disk: 'data', is_config_init: true }, path: 'is_config_init' },
  { does: 'accepts min_ram up to max_ram', patch: { min_ram: 1024, max_ram: 2048 } },
  { does: 'refuses min_ram above max_ram', patch: { min_ram: 4096, max_ram: 2048 }, path: 'min_ram' },
  { does: 'refuses max_ram with quick', patch: { quick: true, os_version: COS, max_ram: 2048 }, path: 'max_ram' },
  { does: 'accepts cmk_id on a data disk', patch: { disk: 'data', cmk_id: 'key-1' } },
  { does: 'refuses cmk_id with quick', patch: { quick: true, os_version: COS, cmk_id: 'key-1' }, path: 'cmk_id' },
];

const captureCases: Case[] = [
  ...commonCases,
  ...nameCases,
  ...descriptionCases,
  ...tagCases,
  { does: 'refuses an instance_id that is no UUID', patch: { instance_id: 'server-1' }, path: 'instance_id' },
  { does: 'accepts then_export with a file_format', patch: { then_export: { bucket_url: 'ims-image:web.vmdk', file_format: 'vmdk' } } },
  { does: 'accepts then_export as a quick export', patch: { then_export: { bucket_url: 'ims-image:web.zvhd2', is_quick_export: true } } },
  { does: 'refuses an empty then_export at its bucket_url', patch: { then_export: {} }, path: 'then_export.bucket_url' },
  { does: 'refuses then_export without file_format', patch: { then_export: { bucket_url: 'ims-image:w' } }, path: 'then_export.file_format' },
  {
    does: 'refuses then_export with a bad bucket',
    patch: { then_export: { bucket_url: 'IMS:w', file_format: 'vhd' } },
    path: 'then_export.bucket_url',
  },
  {
    does: 'refuses an image_id inside then_export',
    patch: { then_export: { image_id: IMAGE_ID, bucket_url: 'ims-image:w', file_format: 'vhd' } },
    path: 'then_export.image_id',
  },
  {
    does: 'refuses common fields inside then_export (it inherits them)',
    patch: { then_export: { bucket_url: 'ims-image:w', file_format: 'vhd', callback_url: 'https://x.example.com' } },
    path: 'then_export.callback_url',
  },
  { does: 'refuses import fields on a capture', patch: { min_disk: 40 }, path: 'min_disk' },
];

describe.each([
  ['export', exportCases],
  ['import', importCases],
  ['capture', captureCases],
] as const)('%s requests', (kind, cases) => {
  it('is accepted with only its required fields', () => {
    expect(parseRequest(kind, valid[kind])).toMatchObject({ ok: true });
  });
  it.each(cases.map((c) => [c.does, c] as const))('%s', (_does, c) => check(kind, c));
});

describe('request validation errors', () => {
  it('reports every broken field of a body at once', () => {
    const result = parseRequest('import', { name: ' x', image_url: 'nocolon', min_disk: 0, tags: ['a'], image_tags: [] });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.map((e) => e.path).sort()).toEqual(['image_tags', 'image_url', 'min_disk', 'name', 'tags.0']);
  });

  it('says a missing field is required', () => {
    const result = parseRequest('capture', { name: 'web' });
    expect(result).toEqual({ ok: false, errors: [{ path: 'instance_id', message: 'is required' }] });
  });

  it('names an unknown field and says it is not known', () => {
    const result = parseRequest('export', { ...valid.export, fileformat: 'qcow2' });
    expect(result).toEqual({ ok: false, errors: [{ path: 'fileformat', message: 'is not a known field' }] });
  });

  it('reports a body that is not an object at the empty path', () => {
    for (const body of [null, [], 'export', 42]) {
      const result = parseRequest('export', body);
      expect(result).toEqual({ ok: false, errors: [{ path: '', message: 'must be a JSON object' }] });
    }
  });

  it('keeps a long enumeration out of the message', () => {
    const result = parseRequest('import', { ...valid.import, os_version: 'Plan 9' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message.length).toBeLessThan(120);
  });

  it('words a rule without a message of its own in zod\'s English', () => {
    const result = parseRequest('import', { ...valid.import, cmk_id: '', max_ram: -1 });
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: 'max_ram', message: 'Too small: expected number to be >=0' },
        { path: 'cmk_id', message: 'Too small: expected string to have >=1 characters' },
      ],
    });
  });

  it('parses without generating code (no parser compiled at run time, none at cold start)', () => {
    expect(config().jitless).toBe(true);
  });

  it('gives an import disk "system" when none is given', () => {
    const result = parseRequest('import', valid.import);
    expect(result.ok && result.request.disk).toBe('system');
  });

  it('turns zod issues from any schema into dotted paths', () => {
    const parsed = requestSchemas.capture.safeParse({ ...valid.capture, image_tags: [{ key: 'a', value: chars(44) }] });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(validationErrors(parsed.error)).toEqual([{ path: 'image_tags.0.value', message: expect.any(String) }]);
  });
});

describe('parseQueueMessage', () => {
  const message = (fields: Record<string, unknown>) => JSON.stringify({ kind: 'export', tenant: 'acme', request: valid.export, ...fields });

  it('accepts a valid message and types its request by kind', () => {
    const result = parseQueueMessage(message({ idempotency_key: 'order-42' }));
    expect(result.ok).toBe(true);
    if (result.ok && result.message.kind === 'export') {
      expect(result.message.request.bucket_url).toBe('ims-image:centos7.qcow2');
      expect(result.message.idempotency_key).toBe('order-42');
    }
  });

  it('validates the request exactly like the HTTP body of its kind', () => {
    const body = { kind: 'import', tenant: 'acme', request: { ...valid.import, quick: true } };
    const result = parseQueueMessage(JSON.stringify(body));
    const http = parseRequest('import', body.request);
    expect(result.ok).toBe(false);
    expect(http.ok).toBe(false);
    if (!result.ok && !http.ok) expect(result.errors).toEqual(http.errors.map((e) => ({ ...e, path: `request.${e.path}` })));
  });

  it('answers malformed JSON with no tenant and an error at the empty path', () => {
    expect(parseQueueMessage('{"kind":"export",')).toEqual({ ok: false, tenant: null, errors: [{ path: '', message: 'is not valid JSON' }] });
  });

  it('recovers the tenant of an invalid request so the failure can be recorded', () => {
    const result = parseQueueMessage(message({ request: { ...valid.export, file_format: 'raw' } }));
    expect(result).toMatchObject({ ok: false, tenant: 'acme' });
    if (!result.ok) expect(result.errors.map((e) => e.path)).toEqual(['request.file_format']);
  });

  it('recovers the tenant when the kind is unknown', () => {
    const result = parseQueueMessage(message({ kind: 'copy' }));
    expect(result).toMatchObject({ ok: false, tenant: 'acme', errors: [{ path: 'kind' }] });
  });

  it('gives no tenant when the tenant is not a readable string', () => {
    for (const tenant of [42, '', 'a b', { id: 'acme' }, undefined]) {
      const result = parseQueueMessage(message({ tenant }));
      expect(result).toMatchObject({ ok: false, tenant: null });
      if (!result.ok) expect(result.errors.map((e) => e.path)).toContain('tenant');
    }
  });

  it('gives no tenant when the body is JSON but not an object', () => {
    expect(parseQueueMessage('["acme"]')).toMatchObject({ ok: false, tenant: null });
    expect(parseQueueMessage('"acme"')).toMatchObject({ ok: false, tenant: null });
  });

  it('refuses an idempotency_key of 256 characters', () => {
    const result = parseQueueMessage(message({ idempotency_key: chars(256) }));
    expect(result).toMatchObject({ ok: false, tenant: 'acme', errors: [{ path: 'idempotency_key' }] });
  });

  it('refuses an unknown top-level field by name', () => {
    const result = parseQueueMessage(message({ priority: 1 }));
    expect(result).toMatchObject({ ok: false, tenant: 'acme', errors: [{ path: 'priority', message: 'is not a known field' }] });
  });
});
