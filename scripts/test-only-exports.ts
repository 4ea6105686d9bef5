// Lists the code in lib/ and handlers/ that only tests call: exported functions and constants, and
// methods of exported interfaces (a store's or queue's operations), that nothing outside test/ uses,
// not even the module that declares them. Such code is dead in production, kept alive by its tests;
// delete it or make production use it. A helper that production runs inside its own module and a
// test also calls directly is not listed. Types are not listed: a test that names a type names the
// signature of something production calls. Exits 1 on a finding. Run: npm run unused-exports
import { relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
/** Code that is right to have no production caller, and why. */
const EXPECTED: Record<string, string> = {
  'handlers/intake.ts:handler': 'the Lambda runtime calls it',
  'handlers/worker.ts:handler': 'the Lambda runtime calls it',
  'handlers/poller.ts:handler': 'the Lambda runtime calls it',
  'handlers/chatops.ts:handler': 'the Lambda runtime calls it',
  'lib/ims/client.ts:ImsClient.close': 'whoever owns a client closes its connection pool; a Lambda container just ends',
  'lib/obs/client.ts:ObsClient.close': 'whoever owns a client closes its connection pool; a Lambda container just ends',
  'lib/packed-tables.ts:pack': 'the deploy build calls it (deploy/esbuild-plugins.cjs packs the long tables of text)',
  'lib/packed-tables.ts:unpack': 'the modules the deploy build packs call it, in the deployed bundles',
};

const configFile = ts.readConfigFile(resolve(ROOT, 'tsconfig.json'), (p) => ts.sys.readFile(p));
const config = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();

const rel = (file: string) => relative(ROOT, file);
const isTest = (file: string) => rel(file).startsWith('test/');
const isExporter = (file: string) => /^(lib|handlers)\//.test(rel(file));

/** Files that use each declaration (declaring is not using). Keyed by declaration, so a use through Pick<> or an alias counts. */
const usedIn = new Map<ts.Declaration, Set<string>>();

function resolved(symbol: ts.Symbol | undefined): ts.Symbol | undefined {
  return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

function isDeclarationName(node: ts.Identifier): boolean {
  const parent = node.parent as ts.Node & { name?: ts.Node };
  return (
    parent.name === node &&
    (ts.isDeclarationStatement(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isPropertySignature(parent))
  );
}

for (const source of program.getSourceFiles()) {
  if (source.isDeclarationFile || rel(source.fileName).startsWith('..') || rel(source.fileName).includes('node_modules')) continue;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !isDeclarationName(node) && !ts.isExportSpecifier(node.parent)) {
      for (const declaration of resolved(checker.getSymbolAtLocation(node))?.declarations ?? []) {
        const files = usedIn.get(declaration) ?? new Set<string>();
        files.add(source.fileName);
        usedIn.set(declaration, files);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const VALUE = ts.SymbolFlags.Function | ts.SymbolFlags.Variable | ts.SymbolFlags.Class | ts.SymbolFlags.Enum;
const findings: string[] = [];

function judge(name: string, symbol: ts.Symbol): void {
  if (EXPECTED[name]) return;
  const users = [...new Set((symbol.declarations ?? []).flatMap((d) => [...(usedIn.get(d) ?? [])]))];
  if (users.some((f) => !isTest(f))) return;
  findings.push(`${name}  ${users.length ? `used only by ${users.map(rel).join(', ')}` : 'used nowhere'}`);
}

for (const source of program.getSourceFiles()) {
  if (!isExporter(source.fileName)) continue;
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) continue;
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const name = `${rel(source.fileName)}:${exported.name}`;
    const target = resolved(exported) ?? exported;
    // A re-export (lib/runtime.ts) is judged where the symbol is declared.
    if (target.declarations?.some((d) => d.getSourceFile() !== source)) continue;
    if (target.flags & VALUE) judge(name, target);
    if (target.flags & ts.SymbolFlags.Interface) {
      for (const member of checker.getDeclaredTypeOfSymbol(target).getProperties()) {
        // Operations only: a data field is used by whoever builds the object, which no reference shows.
        if (member.declarations?.every((d) => d.getSourceFile() === source && ts.isMethodSignature(d))) judge(`${name}.${member.name}`, member);
      }
    }
  }
}

if (findings.length) {
  process.stdout.write(`${findings.length} exports only tests use:\n${findings.map((f) => `  ${f}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('no code that only tests use\n');
