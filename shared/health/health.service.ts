import { blobServiceClient } from '../azure/blob';
import { cosmosStatus, database } from '../azure/cosmos';
import { queueSender } from '../azure/queue';
import { config } from '../config';
import type { DependencyHealth, Health } from './health.schema';

const CHECK_TIMEOUT_MS = 5_000;

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref());
}

/** A reason safe to show anonymous callers: a status code or a timeout, never a message from an SDK. */
function describeFailure(error: unknown): string {
  const status = cosmosStatus(error) ?? (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number') return `answered ${status}`;
  if (error instanceof Error && error.message.startsWith('no answer within')) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? `unreachable (${code})` : 'unreachable';
}

async function check(probe: () => Promise<unknown>): Promise<DependencyHealth> {
  const started = performance.now();
  try {
    await Promise.race([probe(), timeout(CHECK_TIMEOUT_MS)]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'failed', latencyMs: Math.round(performance.now() - started), error: describeFailure(error) };
  }
}

/** Liveness plus one cheap call to each dependency, run in parallel. */
export async function checkHealth(version: string): Promise<Health> {
  const [cosmos, blob, queue] = await Promise.all([
    check(() => database().read()),
    // Listing one container needs only the data-plane role the app already has.
    check(() => blobServiceClient().listContainers().byPage({ maxPageSize: 1 }).next()),
    check(() => queueSender().check(config().serviceBus.queue)),
  ]);
  const allOk = [cosmos, blob, queue].every((c) => c.status === 'ok');
  return { status: allOk ? 'ok' : 'degraded', version, checks: { cosmos, blob, queue } };
}
