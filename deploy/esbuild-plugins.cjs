// esbuild plugins of the deployed bundles: serverless.yml `custom.esbuild.plugins` names this file, and
// the benches build with what it exports too (bench/common.ts reads the same setting).
//
// packTables: the two long tables of text in the functions' code go into the bundles brotli-compressed
// (base64), as a module with the same exports holding the same values:
// - lib/ims/hint-texts.ts, the error hints (about 25 KiB of prose, most of the worker's and poller's own
//   code): its hintTexts() unpacks them on its first call, when a request first fails in the container;
// - lib/ims/os-versions.ts, the os_version values IMS accepts (about 4 KiB): unpacked on import, since
//   the request schemas are built from it then.
// Each source module stays the readable table that the tests and local runs use. It is evaluated here
// (bundled alone: it is data and imports nothing), so what is packed is exactly what it exports: a value
// is unpacked on import, a function without arguments on its first call, into what it returns.
'use strict';

const { brotliCompressSync, constants } = require('node:zlib');

const TABLES = /[\\/]lib[\\/]ims[\\/](hint-texts|os-versions)\.ts$/;

function packed(value) {
  const json = JSON.stringify(value);
  const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: json.length };
  return `JSON.parse(brotliDecompressSync(Buffer.from(${JSON.stringify(brotliCompressSync(json, { params }).toString('base64'))}, 'base64')).toString())`;
}

/** @type {import('esbuild').Plugin} */
const packTables = {
  name: 'pack-tables',
  setup(build) {
    build.onLoad({ filter: TABLES }, async (args) => {
      const built = await build.esbuild.build({ entryPoints: [args.path], bundle: true, write: false, format: 'cjs', platform: 'node', logLevel: 'silent' });
      const module = { exports: {} };
      new Function('module', 'exports', built.outputFiles[0].text)(module, module.exports);
      const lines = ["import { brotliDecompressSync } from 'node:zlib';"];
      for (const [name, value] of Object.entries(module.exports)) {
        if (typeof value !== 'function') lines.push(`export const ${name} = ${packed(value)};`);
        else if (value.length === 0) lines.push(`let ${name}Value;`, `export const ${name} = () => (${name}Value ??= ${packed(value())});`);
        else throw new Error(`${args.path}: ${name} takes arguments; a packed table exports values and functions without arguments`);
      }
      return { loader: 'js', contents: lines.join('\n') };
    });
  },
};

module.exports = [packTables];
