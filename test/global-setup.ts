import { createRequire } from 'node:module';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { RunningStack, StackOptions } from '../local/stack';
import { startJwksServer, type JwksServer } from './support/jwks-server';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    adminKey: string;
    settings: Record<string, string>;
    jwks: { issuer: string; audience: string; privateJwk: string };
  }
}

let stack: RunningStack | undefined;
let jwks: JwksServer | undefined;

/**
 * Without `API_BASE_URL`: starts the embedded stack once for the whole run: Azurite, the Cosmos DB server and the
 * development host with the compiled app (`npm test` builds it first), plus an OIDC issuer of the
 * test's own whose JWKS the app verifies bearer tokens against.
 */
export async function setup(project: TestProject): Promise<void> {
  if (process.env.API_BASE_URL) return useDeployment(project, process.env.API_BASE_URL);
  const load = createRequire(import.meta.url);
  const { startStack } = load(path.resolve(__dirname, '../dist/local/stack.js')) as {
    startStack(options: StackOptions): Promise<RunningStack>;
  };
  jwks = await startJwksServer();
  // Strict mode of the Cosmos DB server (local/cosmos-strict.ts): Azure's limits, met here first. The
  // server inherits this process's environment; `COSMOS_STRICT=0 npm test` shows what it catches.
  process.env.COSMOS_STRICT ??= '1';
  stack = await startStack({
    port: 0,
    seed: true,
    verbose: process.env.DEVHOST_VERBOSE === '1',
    settings: {
      AUTH_OIDC_ISSUER: jwks.issuer,
      AUTH_OIDC_AUDIENCE: jwks.audience,
      CORS_ALLOWED_ORIGINS: 'https://labeller.example',
      // The key `http` test models send (test/e2e/inference-support.ts): only MODEL_SECRET_* settings may be.
      MODEL_SECRET_E2E: 'e2e-model-key',
    },
  });
  project.provide('baseUrl', stack.baseUrl ?? '');
  project.provide('adminKey', stack.adminKey ?? '');
  project.provide('settings', stack.settings);
  project.provide('jwks', { issuer: jwks.issuer, audience: jwks.audience, privateJwk: JSON.stringify(jwks.privateJwk) });
}

/**
 * External mode: the suite runs against a deployed app (docs/deploy.md, "Verify a deployment"), with
 * no local stack. `API_BASE_URL` is the app's URL (`azd env get-value API_BASE_URL`); `API_ADMIN_KEY` an admin API key of that
 * deployment. Tests that need the local stack are marked `needsLocalStack` and skipped.
 */
function useDeployment(project: TestProject, apiBaseUrl: string): void {
  const adminKey = process.env.API_ADMIN_KEY;
  if (!adminKey) throw new Error('API_BASE_URL is set: set API_ADMIN_KEY to an admin API key of that deployment too');
  // The tests add `/api` themselves; azd's `API_BASE_URL` output ends with it.
  project.provide('baseUrl', apiBaseUrl.replace(/\/+$/, '').replace(/\/api$/, ''));
  project.provide('adminKey', adminKey);
  project.provide('settings', {});
  project.provide('jwks', { issuer: '', audience: '', privateJwk: '{}' });
}

export async function teardown(): Promise<void> {
  await stack?.stop();
  await jwks?.stop();
}
