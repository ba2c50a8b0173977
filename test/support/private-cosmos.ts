import { spawn } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { announcement } from '../../local/emulators';

const SERVER = path.resolve(__dirname, '../../dist/local/cosmos-server.js');
/** The Cosmos DB emulator's published key; the embedded server checks none. */
export const KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DF2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface PrivateCosmos {
  endpoint: string;
  client: CosmosClient;
  /** Disposes of the client and stops the server, waiting until it has exited. */
  stop(): Promise<void>;
}

/**
 * A private embedded Cosmos DB server (dist/local/cosmos-server.js) on a free port, with these
 * settings on top of this process's environment, and an SDK client for it through `agent`.
 */
export async function startPrivateCosmos(settings: Record<string, string> = {}, agent = new https.Agent({ rejectUnauthorized: false })): Promise<PrivateCosmos> {
  const server = spawn(process.execPath, [SERVER, '0'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...settings } });
  const stopServer = async () => {
    if (server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  };
  const ready = await announcement(server, /READY (\d+)/, 'the Cosmos DB server').catch(async (error: unknown) => {
    await stopServer();
    throw error;
  });
  const endpoint = `https://127.0.0.1:${Number(ready[1])}/`;
  const client = new CosmosClient({ endpoint, key: KEY, agent });
  return {
    endpoint,
    client,
    stop: async () => {
      client.dispose();
      await stopServer();
    },
  };
}
