import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** The key the Cosmos DB emulator publishes; the embedded server checks no keys at all. */
export const COSMOS_EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DF2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

/** What Azurite prints once its blob service listens (with `--silent` too). */
export const AZURITE_LISTENING = /successfully listens on https?:\/\/127\.0\.0\.1:(\d+)/;

export interface Emulator {
  connectionString: string;
  port: number;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.stdin?.end();
    child.kill('SIGTERM');
  });
}

/** Children must not outlive us, even when we die without running our shutdown. */
const children = new Set<ChildProcess>();
process.once('exit', () => children.forEach((child) => child.kill('SIGKILL')));

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * The first match of `pattern` in what `child` prints on stdout, once it prints it; rejects if the
 * child exits or time runs out. Emulators bind port 0 and announce the port the system gave them:
 * choosing a free port first and passing it on leaves a window in which any other socket on the
 * machine (an ephemeral client port included) can take it (seen in CI: EADDRINUSE).
 */
export function announcement(child: ChildProcess, pattern: RegExp, name: string, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}`));
    };
    child.once('exit', onExit);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      // Keep reading (and dropping) what it prints later, so a full pipe never blocks it.
      child.stdout?.off('data', onData).on('data', () => undefined);
      resolve(match);
    };
    child.stdout?.on('data', onData);
  });
}

/** Azurite's blob service on loopback; in memory, or persisted under `dataDir/azurite`. */
export async function startAzurite(options: { port?: number; dataDir?: string }): Promise<Emulator> {
  const main = path.join(__dirname, 'azurite-server.js');
  const storage = options.dataDir
    ? ['--location', ensureDirectory(path.join(options.dataDir, 'azurite'))]
    : ['--inMemoryPersistence'];
  const child = track(
    spawn(
      process.execPath,
      [main, '--blobHost', '127.0.0.1', '--blobPort', String(options.port ?? 0), '--silent', '--skipApiVersionCheck', '--disableTelemetry', ...storage],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    ),
  );
  const port = Number((await announcement(child, AZURITE_LISTENING, 'Azurite'))[1]);
  return {
    port,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`,
    stop: () => stopChild(child),
  };
}

/**
 * The Cosmos DB–compatible server (`@vercel/cosmosdb-server`) on loopback, over HTTPS; in memory, or
 * journaled under `dataDir/cosmos` (`cosmos-journal.ts`). `documents`: how many it loaded from there.
 * It inherits the environment: `COSMOS_STRICT=1` (and the `COSMOS_STRICT_*` limits) turns on strict
 * mode (`cosmos-strict.ts`), as `npm test` does.
 */
export async function startCosmos(options: { port?: number; dataDir?: string }): Promise<Emulator & { documents: number }> {
  const script = path.join(__dirname, 'cosmos-server.js');
  const folder = options.dataDir ? [ensureDirectory(path.join(options.dataDir, 'cosmos'))] : [];
  const child = track(spawn(process.execPath, [script, String(options.port ?? 0), ...folder], { stdio: ['pipe', 'pipe', 'inherit'] }));
  // Loading a large data folder takes a while (a million documents: about a minute on two cores).
  const timeoutMs = options.dataDir ? 600_000 : 30_000;
  const ready = await announcement(child, /READY (\d+) (\d+)/, 'the Cosmos DB server', timeoutMs);
  const [port, documents] = [Number(ready[1]), Number(ready[2])];
  return {
    port,
    documents,
    connectionString: `AccountEndpoint=https://127.0.0.1:${port}/;AccountKey=${COSMOS_EMULATOR_KEY};`,
    stop: () => stopChild(child),
  };
}

function ensureDirectory(directory: string): string {
  mkdirSync(directory, { recursive: true });
  return directory;
}
