import { randomUUID } from 'node:crypto';
import { RETRY, retryOnConflict } from '../azure/store';
import { config } from '../config';
import { AppError, errors } from '../errors';
import { definitionOf, type Fields, singularOf, toView } from './catalogue.access';
import { conflictFor, findByKey, insertWithClaims, platformKey, registeredPlatform, releaseQuietly, replaceWithClaims, uniqueKeys } from './catalogue.claims';
import { deleteDocument, deletedBefore, readEntry, replaceEntry, type StoredEntry } from './catalogue.repository';
import { applyMergePatch, buildDoc, contentOf, parseInput, sameValue, withRetry } from './catalogue.rules';
import { entryTokens } from './catalogue.search';
import { catalogueTypes } from './catalogue.types';

// Writes on behalf of the platform (seeders, connectors, other areas' system fields): no role checks.

/**
 * Creates or updates an entry on behalf of the platform (seeders, platform connectors): no role
 * checks. It finds the entry by `platform` + `platformResourceIdentifier`, else by `id`; unchanged
 * content writes nothing. A platform missing from the registry is registered.
 *
 * @example const { id, changed } = await upsertEntryAsSystem('datasets', { id: 'seed-iris', name: 'Iris', status: 'published' });
 */
export async function upsertEntryAsSystem(type: string, entry: Record<string, unknown>): Promise<{ id: string; changed: boolean }> {
  // Two writers created or changed the same entry at once: the loser updates what the winner wrote.
  return retryOnConflict(() => upsertOnce(type, entry), 'The entry');
}

async function upsertOnce(type: string, entry: Record<string, unknown>): Promise<{ id: string; changed: boolean } | typeof RETRY> {
  const definition = definitionOf(type);
  const input = parseInput(definition, entry, 'entry');
  const givenId = typeof input.id === 'string' ? input.id : undefined;
  const byKey =
    typeof input.platform === 'string' && typeof input.platformResourceIdentifier === 'string'
      ? await findByKey(type, platformKey(input.platform, input.platformResourceIdentifier))
      : undefined;
  if (byKey && givenId && byKey.doc.id !== givenId) {
    throw conflictFor(platformKey(String(input.platform), String(input.platformResourceIdentifier)), byKey.doc.id);
  }
  const byId = byKey ?? (givenId ? await readEntry(type, givenId) : undefined);
  if (typeof input.platform === 'string' && type !== 'platforms') await registerPlatform(input.platform);
  const content = withListingDescription(type, contentOf(input));
  const now = new Date().toISOString();
  const live = byId && !byId.doc.deletedAt ? byId : undefined;
  if (!live) {
    const doc = buildDoc(type, content, {
      id: givenId ?? randomUUID(),
      owner: typeof input.owner === 'string' ? input.owner : 'system',
      dateCreated: now,
      dateModified: now,
      status: input.status ?? 'published',
    });
    const written = await insertWithClaims(doc, byId);
    return written ? { id: written.doc.id, changed: true } : RETRY;
  }
  for (const field of definition.systemFields) {
    const kept = (live.doc as Fields)[field];
    if (content[field] === undefined && kept !== undefined) content[field] = kept;
  }
  const next = buildDoc(type, content, {
    id: live.doc.id,
    owner: typeof input.owner === 'string' ? input.owner : live.doc.owner,
    dateCreated: live.doc.dateCreated,
    dateModified: now,
    status: input.status ?? live.doc.status,
  });
  const comparable = (doc: StoredEntry) => ({ ...contentOf(doc), status: doc.status, owner: doc.owner });
  // Stored tokens from an older layout or tokenizer are rewritten even when the content is unchanged.
  const tokensCurrent = sameValue(live.doc.searchTokens ?? null, entryTokens(next));
  if (tokensCurrent && sameValue(comparable(next), comparable(live.doc))) return { id: live.doc.id, changed: false };
  return (await replaceWithClaims(next, live)) ? { id: live.doc.id, changed: true } : RETRY;
}

