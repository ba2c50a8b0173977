import { createRequire } from 'node:module';
import path from 'node:path';
import type { RunningStack, StackOptions } from '../../local/stack';
import { type FaultProxy, proxyEmulators } from './fault-proxy';

/**
 * A private stack whose app reaches Cosmos DB and Blob storage through fault-injecting proxies
 * (the faults suites): the compiled stack from dist/, as the host loads it, with the proxies put in
 * front of the emulators before the app is loaded.
 */
export interface ProxiedStack {
  stack: RunningStack;
  cosmos: FaultProxy;
  blob: FaultProxy;
  baseUrl: string;
  adminKey: string;
  /** The settings pointing at the emulators themselves, not the proxies. */
  direct: Record<string, string>;
  stop(): Promise<void>;
}

const load = createRequire(import.meta.url);
const { startStack } = load(path.resolve(__dirname, '../../dist/local/stack.js')) as { startStack(options: StackOptions): Promise<RunningStack> };

export async function startProxiedStack(options: { seed: boolean; settings?: Record<string, string> }): Promise<ProxiedStack> {
  let proxies: { cosmos: FaultProxy; blob: FaultProxy } | undefined;
  let direct: Record<string, string> = {};
  const stack = await startStack({
    port: 0,
    seed: options.seed,
    verbose: process.env.DEVHOST_VERBOSE === '1',
    ...(options.settings ? { settings: options.settings } : {}),
    interpose: async (settings) => {
      direct = settings;
      const proxied = await proxyEmulators(settings);
      proxies = proxied;
      return proxied.settings;
    },
  });
  if (!proxies) throw new Error('the stack started without its proxies');
  const { cosmos, blob } = proxies;
  return {
    stack,
    cosmos,
    blob,
    baseUrl: stack.baseUrl ?? '',
    adminKey: stack.adminKey ?? '',
    direct,
    async stop() {
      await stack.stop();
      await Promise.all([cosmos.close(), blob.close()]);
    },
  };
}
