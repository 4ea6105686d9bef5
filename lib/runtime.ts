// Every function's composition root, for local runs, tests and benches. The handlers import their
// own (runtime/api.ts, runtime/jobs.ts) so that each Lambda bundles only what it runs.
export { apiDeps, buildApiDeps } from './runtime/api.js';
export { buildPollerDeps, buildWorkerDeps, pollerDeps, workerDeps } from './runtime/jobs.js';
export { once } from './runtime/once.js';
