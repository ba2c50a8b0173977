import { aggregateTotal, container, cosmosStatus, queryPage } from '../azure/cosmos';
import type { CatalogueEntry } from './catalogue.types';

// The `catalogue` container is partitioned by `/type`: every list, search and count runs within one
// type (single-partition queries), and a point read is type + id. The same partition also holds
// "claim" documents, one per unique key (platform + platform identifier, a platform's name), so that
// uniqueness is enforced by Cosmos' own 409 on a duplicate id.

/** An entry as stored: the view callers see plus internal fields they never see. */
export type StoredEntry = CatalogueEntry & { docType: 'entry'; deletedAt?: string; deletedBy?: string };

/** One unique key held by one entry. Its id is derived from the key, so a second holder gets 409. */
export interface ClaimDocument {
  id: string;
  type: string;
  docType: 'claim';
  entryId: string;
  key: string;
}

export interface Versioned<T> {
  doc: T;
  etag: string;
}

type CosmosDoc = Record<string, unknown> & { _etag?: string };
type Parameter = { name: string; value: string | number | boolean | null };

const INTERNAL = new Set(['_rid', '_self', '_etag', '_ts', '_attachments', '_lsn']);

function clean<T>(resource: CosmosDoc): Versioned<T> {
  const doc: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) if (!INTERNAL.has(key)) doc[key] = value;
  return { doc: doc as T, etag: resource._etag ?? '' };
}

