import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OWN_ERROR_CODES, hintFor } from '../../lib/ims/hints.js';
import { errorSource } from '../../lib/requests/record.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every code of the IMS error code reference, one a line: the table the hints must cover. */
const documentedCodes = readFileSync(join(root, 'test', 'fixtures', 'ims-error-codes.txt'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '');

// A copy of the IMS API reference pages may sit beside the checkout (it does on the team's
// machines, not in CI); when it does, the fixture must be exactly the codes of its table.
const referencePage = join(root, '..', 'shared', 'ims-docs', 'error_codes.rst');
const referencePresent = existsSync(referencePage);

interface ReferenceRow {
  code: string;
  /** The reference's message, description and handling measure. */
  texts: string[];
}

/** The rows of the reference page's RST grid table, each cell's lines joined. */
function referenceRows(rst: string): ReferenceRow[] {
  const rows: string[][] = [];
  let cells: string[][] | null = null;
  for (const line of rst.split('\n')) {
    const trimmed = line.trim();
    if (/^\+[-=+]+\+$/.test(trimmed)) {
      if (cells) rows.push(cells.map((c) => c.join(' ')));
      cells = null;
    } else if (trimmed.startsWith('|') && trimmed.endsWith('|')) {
      const parts = trimmed.slice(1, -1).split('|').map((c) => c.trim());
      cells ??= parts.map(() => []);
      parts.forEach((part, i) => {
        if (part !== '') cells?.[i]?.push(part);
      });
    }
  }
  const [header, ...body] = rows;
  if (!header) throw new Error('the reference page has no table');
  const column = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`the reference table has no "${name}" column`);
    return i;
  };
  const [code, message, description, measure] = ['Error Code', 'Message', 'Description', 'Handling Measure'].map(column) as [number, number, number, number];
  return body.map((row) => ({ code: row[code] ?? '', texts: [row[message] ?? '', row[description] ?? '', row[measure] ?? ''] }));
}

