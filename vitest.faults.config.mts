import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: network faults between the app and its emulators (issue 9, part 3). Each
 * file starts its own private stack behind fault-injecting proxies, so there is no global setup.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