/**
 * DCAT-AP requires a dataset's description, and a platform's listing may give none (OpenML's has no
 * such field): a harvested dataset then says, truthfully, where it was listed and that the platform
 * gave no description, instead of reaching harvesters without one. Nothing else is made up.
 */
function withListingDescription(type: string, content: Fields): Fields {
  if (type !== 'datasets' || content.description !== undefined) return content;
  const { platform, platformResourceIdentifier } = content;
  if (typeof platform !== 'string' || typeof platformResourceIdentifier !== 'string') return content;
  return { ...content, description: { plain: `Listed on ${platform} as ${platformResourceIdentifier}; ${platform} gives no description of it.` } };
}

/**
 * Changes some fields of a live entry on behalf of the platform, with a JSON merge patch and no role
 * checks: how other areas maintain system fields such as a dataset's `hosting`. 404 if the entry is
 * absent or deleted; validated like any write.
 *
 * @example await patchEntryAsSystem('datasets', datasetId, { hosting: { records: 150, columns: [...] } });
 */
export async function patchEntryAsSystem(type: string, id: string, patch: Record<string, unknown>): Promise<{ id: string; changed: boolean }> {
  const definition = definitionOf(type);
  return withRetry(undefined, async () => {
    const current = await readEntry(type, id);
    if (!current || current.doc.deletedAt) throw errors.notFound(singularOf(type), id);
    const merged = applyMergePatch(toView(current.doc), patch) as Fields;
    const input = parseInput(definition, merged, 'patch');
    const next = buildDoc(type, contentOf(input), {
      id,
      owner: current.doc.owner,
      dateCreated: current.doc.dateCreated,
      dateModified: new Date().toISOString(),
      status: input.status ?? current.doc.status,
    });
    const comparable = (doc: StoredEntry) => ({ ...contentOf(doc), status: doc.status });
    if (sameValue(comparable(next), comparable(current.doc))) return { id, changed: false };
    if (typeof input.platform === 'string' && type !== 'platforms') await registerPlatform(input.platform);
    return (await replaceWithClaims(next, current)) ? { id, changed: true } : RETRY;
  });
}

/**
 * Soft-deletes an entry on behalf of the platform (a connector whose source no longer has the item):
 * no role checks; `by` is recorded as `deletedBy`. False when it is absent or deleted already.
 *
 * @example await deleteEntryAsSystem('datasets', 'openml-datasets-61', 'connector:openml-datasets');
 */
export async function deleteEntryAsSystem(type: string, id: string, by: string): Promise<boolean> {
  definitionOf(type);
  return withRetry(undefined, async () => {
    const current = await readEntry(type, id);
    if (!current || current.doc.deletedAt) return false;
    if (!(await replaceEntry({ ...current.doc, deletedAt: new Date().toISOString(), deletedBy: by }, current.etag))) return RETRY;
    await releaseQuietly(type, uniqueKeys(current.doc), id);
    return true;
  });
}

/** Registers a platform a connector names for the first time; concurrent first uses register it once. */
async function registerPlatform(name: string): Promise<void> {
  if (await registeredPlatform(name)) return;
  try {
    await upsertEntryAsSystem('platforms', { id: `platform-${name}`, name, status: 'published' });
  } catch (error) {
    const conflict = error instanceof AppError && error.status === 409;
    if (!conflict || !(await registeredPlatform(name))) throw error;
  }
}

/** Deletes entries soft-deleted longer ago than the configured retention; returns how many. */
export async function purgeDeletedEntries(now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - config().catalogue.deletedRetentionSeconds * 1000).toISOString();
  let purged = 0;
  for (const definition of catalogueTypes) {
    for (;;) {
      const batch = await deletedBefore(definition.name, cutoff, 100);
      for (const { doc } of batch) {
        await releaseQuietly(doc.type, uniqueKeys(doc), doc.id);
        await deleteDocument(doc.id);
      }
      purged += batch.length;
      if (batch.length < 100) break;
    }
  }
  return purged;
}