/** Lower-case words, without RST markup, to compare texts regardless of emphasis and punctuation. */
function words(text: string): string {
  return text.toLowerCase().replace(/\*\*|``/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
}

const fallback = hintFor('IMG.9999');
const sources = [...new Set([...errorSource.options, 'ims', 'validation', 'timeout', 'internal', 'precheck', 'auth', 'forbidden'])];

function expectWellFormed(hint: string | null, what: string) {
  expect(hint, what).toBeTypeOf('string');
  const text = hint ?? '';
  expect(text.length, `${what} is at most 300 characters`).toBeLessThanOrEqual(300);
  expect(text.length, `${what} says something`).toBeGreaterThan(40);
  expect(text, `${what} starts a sentence`).toMatch(/^[A-Z]/);
  expect(text, `${what} ends a sentence`).toMatch(/[.]$/);
  const sentences = text.match(/[.!?](?:\s|$)/g)?.length ?? 0;
  expect(sentences, `${what} has one or two sentences: ${text}`).toBeGreaterThanOrEqual(1);
  expect(sentences, `${what} has one or two sentences: ${text}`).toBeLessThanOrEqual(2);
  // Plain text for every surface, and nowhere to send the reader but the cloud's own consoles.
  expect(text, `${what} has no markup`).not.toMatch(/[*`<>_]{2}|[`<>]/);
  expect(text, `${what} has no link`).not.toMatch(/[a-z][a-z0-9+.-]*:\/\/|www\.|\b[a-z0-9-]+\.(?:com|net|org|io|de|cloud|app)\b/i);
}

describe('the table of documented IMS codes', () => {
  it('holds well-formed, distinct codes', () => {
    expect(documentedCodes.length).toBeGreaterThan(150);
    for (const code of documentedCodes) expect(code).toMatch(/^[A-Z][A-Z0-9_]*\.[0-9]{4}$/);
    expect(new Set(documentedCodes).size).toBe(documentedCodes.length);
  });

  it.skipIf(!referencePresent)('is exactly the codes of the IMS error code reference beside the checkout', () => {
    const parsed = referenceRows(readFileSync(referencePage, 'utf8')).map((row) => row.code);
    expect(parsed).toEqual(documentedCodes);
  });
});

describe('hints for IMS codes', () => {
  it('gives every documented code its own well-formed hint, not the advice for unknown codes', () => {
    for (const code of documentedCodes) {
      const hint = hintFor(code);
      expectWellFormed(hint, code);
      expect(hint, code).not.toBe(fallback);
    }
  });

  it.skipIf(!referencePresent)('words every hint anew instead of repeating the reference\'s message or handling measure', () => {
    const copied: string[] = [];
    for (const row of referenceRows(readFileSync(referencePage, 'utf8'))) {
      const hint = words(hintFor(row.code) ?? '');
      const sentences = row.texts.flatMap((text) => text.split(/(?<=[.!?])\s+/)).map(words);
      // Two words ("Contact support") may coincide; a whole sentence of three words or more ("Enable the key.") may not.
      for (const sentence of sentences) if (sentence.split(' ').length >= 3 && hint.includes(sentence)) copied.push(`${row.code}: ${sentence}`);
    }
    expect(copied).toEqual([]);
  });

  it('reads codes whatever their case', () => {
    expect(hintFor('img.0070')).toBe(hintFor('IMG.0070'));
  });

  it('says what to change for the refusals users meet most', () => {
    expect(hintFor('IMG.0160')).toContain('is_quick_export');
    expect(hintFor('IMG.0070')).toContain('bucket_url');
    expect(hintFor('IMG.0008')).toMatch(/Stop the ECS/);
    expect(hintFor('IMG.0128')).toMatch(/capture/i);
  });
});

describe('hints for our own codes', () => {
  it('gives every own code a well-formed hint of its own kind', () => {
    for (const code of OWN_ERROR_CODES) {
      expectWellFormed(hintFor(code), code);
      expect(hintFor(code), code).not.toBe(fallback);
    }
  });

  it('keeps own codes apart from IMS codes', () => {
    for (const code of OWN_ERROR_CODES) expect(code).toMatch(/^[A-Z][A-Z_]+$/);
    expect(new Set(OWN_ERROR_CODES).size).toBe(OWN_ERROR_CODES.length);
  });

  it('gives a refusal we make in IMS\'s place the same advice as IMS\'s own code for it', () => {
    expect(hintFor('EXPORT_TARGET_EXISTS')).toBe(hintFor('IMG.0070'));
    expect(hintFor('IMAGE_NOT_FOUND')).toBe(hintFor('IMG.0027'));
    expect(hintFor('BUCKET_REGION')).toBe(hintFor('IMG.0058'));
  });
});

describe('codes we do not know', () => {
  it('sends any other cloud code, of any prefix, to the reference of the service that gave it', () => {
    expectWellFormed(fallback, 'the unknown-code hint');
    expect(fallback).toMatch(/look the code up/i);
    expect(hintFor('IMG.0999')).toBe(fallback);
    expect(hintFor('APIGW.0308')).toBe(fallback);
    expect(hintFor('Ecs.0001', 'ims')).toBe(fallback);
  });

  it('falls back to the advice for the error\'s source, for every source a record can carry', () => {
    for (const source of sources) expectWellFormed(hintFor('SOMETHING_NEW', source), `source ${source}`);
    expect(hintFor('SOMETHING_NEW', 'validation')).toBe(hintFor('VALIDATION'));
    expect(hintFor('SOMETHING_NEW', 'forbidden')).toBe(hintFor('FORBIDDEN'));
    expect(hintFor('SOMETHING_NEW', 'precheck')).not.toBe(hintFor('SOMETHING_NEW', 'internal'));
  });

  it('gives nothing for a code it cannot place at all', () => {
    expect(hintFor('SOMETHING_NEW')).toBeNull();
    expect(hintFor('SOMETHING_NEW', 'no-such-source')).toBeNull();
    expect(hintFor('toString')).toBeNull();
    expect(hintFor('__proto__', 'constructor')).toBeNull();
  });
});
