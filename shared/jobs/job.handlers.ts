import type { JobHandler } from './job.handler';
import type { JobKind } from './job.schema';

/**
 * The handler of each job kind, wired by the areas that own them (functions/*.ts call
 * `registerJobHandler` next to their routes). `missingJobHandlers()` lists kinds nobody handles;
 * the worker refuses such a message and a test keeps the list empty.
 */
const handlers = new Map<JobKind, JobHandler>();

export function registerJobHandler(kind: JobKind, handler: JobHandler): void {
  if (handlers.has(kind)) throw new Error(`Job kind '${kind}' already has a handler`);
  handlers.set(kind, handler);
}

export function jobHandler(kind: JobKind): JobHandler | undefined {
  return handlers.get(kind);
}

export function missingJobHandlers(kinds: readonly JobKind[]): JobKind[] {
  return kinds.filter((kind) => !handlers.has(kind));
}
