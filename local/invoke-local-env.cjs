// osls plugin for `serverless invoke local` only (every other command sees serverless.yml unchanged):
// - the process environment wins over serverless.yml's `environment`, so `set -a; . .local/invoke.env;
//   set +a` points the function at a running `npm start`; CloudFormation references the environment
//   does not replace are dropped, since invoke local would otherwise look them up in a deployed stack;
// - osls loads a handler as `<path>.js` only, while serverless-esbuild emits `<path>.mjs` for Lambda:
//   a one-line `.js` re-export beside the bundle lets osls import it (list this plugin after serverless-esbuild);
// - INVOKE_LOCAL_TIMEOUT_SECONDS, when set, is the function's timeout for this invocation.
'use strict';

const { existsSync, writeFileSync } = require('node:fs');
const path = require('node:path');

/** The README section on invoking with a running `npm start`. */
const README_SECTION = '`serverless invoke local` with events/';

class InvokeLocalEnvironment {
  constructor(serverless, options, { log } = {}) {
    const isInvokeLocal = () => (serverless.processedInput?.commands ?? []).join(' ') === 'invoke local';
    this.hooks = {
      initialize: () => {
        if (!isInvokeLocal()) return;
        const service = serverless.service;
        const environments = [service.provider.environment, ...Object.values(service.functions ?? {}).map((f) => f.environment)];
        const dropped = new Set();
        for (const env of environments) {
          if (!env) continue;
          for (const name of Object.keys(env)) {
            if (process.env[name] !== undefined) env[name] = process.env[name];
            else if (env[name] !== null && typeof env[name] === 'object') {
              delete env[name];
              dropped.add(name);
            }
          }
        }
        // The function's timeout as invoke local's context reports it (the poller sweeps until shortly before it).
        const timeout = Number(process.env.INVOKE_LOCAL_TIMEOUT_SECONDS);
        if (timeout > 0) service.getFunction(options.function).timeout = timeout;
        // The section's heading, word for word, so a search of README.md finds it (a test checks it exists).
        if (dropped.size && log) {
          log.notice(
            `invoke local: ${[...dropped].join(', ')} not set in the environment: run \`npm start\`, then \`set -a; . .local/invoke.env; set +a\` ` +
              `in this shell (README "${README_SECTION}")`,
          );
        }
      },
      'before:invoke:local:invoke': () => {
        const handler = serverless.service.getFunction(options.function).handler;
        const modulePath = path.join(serverless.serviceDir, options.extraServicePath || '', handler.slice(0, handler.lastIndexOf('.')));
        if (existsSync(`${modulePath}.mjs`) && !existsSync(`${modulePath}.js`)) {
          writeFileSync(`${modulePath}.js`, `export * from './${path.basename(modulePath)}.mjs';\n`);
        }
      },
    };
  }
}

module.exports = InvokeLocalEnvironment;
module.exports.README_SECTION = README_SECTION;
