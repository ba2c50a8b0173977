import { container, database } from '../shared/azure/cosmos';
import { CONTAINERS } from '../shared/azure/containers';
import { insertWithClaims } from '../shared/catalogue/catalogue.claims';
import { insertEntry, type StoredEntry } from '../shared/catalogue/catalogue.repository';

/**
 * A data folder (`npm start -- --data`) written before the catalogue moved from `/type` to `/id`
 * holds a container with the old partition key, entries without `searchTokens` and claim documents
 * whose ids lacked the type. Cosmos DB cannot change a container's partition key, so this copies:
 * every document is read, the container is dropped and created with the current key, and each
 * entry is written again through the repository (tokens) and the claims module (claims under their
 * new ids); old claim documents are not copied. Runs once: afterwards the key matches. Azure cannot
 * change a partition key either: README.md, "Catalogue search", says how a deployment moves.
 */
export async function migrateCatalogue(log: (line: string) => void): Promise<void> {
  const definition = CONTAINERS.catalogue;
  const { resource } = await container('catalogue').read();
  if (!resource || resource.partitionKey?.paths?.[0] === definition.partitionKey) return;
  // A feed read in pages, not a query: nothing for the embedded server to plan over the whole container.
  const { resources } = await container('catalogue').items.readAll<StoredEntry>({ maxItemCount: 1_000 }).fetchAll();
  const entries = resources.filter((doc) => doc.docType === 'entry');
  await container('catalogue').delete();
  await database().containers.create({ id: definition.id, partitionKey: { paths: [definition.partitionKey] } });
  let skipped = 0;
  for (const entry of entries) {
    const { _rid, _self, _etag, _ts, _attachments, ...doc } = entry as StoredEntry & Record<string, unknown>;
    try {
      // A deleted entry keeps no unique keys; a live one claims them again.
      const written = await (doc.deletedAt ? insertEntry(doc as StoredEntry) : insertWithClaims(doc as StoredEntry, undefined));
      if (!written) throw new Error('an entry with this id was copied already');
    } catch (error) {
      // Ids were unique per type only: a second type's entry with the same id cannot be kept.
      skipped += 1;
      log(`catalogue migration: skipped ${doc.type}/${doc.id}: ${(error as Error).message}`);
    }
  }
  log(`catalogue migrated to partition key ${definition.partitionKey}: ${entries.length - skipped} entries copied, ${skipped} skipped`);
}
