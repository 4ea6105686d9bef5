import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers on loopback; keep the 2-core machine unhurried.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Every test worker's output is captured and scanned for the test secrets once the run ends.
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/capture-logs.ts'],
    // The scan should see every line the code can log.
    env: { LOG_LEVEL: 'DEBUG', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
