import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fault injection runs on its own (`npm run test:faults`, vitest.faults.config.mts).
    exclude: ['**/node_modules/**', 'test/faults/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One machine, two cores: the emulators and the development host share them with the workers.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
