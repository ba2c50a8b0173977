import { existsSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { disposeBlobServiceClient } from '../shared/azure/blob';
import { disposeCosmosClient, ensureDatabase } from '../shared/azure/cosmos';
import { config, resetConfig } from '../shared/config';
import { requeueUnfinishedJobs } from '../shared/jobs/job.worker';
import { DevelopmentHost } from './devhost';
import { loadApp } from './devhost.loader';
import { type Emulator, startAzurite, startCosmos } from './emulators';
import { migrateCatalogue } from './catalogue-migration';
import { migrateJobs } from './jobs-migration';
import { migrateRecords } from './records-migration';
import { createLocalAdminKey, seedAll } from './seed';
import { loadSnapshot } from './snapshot';

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
  /**
   * Puts something between the app and the emulators before the app is loaded: given the settings
   * that point at the emulators, answers the settings the app and the seeders use instead (the
   * faults suite's proxies, the fuzzer's write recorder).
   */
  interpose?: (settings: Record<string, string>) => Promise<Record<string, string>>;
  /** Fire timer triggers on their schedules (default true; see `DevelopmentHostOptions`). */
  scheduledTimers?: boolean;
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
  // The host first (it finishes what it has in hand), then the clients, then the emulators. Nothing
  // is saved here: with `--data` every acknowledged write is on disk already.
  const stop = async () => {
    await host?.stop();
    disposeCosmosClient();
    disposeBlobServiceClient();
    await Promise.all(emulators.map((emulator) => emulator.stop()));
  };
  try {
    const [blob, cosmos] = await Promise.all([startAzurite({ dataDir: options.dataDir }), startCosmos({ dataDir: options.dataDir })]);
    emulators.push(blob, cosmos);
    const direct: Record<string, string> = {
      COSMOS: cosmos.connectionString,
      COSMOS_ALLOW_SELF_SIGNED: 'true',
      STORAGE: blob.connectionString,
      SERVICEBUS: 'UseDevelopmentHost=true',
      // Trigger bindings name these as %SETTING%; the host resolves them from the environment.
      JOBS_QUEUE: process.env.JOBS_QUEUE ?? 'jobs',
      JOBS_REAPER_SCHEDULE: process.env.JOBS_REAPER_SCHEDULE ?? '0 */5 * * * *',
      CATALOGUE_PURGE_SCHEDULE: process.env.CATALOGUE_PURGE_SCHEDULE ?? '0 0 3 * * *',
      CONNECTOR_OPENML_DATASETS_SCHEDULE: process.env.CONNECTOR_OPENML_DATASETS_SCHEDULE ?? '0 5 4 * * *',
      CONNECTOR_OPENML_FLOWS_SCHEDULE: process.env.CONNECTOR_OPENML_FLOWS_SCHEDULE ?? '0 15 4 * * *',
      CONNECTOR_HUGGINGFACE_DATASETS_SCHEDULE: process.env.CONNECTOR_HUGGINGFACE_DATASETS_SCHEDULE ?? '0 25 4 * * *',
      CONNECTOR_HUGGINGFACE_MODELS_SCHEDULE: process.env.CONNECTOR_HUGGINGFACE_MODELS_SCHEDULE ?? '0 35 4 * * *',
      CONNECTOR_ZENODO_RECORDS_SCHEDULE: process.env.CONNECTOR_ZENODO_RECORDS_SCHEDULE ?? '0 45 4 * * *',
      // Local receivers, models and replay servers listen on loopback; an explicit value still wins.
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: process.env.OUTBOUND_ALLOW_PRIVATE_NETWORKS ?? 'true',
      ...options.settings,
    };
    const settings = options.interpose ? await options.interpose(direct) : direct;
    Object.assign(process.env, settings);
    resetConfig();
    config();
    await ensureDatabase();
    await migrateCatalogue(log);
    await migrateRecords(log);
    await migrateJobs(log);
    if (options.dataDir) {
      log(`data folder ${path.resolve(options.dataDir)}: loaded ${cosmos.documents} documents`);
      // Folders written before the journal kept a snapshot saved at a clean stop: import it once.
      const legacy = path.join(options.dataDir, 'cosmos.json');
      if (existsSync(legacy)) {
        log(`imported ${await loadSnapshot(options.dataDir)} documents from ${legacy}`);
        await rename(legacy, `${legacy}.imported`);
      }
    }
    if (options.emulatorsOnly) {
      // For `func start`: the host keeps its locks (timer triggers), keys and host id in blobs, so
      // AzureWebJobsStorage is the embedded Azurite (account-key string), not UseDevelopmentStorage
      // (Azurite on 10000); the Functions runtime is named as Core Tools requires.
      const forCoreTools = { FUNCTIONS_WORKER_RUNTIME: 'node', AzureWebJobsStorage: blob.connectionString, COSMOS_DATABASE: config().cosmos.database, ...settings };
      return { baseUrl: undefined, adminKey: undefined, settings: forCoreTools, host: undefined, stop };
    }
    // The app as deployed (package.json `main`: the esbuild bundle). It carries its own copies of
    // shared/ (clients, config): the settings reach it through the environment, and it closes its
    // clients in its appTerminate hook when the host stops.
    const functions = loadApp(APP_ROOT);
    host = new DevelopmentHost(functions, { appRoot: APP_ROOT, port: options.port, verbose: options.verbose, scheduledTimers: options.scheduledTimers });
    const baseUrl = await host.start();
    if (options.dataDir) {
      // The queue lived in the memory of the process that stopped; the jobs it carried did not.
      const requeued = await requeueUnfinishedJobs();
      if (requeued > 0) log(`re-queued ${requeued} job(s) left queued or running at the last stop`);
    }
    // Seed a data folder once: what the user deleted from the samples stays deleted.
    const seeded = options.dataDir ? path.join(options.dataDir, 'seeded') : undefined;
    if (options.seed && !(seeded && existsSync(seeded))) {
      await seedAll(log);
      if (seeded) writeFileSync(seeded, `${new Date().toISOString()}\n`);
    }
    const adminKey = await createLocalAdminKey();
    return { baseUrl, adminKey, settings, host, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
