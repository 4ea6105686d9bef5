import { describe, expect, it } from 'vitest';
import { parseCommand, unescapeSlackText, type CommandError } from '../../lib/chatops/commands.js';

const IMAGE = 'd164b5df-1bc3-4c3f-893e-3e471fd16e64';
const INSTANCE = '877a2cda-ba63-4e1e-b95f-e67e48b6129a';
const REQ = 'req_01J9ZC5K7Q3T8V6W2X4Y0A1B2C';

function errorOf(text: string): CommandError {
  const parsed = parseCommand(text);
  if (parsed.ok) throw new Error(`expected "${text}" to be refused`);
  return parsed.error;
}

describe('export command', () => {
  it('makes an export request with the format given', () => {
    expect(parseCommand(`export ${IMAGE} ims-image:centos7.img vmdk`)).toEqual({
      ok: true,
      command: { action: 'create', kind: 'export', request: { image_id: IMAGE, bucket_url: 'ims-image:centos7.img', file_format: 'vmdk' } },
    });
  });

  it('turns "quick" into a quick export without a file format', () => {
    expect(parseCommand(`export ${IMAGE} ims-image:big.zvhd2 QUICK`)).toMatchObject({
      ok: true,
      command: { request: { image_id: IMAGE, bucket_url: 'ims-image:big.zvhd2', is_quick_export: true } },
    });
    const parsed = parseCommand(`export ${IMAGE} ims-image:big.zvhd2 quick`);
    if (parsed.ok && parsed.command.action === 'create') expect(parsed.command.request).not.toHaveProperty('file_format');
  });

  it('takes the format from the object extension when none is given, else qcow2', () => {
    const formatOf = (object: string) => {
      const parsed = parseCommand(`export ${IMAGE} ims-image:${object}`);
      return parsed.ok && parsed.command.action === 'create' ? parsed.command.request.file_format : null;
    };
    expect(formatOf('win.vhd')).toBe('vhd');
    expect(formatOf('disk.VMDK')).toBe('vmdk');
    expect(formatOf('centos7.img')).toBe('qcow2');
    expect(formatOf('folder/centos7')).toBe('qcow2');
  });

  it('names the missing arguments', () => {
    expect(errorOf('export')).toMatchObject({ kind: 'usage', command: 'export', message: expect.stringContaining('<image_id> <bucket:object>') });
    expect(errorOf(`export ${IMAGE}`)).toMatchObject({ kind: 'usage', message: 'export needs <bucket:object> (missing it).' });
  });

  it('refuses an unknown format and surplus arguments', () => {
    expect(errorOf(`export ${IMAGE} ims-image:a.raw raw`)).toMatchObject({ kind: 'usage', message: expect.stringMatching(/"raw" is not an export format: use one of qcow2, vhd, zvhd, vmdk, quick/) });
    expect(errorOf(`export ${IMAGE} ims-image:a.qcow2 qcow2 now`)).toMatchObject({ kind: 'usage', message: expect.stringContaining('"now" is one too many') });
  });

  it('reports the request schema\'s field errors for a bad image id and bucket', () => {
    const error = errorOf('export not-a-uuid Bucket_Upper:a.qcow2');
    expect(error).toMatchObject({ kind: 'invalid', command: 'export' });
    if (error.kind === 'invalid') {
      expect(error.errors).toEqual(
        expect.arrayContaining([
          { path: 'image_id', message: 'must be a UUID' },
          { path: 'bucket_url', message: expect.stringContaining('bucket must have 3 to 63') },
        ]),
      );
    }
  });
});

describe('import command', () => {
  it('makes a system-disk import, with an OS version made of the rest of the line', () => {
    expect(parseCommand('import ims-image:ubuntu.qcow2 ubuntu-18 40 Ubuntu 18.04 server 64bit')).toEqual({
      ok: true,
      command: { action: 'create', kind: 'import', request: { image_url: 'ims-image:ubuntu.qcow2', name: 'ubuntu-18', min_disk: 40, disk: 'system', os_version: 'Ubuntu 18.04 server 64bit' } },
    });
  });

  it('matches the OS version whatever its case and spacing', () => {
    const parsed = parseCommand('import ims-image:u.qcow2 u 40 ubuntu   18.04 SERVER 64bit');
    expect(parsed).toMatchObject({ ok: true, command: { request: { os_version: 'Ubuntu 18.04 server 64bit' } } });
  });

  it('imports without an OS version', () => {
    expect(parseCommand('import ims-image:c.qcow2 centos 40')).toMatchObject({ ok: true, command: { request: { min_disk: 40 } } });
  });

  it('names the missing arguments and refuses a min_disk that is not a whole number', () => {
    expect(errorOf('import ims-image:c.qcow2 centos')).toMatchObject({ kind: 'usage', message: 'import needs <min_disk> (missing it).' });
    expect(errorOf('import')).toMatchObject({ message: 'import needs <bucket:object> <name> <min_disk> (missing them).' });
    expect(errorOf('import ims-image:c.qcow2 centos 40GB')).toMatchObject({ kind: 'usage', message: expect.stringContaining('whole number of GB, not "40GB"') });
  });

  it('reports an out-of-range min_disk and an unknown OS version with suggestions', () => {
    const error = errorOf('import ims-image:c.qcow2 centos 4096 Ubuntu 99.04 server 64bit');
    expect(error).toMatchObject({ kind: 'invalid', command: 'import' });
    if (error.kind === 'invalid') {
      expect(error.errors.map((e) => e.path).sort()).toEqual(['min_disk', 'os_version']);
      expect(error.errors.find((e) => e.path === 'min_disk')?.message).toMatch(/between 1 and 1024 GB/);
      expect(error.suggestions.length).toBeGreaterThan(0);
      for (const s of error.suggestions) expect(s).toMatch(/^Ubuntu/);
    }
  });
});

