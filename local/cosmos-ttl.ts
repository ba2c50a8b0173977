import { type Doc, type ItemsMap, itemsPrototype, kindOf } from './cosmos-store';

/**
 * Time to live, as Cosmos DB has it and the embedded server lacks: in a container with `defaultTtl`
 * (-1: on, no default), a document expires `ttl` (its own, else the container's) seconds after its
 * last write (`_ts`); `ttl: -1` never expires. Expired documents are invisible at once — a point
 * read, a query, a create over the same id behave as if it were gone — and are deleted when found
 * (so the journal records the delete). Containers without `defaultTtl` pay one property read.
 */
function expiresAt(items: ItemsMap, doc: Doc): number | undefined {
  if (kindOf(items) !== 'docs') return undefined;
  const defaultTtl = items._parent.read()?.defaultTtl;
  if (typeof defaultTtl !== 'number') return undefined;
  const ttl = typeof doc.ttl === 'number' ? doc.ttl : defaultTtl;
  if (ttl <= 0 || typeof doc._ts !== 'number') return undefined;
  return doc._ts + ttl;
}

const now = () => Math.floor(Date.now() / 1000);

/** Set while an expired document is deleted: the delete looks it up again, and must find it. */
let purging = false;

function purge(items: ItemsMap, doc: Doc): void {
  if (doc.id === undefined) return;
  purging = true;
  try {
    itemsPrototype.delete.call(items, doc.id, items._getPartition(doc));
  } finally {
    purging = false;
  }
}

function purgeExpired(items: ItemsMap): void {
  if (kindOf(items) !== 'docs' || typeof items._parent.read()?.defaultTtl !== 'number') return;
  const at = now();
  const expired: Doc[] = [];
  for (const item of items._data.values()) {
    const doc = item.read();
    const expiry = doc && expiresAt(items, doc);
    if (doc && expiry !== undefined && expiry <= at) expired.push(doc);
  }
  for (const doc of expired) purge(items, doc);
}

export function honourTtl(): void {
  const item = itemsPrototype._item;
  itemsPrototype._item = function lookUp(this: ItemsMap, keyPath: string, value: unknown, partition: unknown) {
    const found = item.call(this, keyPath, value, partition);
    if (purging) return found;
    const doc = found.read();
    const expiry = doc && expiresAt(this, doc);
    if (!doc || expiry === undefined || expiry > now()) return found;
    purge(this, doc);
    return item.call(this, keyPath, value, partition);
  };
  for (const name of ['query', 'read'] as const) {
    const original = itemsPrototype[name];
    itemsPrototype[name] = function expiring(this: ItemsMap, ...args: unknown[]) {
      purgeExpired(this);
      return original.apply(this, args);
    };
  }
}
