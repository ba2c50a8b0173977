import { describe, inject, it } from 'vitest';
import { disposeBlobServiceClient } from '../../shared/azure/blob';
import { disposeCosmosClient } from '../../shared/azure/cosmos';
import { resetConfig } from '../../shared/config';

/**
 * Points this test worker's SDK clients at the emulators of the stack the global setup started
 * (the same settings the development host runs with), for integration tests that call services directly.
 */
export function useStackSettings(extra: Record<string, string> = {}): void {
  Object.assign(process.env, inject('settings'), extra);
  resetConfig();
  disposeCosmosClient();
  disposeBlobServiceClient();
}

/**
 * True when the suite runs against a deployed app (`API_BASE_URL`, test/global-setup.ts): there is
 * no development host (its /admin API), no emulator and no test OIDC issuer the app trusts.
 */
export const againstDeployment = Boolean(process.env.API_BASE_URL);

/**
 * The one conditional skip of the suite: tests that need the local stack (the development host's
 * admin API, the emulators directly, a stack of their own, tokens from the test's own issuer, model
 * servers on loopback) are declared with these and skipped only against a deployment. `npm test`
 * never sets `API_BASE_URL`, so there they always run.
 *
 * @example needsLocalStack.describe('purgeDeletedCatalogueEntries (timer)', () => { … });
 */
export const needsLocalStack = {
  // A skipped suite's body still runs to collect its tests: against a deployment it gets none, so
  // setup code in it (signing tokens with the test's issuer, starting servers) never runs either.
  describe: (name: string, body: () => void | Promise<void>) => describe.skipIf(againstDeployment)(name, againstDeployment ? () => {} : body),
  it: it.skipIf(againstDeployment),
};
