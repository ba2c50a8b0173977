import type { JobHandler } from './job.handler';
import type { JobKind } from './job.schema';

/** A handler per job kind, each typed with its kind's payload (job.kinds.ts). */
export type JobHandlers = { [K in JobKind]?: JobHandler<K> };

/** Finds the handler of a job kind (`jobHandler` below; tests pass `handlersOf({...})`). */
export type HandlerLookup = <K extends JobKind>(kind: K) => JobHandler<K> | undefined;

/**
 * The handler of each job kind, wired by the areas that own them (functions/*.ts call
 * `registerJobHandler` next to their routes). `missingJobHandlers()` lists kinds nobody handles;
 * the worker refuses such a message and a test keeps the list empty.
 */
const handlers: JobHandlers = {};

export function registerJobHandler<K extends JobKind>(kind: K, handler: JobHandler<K>): void {
  if (handlers[kind]) throw new Error(`Job kind '${kind}' already has a handler`);
  // TypeScript cannot write through a generic key of a mapped type; the key and the handler's kind are one `K`.
  Object.assign(handlers, { [kind]: handler });
}

/** A lookup over a fixed set of handlers. @example handlersOf({ 'labels.export': async () => ({ kind: 'done' }) }) */
export function handlersOf(set: JobHandlers): HandlerLookup {
  return (kind) => set[kind];
}

export const jobHandler: HandlerLookup = handlersOf(handlers);

export function missingJobHandlers(kinds: readonly JobKind[]): JobKind[] {
  return kinds.filter((kind) => !handlers[kind]);
}
