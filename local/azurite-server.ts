/**
 * Azurite's blob service as a child of the local stack, with `--location` made crash-safe. Azurite
 * keeps blob and extent metadata in LokiJS databases it saves every 5 s, so a crash lost the
 * metadata of the last seconds' uploads while their bytes stayed on disk. Here every store method
 * that leaves a database dirty saves it (LokiJS writes a temporary file and renames it, and
 * serialises concurrent saves) before its promise settles, so no upload is acknowledged before its
 * metadata is on disk. Arguments are Azurite's own (`node azurite-server.js --blobPort … --location …`).
 */
interface Loki {
  autosaveDirty(): boolean;
  throttledSavePending?: boolean;
  saveDatabase(callback: (error?: unknown) => void): void;
}
type Method = (this: { db?: Loki }, ...args: unknown[]) => unknown;

function save(db: Loki | undefined): Promise<void> {
  // A save already under way may have serialised the database before this write: queue one more.
  if (!db || !(db.autosaveDirty() || db.throttledSavePending)) return Promise.resolve();
  return new Promise((resolve, reject) => db.saveDatabase((error) => (error ? reject(error) : resolve())));
}

if (process.argv.includes('--location')) {
  for (const module of ['azurite/dist/src/blob/persistence/LokiBlobMetadataStore.js', 'azurite/dist/src/common/persistence/LokiExtentMetadataStore.js']) {
    const prototype = (require(module) as { default: { prototype: Record<string, unknown> } }).default.prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const original = prototype[name];
      if (name === 'constructor' || name === 'init' || name === 'close' || typeof original !== 'function') continue;
      prototype[name] = function durable(this: { db?: Loki }, ...args: unknown[]) {
        const result = (original as Method).apply(this, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          async (value: unknown) => {
            await save(this.db);
            return value;
          },
          async (error: unknown) => {
            await save(this.db);
            throw error;
          },
        );
      };
    }
  }
}
require('azurite/dist/src/blob/main.js');
