import type { JobHandler } from './job.handler';
import type { JobKind } from './job.schema';

/** A handler per job kind, each typed with its kind's payload (job.kinds.ts). */
export type JobHandlers = { [K in JobKind]?: JobHandler<K> };

/** Finds the handler of a job kind (`jobHandler` below; tests pass `handlersOf({...})`). */
export type HandlerLookup = <K extends JobKind>(kind: K) => JobHandler<K> | undefined;

/** Loads the handler of one kind: called on its first message, so a cold start loads no handler's module. */
type HandlerLoader<K extends JobKind> = () => JobHandler<K>;
type HandlerLoaders = { [K in JobKind]?: HandlerLoader<K> };

/**
 * The handler of each job kind, wired by the areas that own them (functions/*.ts call
 * `registerJobHandler` next to their routes). `missingJobHandlers()` lists kinds nobody handles;
 * the worker refuses such a message and a test keeps the list empty.
 */
const loaders: HandlerLoaders = {};

/** @example registerJobHandler('labels.export', () => (require('../shared/labels/export.job') as ExportJob).exportLabelsJob) */
export function registerJobHandler<K extends JobKind>(kind: K, load: HandlerLoader<K>): void {
  if (loaders[kind]) throw new Error(`Job kind '${kind}' already has a handler`);
  // TypeScript cannot write through a generic key of a mapped type; the key and the loader's kind are one `K`.
  Object.assign(loaders, { [kind]: load });
}

/** A lookup over a fixed set of handlers. @example handlersOf({ 'labels.export': async () => ({ kind: 'done' }) }) */
export function handlersOf(set: JobHandlers): HandlerLookup {
  return (kind) => set[kind];
}

/** The registered handlers, each loaded by the first message of its kind (`require` caches it). */
export const jobHandler: HandlerLookup = <K extends JobKind>(kind: K): JobHandler<K> | undefined => {
  const load: HandlerLoader<K> | undefined = loaders[kind];
  return load?.();
};

export function missingJobHandlers(kinds: readonly JobKind[]): JobKind[] {
  return kinds.filter((kind) => !loaders[kind]);
}