describe('capture command', () => {
  it('makes a capture whose name is the rest of the line', () => {
    expect(parseCommand(`capture ${INSTANCE} web 01 golden`)).toEqual({
      ok: true,
      command: { action: 'create', kind: 'capture', request: { instance_id: INSTANCE, name: 'web 01 golden' } },
    });
  });

  it('needs a name and a valid instance id', () => {
    expect(errorOf(`capture ${INSTANCE}`)).toMatchObject({ kind: 'usage', message: 'capture needs <name> (missing it).' });
    expect(errorOf('capture web-01 golden')).toMatchObject({ kind: 'invalid', errors: [{ path: 'instance_id', message: 'must be a UUID' }] });
    expect(errorOf(`capture ${INSTANCE} web/01`)).toMatchObject({ kind: 'invalid', errors: [{ path: 'name' }] });
  });
});

describe('status, list and help', () => {
  it('reads a request id in any case', () => {
    expect(parseCommand(`status ${REQ}`)).toEqual({ ok: true, command: { action: 'status', id: REQ } });
    expect(parseCommand(`STATUS ${REQ.toLowerCase()}`)).toEqual({ ok: true, command: { action: 'status', id: REQ } });
  });

  it('refuses a missing or malformed request id', () => {
    expect(errorOf('status')).toMatchObject({ kind: 'usage', command: 'status', message: 'status needs <request id> (missing it).' });
    expect(errorOf('status req_123')).toMatchObject({ kind: 'usage', message: expect.stringContaining('"req_123" is not a request id') });
    expect(errorOf(`status ${REQ} ${REQ}`)).toMatchObject({ kind: 'usage', message: 'status takes one request id.' });
  });

  it('lists and helps without arguments, and refuses arguments', () => {
    expect(parseCommand('list')).toEqual({ ok: true, command: { action: 'list' } });
    expect(parseCommand('help')).toEqual({ ok: true, command: { action: 'help' } });
    expect(parseCommand('   ')).toEqual({ ok: true, command: { action: 'help' } });
    expect(errorOf('list everything')).toMatchObject({ kind: 'usage', command: 'list', message: 'list takes no arguments.' });
  });

  it('refuses an unknown command and names the known ones', () => {
    expect(errorOf('delete req_1')).toEqual({ kind: 'usage', command: null, message: '"delete" is not a command. Commands: export, import, capture, status, list, help.' });
  });
});

describe('Slack text escaping', () => {
  it('reads the label of links Slack made of the arguments, and undoes entity escapes', () => {
    expect(unescapeSlackText('export x ims-image:<http://centos7.qcow2|centos7.qcow2>')).toBe('export x ims-image:centos7.qcow2');
    expect(unescapeSlackText('a &amp; b &lt;c&gt;')).toBe('a & b <c>');
    expect(parseCommand(`export ${IMAGE} <http://ims-image:centos7.qcow2>`)).toMatchObject({ ok: true, command: { request: { bucket_url: 'ims-image:centos7.qcow2' } } });
  });
});

describe('region= and project= words', () => {
  const PROJECT = '0123456789abcdef0123456789abcdef';

  it('place a create command in another IMS project, wherever they stand after the command', () => {
    expect(parseCommand(`export ${IMAGE} ims-image:c.qcow2 project=${PROJECT} region=eu-nl`)).toMatchObject({
      ok: true,
      command: { action: 'create', kind: 'export', request: { image_id: IMAGE, bucket_url: 'ims-image:c.qcow2', file_format: 'qcow2', project_id: PROJECT, region: 'eu-nl' } },
    });
    expect(parseCommand(`capture region=eu-de ${IMAGE} my image`)).toMatchObject({ ok: true, command: { request: { name: 'my image', region: 'eu-de' } } });
  });

  it('are validated like the API\'s fields, and refused on commands that create nothing', () => {
    const bad = parseCommand(`export ${IMAGE} ims-image:c.qcow2 region=EU_DE`);
    expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid', errors: [expect.objectContaining({ path: 'region' })] } });
    expect(parseCommand('list project=abc')).toMatchObject({ ok: false, error: { kind: 'usage', command: 'list' } });
  });
});
