import { defineConfig } from 'vitest/config';

const common = { testTimeout: 30_000, hookTimeout: 60_000 };

/**
 * The `unit` project's settings: enough for `config()` to parse (some schemas read a setting), naming
 * no service that runs — port 9 is closed — so a unit test that reached for a store would fail rather
 * than quietly use the stack another project started. They win over whatever the environment holds,
 * so `vitest run` and `vitest run --project unit` give unit tests the same settings.
 */
const unitSettings = {
  COSMOS: 'AccountEndpoint=https://127.0.0.1:9/;AccountKey=dW5pdA==;',
  STORAGE: 'DefaultEndpointsProtocol=http;AccountName=unit;AccountKey=dW5pdA==;BlobEndpoint=http://127.0.0.1:9/unit;',
  SERVICEBUS: 'UseDevelopmentHost=true',
  // As the development stack (local/stack.ts): loopback webhook receivers are allowed.
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
};

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
      { extends: true, test: { ...common, name: 'unit', include: ['test/unit/**/*.test.ts'], env: unitSettings } },
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