async function readDocument<T>(type: string, id: string): Promise<Versioned<T> | undefined> {
  try {
    const { resource } = await container('catalogue').item(id, type).read<CosmosDoc>();
    return resource ? clean<T>(resource) : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

/** The entry document (live or soft-deleted), or undefined; never a claim. */
export async function readEntry(type: string, id: string): Promise<Versioned<StoredEntry> | undefined> {
  const found = await readDocument<StoredEntry>(type, id);
  return found?.doc.docType === 'entry' ? found : undefined;
}

/** Creates the entry; Cosmos answers 409 when the id exists. */
export async function insertEntry(doc: StoredEntry): Promise<Versioned<StoredEntry>> {
  const { resource } = await container('catalogue').items.create<StoredEntry>(doc);
  return clean<StoredEntry>(resource as unknown as CosmosDoc);
}

/** Replaces the entry, only if it still has `ifMatch` when given (Cosmos answers 412 otherwise). */
export async function replaceEntry(doc: StoredEntry, ifMatch: string | undefined): Promise<Versioned<StoredEntry>> {
  const { resource } = await container('catalogue')
    .item(doc.id, doc.type)
    .replace<StoredEntry>(doc, ifMatch ? { accessCondition: { type: 'IfMatch', condition: ifMatch } } : {});
  return clean<StoredEntry>(resource as unknown as CosmosDoc);
}

export async function deleteDocument(type: string, id: string): Promise<void> {
  try {
    await container('catalogue').item(id, type).delete();
  } catch (error) {
    if (cosmosStatus(error) !== 404) throw error;
  }
}

export async function readClaim(type: string, claimId: string): Promise<Versioned<ClaimDocument> | undefined> {
  const found = await readDocument<ClaimDocument>(type, claimId);
  return found?.doc.docType === 'claim' ? found : undefined;
}

/** Creates a claim; Cosmos answers 409 when someone holds it. */
export async function insertClaim(claim: ClaimDocument): Promise<void> {
  await container('catalogue').items.create(claim);
}

/** Takes over a stale claim, only if nobody changed it since it was read (412 otherwise). */
export async function replaceClaim(claim: ClaimDocument, etag: string): Promise<void> {
  await container('catalogue').item(claim.id, claim.type).replace(claim, { accessCondition: { type: 'IfMatch', condition: etag } });
}

/** Who may see what in a list or a count. */
export type Visibility = { kind: 'all' } | { kind: 'published' } | { kind: 'publishedOrOwn'; owner: string };

export interface EntryFilters {
  q?: string;
  keywords?: string[];
  platform?: string;
  status?: string;
  modifiedAfter?: string;
  modifiedBefore?: string;
}

export type SortField = 'dateModified' | 'name';

/** The WHERE clause of lists and counts, parameterised. */
function where(type: string, filters: EntryFilters, visibility: Visibility): { clause: string; parameters: Parameter[] } {
  const conditions = ['c.type = @type', "c.docType = 'entry'", 'NOT IS_DEFINED(c.deletedAt)'];
  const parameters: Parameter[] = [{ name: '@type', value: type }];
  if (visibility.kind === 'published') conditions.push("c.status = 'published'");
  if (visibility.kind === 'publishedOrOwn') {
    conditions.push("(c.status = 'published' OR c.owner = @viewer)");
    parameters.push({ name: '@viewer', value: visibility.owner });
  }
  if (filters.q !== undefined) {
    conditions.push('(CONTAINS(LOWER(c.name), @q) OR CONTAINS(LOWER(c.description.plain), @q))');
    parameters.push({ name: '@q', value: filters.q.toLowerCase() });
  }
  filters.keywords?.forEach((keyword, i) => {
    conditions.push(`ARRAY_CONTAINS(c.keywords, @keyword${i})`);
    parameters.push({ name: `@keyword${i}`, value: keyword });
  });
  if (filters.platform !== undefined) {
    conditions.push('c.platform = @platform');
    parameters.push({ name: '@platform', value: filters.platform });
  }
  if (filters.status !== undefined) {
    conditions.push('c.status = @status');
    parameters.push({ name: '@status', value: filters.status });
  }
  if (filters.modifiedAfter !== undefined) {
    conditions.push('c.dateModified > @modifiedAfter');
    parameters.push({ name: '@modifiedAfter', value: filters.modifiedAfter });
  }
  if (filters.modifiedBefore !== undefined) {
    conditions.push('c.dateModified < @modifiedBefore');
    parameters.push({ name: '@modifiedBefore', value: filters.modifiedBefore });
  }
  return { clause: conditions.join(' AND '), parameters };
}

/** One page of live entries of a type, sorted on one field (single-partition ORDER BY pages by continuation). */
export async function queryEntries(
  type: string,
  filters: EntryFilters,
  visibility: Visibility,
  sort: { field: SortField; descending: boolean },
  page: { limit: number; continuation?: string },
): Promise<{ items: Versioned<StoredEntry>[]; continuation: string | undefined }> {
  const { clause, parameters } = where(type, filters, visibility);
  const order = `ORDER BY c.${sort.field} ${sort.descending ? 'DESC' : 'ASC'}`;
  const result = await queryPage<CosmosDoc>(
    container('catalogue'),
    { query: `SELECT * FROM c WHERE ${clause} ${order}`, parameters },
    { limit: page.limit, continuation: page.continuation, partitionKey: type },
  );
  return { items: result.items.map((item) => clean<StoredEntry>(item)), continuation: result.continuation };
}

export async function countEntries(type: string, filters: EntryFilters, visibility: Visibility): Promise<number> {
  const { clause, parameters } = where(type, filters, visibility);
  return aggregateTotal(container('catalogue'), { query: `SELECT VALUE COUNT(1) FROM c WHERE ${clause}`, parameters }, type);
}

/** Ids of entries soft-deleted before `cutoff` (ISO), for the purge. */
export async function deletedBefore(type: string, cutoff: string, limit: number): Promise<Versioned<StoredEntry>[]> {
  const { resources } = await container('catalogue')
    .items.query<CosmosDoc>(
      {
        query: `SELECT TOP @limit * FROM c WHERE c.type = @type AND c.docType = 'entry' AND IS_DEFINED(c.deletedAt) AND c.deletedAt < @cutoff`,
        parameters: [
          { name: '@type', value: type },
          { name: '@cutoff', value: cutoff },
          { name: '@limit', value: limit },
        ],
      },
      { partitionKey: type },
    )
    .fetchAll();
  return resources.map((resource) => clean<StoredEntry>(resource));
}
