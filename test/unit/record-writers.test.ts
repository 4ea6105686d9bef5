// The rule behind "only the core's transitions change a record": a request record is written only
// by lib/requests/transition.ts, where every change is an event through `decide` and a new request
// is stored either as accepted (`queued`) or as already decided by an event. Checked with the type
// checker, so an alias or a destructured `save` is found as well as `store.save(...)`. The one other
// write, `setAside`, is the sweep's: it touches an item that fails the record schema (so no event
// can apply to it) and only takes it out of the due index.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const STORE = join(ROOT, 'lib/store/requests.ts');
/** The interfaces whose methods write request items, by the file that declares them. */
const WRITERS: Record<string, string> = { [STORE]: 'RequestStore', [join(ROOT, 'lib/store/due-index.ts')]: 'DueIndex' };
const WRITES = new Set(['create', 'save', 'setAside']);
const ALLOWED: Record<string, readonly string[]> = {
  'lib/requests/transition.ts': ['create', 'save'],
  'lib/requests/sweep.ts': ['setAside'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every use of a write method of the request store or the due index in `files`, as `file: method`. */
function recordWrites(files: readonly string[]): string[] {
  const program = ts.createProgram([...files, ...Object.keys(WRITERS)], { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2023, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`not in the program: ${file}`);
    const visit = (node: ts.Node) => {
      if ((ts.isIdentifier(node) || ts.isStringLiteral(node)) && WRITES.has(node.text)) {
        let symbol = checker.getSymbolAtLocation(node);
        // A destructured `{ save }` names a local; the property is the pattern's.
        if (ts.isBindingElement(node.parent) && ts.isObjectBindingPattern(node.parent.parent)) {
          symbol = checker.getTypeAtLocation(node.parent.parent).getProperty(node.text);
        }
        const onStore = symbol?.declarations?.some((d) => ts.isMethodSignature(d) && ts.isInterfaceDeclaration(d.parent) && WRITERS[d.getSourceFile().fileName] === d.parent.name.text);
        if (onStore) found.push(`${relative(ROOT, file)}: ${node.text}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

const isAllowed = (write: string) => {
  const [file = '', method = ''] = write.split(': ');
  return ALLOWED[file]?.includes(method) ?? false;
};

describe('who writes request records', () => {
  it('is the transition module only (and the sweep, to set a corrupt item aside)', () => {
    const files = [...sourceFiles(join(ROOT, 'lib')), ...sourceFiles(join(ROOT, 'handlers'))].filter((f) => !(f in WRITERS));
    const writes = recordWrites(files);
    expect(writes.filter((w) => !isAllowed(w))).toEqual([]);
    // The scan sees the writes it allows, so an empty list above is not a scan that sees nothing.
    expect(writes).toEqual(expect.arrayContaining(['lib/requests/transition.ts: save', 'lib/requests/transition.ts: create', 'lib/requests/sweep.ts: setAside']));
  });

  it('finds a write however it is spelled', () => {
    const dir = mkdtempSync(join(tmpdir(), 'record-writers-'));
    try {
      const rogue = join(dir, 'rogue.ts');
      const store = JSON.stringify(STORE.replace(/\.ts$/, '.js'));
      writeFileSync(
        rogue,
        `import type { RequestStore, StoreStub } from ${store};\n` +
          `export async function a(s: RequestStore, r: any) { await s.save(r, 1); }\n` +
          `export async function b(s: Pick<RequestStore, 'create'>, r: any) { const { create } = s; await create(r); }\n` +
          `export async function c(s: RequestStore, r: any) { await s['save'](r, 1); }\n`,
      );
      const found = recordWrites([rogue]).map((w) => w.replace(/^.*rogue\.ts/, 'rogue.ts'));
      expect(found).toEqual(expect.arrayContaining(['rogue.ts: save', 'rogue.ts: create']));
      expect(found.length).toBeGreaterThanOrEqual(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
