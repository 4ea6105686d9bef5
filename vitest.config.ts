import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers on loopback; keep the 2-core machine unhurried.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
