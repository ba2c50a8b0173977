import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** The key the Cosmos DB emulator publishes; the embedded server checks no keys at all. */
export const COSMOS_EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DF2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface Emulator {
  connectionString: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
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

/** Resolves once `port` on loopback accepts connections; rejects if `child` exits or time runs out. */
export async function waitForPort(port: number, child: ChildProcess, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not start listening on port ${port} within ${timeoutMs} ms`);
}

/** Azurite's blob service on loopback; in memory, or persisted under `dataDir/azurite`. */
export async function startAzurite(options: { port?: number; dataDir?: string }): Promise<Emulator> {
  const port = options.port || (await freePort());
  const main = path.join(__dirname, 'azurite-server.js');
  const storage = options.dataDir
    ? ['--location', ensureDirectory(path.join(options.dataDir, 'azurite'))]
    : ['--inMemoryPersistence'];
  const child = track(
    spawn(
      process.execPath,
      [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--silent', '--skipApiVersionCheck', '--disableTelemetry', ...storage],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    ),
  );
  await waitForPort(port, child, 'Azurite');
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
 */
export async function startCosmos(options: { port?: number; dataDir?: string }): Promise<Emulator & { documents: number }> {
  const script = path.join(__dirname, 'cosmos-server.js');
  const folder = options.dataDir ? [ensureDirectory(path.join(options.dataDir, 'cosmos'))] : [];
  const child = track(spawn(process.execPath, [script, String(options.port ?? 0), ...folder], { stdio: ['pipe', 'pipe', 'inherit'] }));
  // Loading a large data folder takes a while (a million documents: about a minute on two cores).
  const timeoutMs = options.dataDir ? 600_000 : 30_000;
  const [port, documents] = await new Promise<[number, number]>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the Cosmos DB server did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`the Cosmos DB server exited with code ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /READY (\d+) (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve([Number(match[1]), Number(match[2])]);
      }
    });
  });
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
