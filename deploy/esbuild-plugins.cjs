// esbuild plugins of the deployed bundles: serverless.yml `custom.esbuild.plugins` names this file, and
// the benches build with what it exports too (bench/common.ts reads the same setting).
//
// packTables: the two long tables of text in the functions' code go into the bundles brotli-compressed,
// as a module with the same exports holding the same values:
// - lib/ims/hint-texts.ts, the error hints (about 25 KiB of prose, most of the worker's and poller's own
//   code): its hintTexts() unpacks them on its first call, when a request first fails in the container;
// - lib/ims/os-versions.ts, the os_version values IMS accepts (about 4 KiB): unpacked on import, since
//   the request schemas are built from it then.
// Each source module stays the readable table that the tests and local runs use. It is evaluated here
// (bundled alone: it is data and imports nothing), so what is packed is exactly what it exports: a value
// is unpacked on import, a function without arguments on its first call, into what it returns.
//
// lib/packed-tables.ts packs (here, evaluated the same way) and unpacks (in the functions): JSON, brotli,
// base-91 text. One copy of its unpack serves both tables of a bundle.
'use strict';

const { join } = require('node:path');

const TABLES = /[\\/]lib[\\/]ims[\\/](hint-texts|os-versions)\.ts$/;
const CODEC = join(__dirname, '..', 'lib', 'packed-tables.ts');

/** A module's exports: bundled alone as CommonJS and run. */
async function evaluated(build, path) {
  const built = await build.esbuild.build({ entryPoints: [path], bundle: true, write: false, format: 'cjs', platform: 'node', logLevel: 'silent' });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', built.outputFiles[0].text)(module, module.exports, require);
  return module.exports;
}

/** @type {import('esbuild').Plugin} */
const packTables = {
  name: 'pack-tables',
  setup(build) {
    let codec; // evaluated once a build, for both tables
    build.onLoad({ filter: TABLES }, async (args) => {
      const { pack } = await (codec ??= evaluated(build, CODEC));
      const packed = (value) => {
        const { text, length } = pack(value);
        return `unpack(${JSON.stringify(text)}, ${length})`;
      };
      const lines = [`import { unpack } from ${JSON.stringify(CODEC)};`];
      for (const [name, value] of Object.entries(await evaluated(build, args.path))) {
        if (typeof value !== 'function') lines.push(`export const ${name} = ${packed(value)};`);
        else if (value.length === 0) lines.push(`let ${name}Value;`, `export const ${name} = () => (${name}Value ??= ${packed(value())});`);
        else throw new Error(`${args.path}: ${name} takes arguments; a packed table exports values and functions without arguments`);
      }
      return { loader: 'js', contents: lines.join('\n') };
    });
  },
};

module.exports = [packTables];
