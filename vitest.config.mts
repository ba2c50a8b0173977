import { defineConfig } from 'vitest/config';

const common = { testTimeout: 30_000, hookTimeout: 60_000 };

/**
 * Two projects: `unit` needs nothing running (`npm run test:unit`); `stack` (integration, e2e,
 * security, fuzz) runs against the embedded stack the global setup starts once. `npm test` runs both.
 * Fault injection runs on its own (`npm run test:faults`, vitest.faults.config.mts).
 */
export default defineConfig({
  test: {
    pool: 'forks',
    // One machine, two cores: the emulators and the development host share them with the workers.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { ...common, name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          ...common,
          name: 'stack',
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/unit/**', 'test/faults/**'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
