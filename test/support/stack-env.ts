import { inject } from 'vitest';
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
