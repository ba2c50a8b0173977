import path from 'node:path';
import { disposeBlobServiceClient } from '../shared/azure/blob';
import { disposeCosmosClient, ensureDatabase } from '../shared/azure/cosmos';
import { config, resetConfig } from '../shared/config';
import { DevelopmentHost, loadApp } from './devhost';
import { type Emulator, startAzurite, startCosmos } from './emulators';
import { createLocalAdminKey, seedAll } from './seed';
import { loadSnapshot, saveSnapshot } from './snapshot';

export interface StackOptions {
  /** Development host port; 0 picks a free one. */
  port: number;
  /** Persist data under this folder; in memory when absent. */
  dataDir?: string;
  /** Start the emulators only (for `func start`). */
  emulatorsOnly?: boolean;
  seed: boolean;
  verbose: boolean;
  /** Extra app settings (tests set OIDC issuers, small TTLs, …). */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export interface RunningStack {
  baseUrl: string | undefined;
  adminKey: string | undefined;
  /** The settings the app runs with: the same names as in Azure, pointing at the emulators. */
  settings: Record<string, string>;
  host: DevelopmentHost | undefined;
  stop(): Promise<void>;
}

const APP_ROOT = path.resolve(__dirname, '..', '..');

/** Starts the emulators, prepares the database, and (unless `emulatorsOnly`) loads the app into the development host. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const log = options.log ?? (() => {});
  const emulators: Emulator[] = [];
  let host: DevelopmentHost | undefined;
  const stop = async () => {
    await host?.stop();
    if (options.dataDir && !options.emulatorsOnly) {
      log(`saved ${await saveSnapshot(options.dataDir)} documents to ${options.dataDir}`);
    }
    disposeCosmosClient();
    disposeBlobServiceClient();
    await Promise.all(emulators.map((emulator) => emulator.stop()));
  };
  try {
    const [blob, cosmos] = await Promise.all([startAzurite({ dataDir: options.dataDir }), startCosmos({})]);
    emulators.push(blob, cosmos);
    const settings: Record<string, string> = {
      COSMOS: cosmos.connectionString,
      COSMOS_ALLOW_SELF_SIGNED: 'true',
      STORAGE: blob.connectionString,
      SERVICEBUS: 'UseDevelopmentHost=true',
      // Trigger bindings name these as %SETTING%; the host resolves them from the environment.
      JOBS_QUEUE: process.env.JOBS_QUEUE ?? 'jobs',
      ...options.settings,
    };
    Object.assign(process.env, settings);
    resetConfig();
    config();
    await ensureDatabase();
    if (options.dataDir) log(`loaded ${await loadSnapshot(options.dataDir)} documents from ${options.dataDir}`);
    if (options.emulatorsOnly) {
      return { baseUrl: undefined, adminKey: undefined, settings, host: undefined, stop };
    }
    host = new DevelopmentHost(loadApp(APP_ROOT), { appRoot: APP_ROOT, port: options.port, verbose: options.verbose });
    const baseUrl = await host.start();
    if (options.seed) await seedAll(log);
    const adminKey = await createLocalAdminKey();
    return { baseUrl, adminKey, settings, host, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
