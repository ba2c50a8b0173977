import { container, queryPage, readAggregateTotal } from '../azure/cosmos';
import { store, type Versioned } from '../azure/store';
import type { FACET_NAMES } from './catalogue.schema';
import { entryTokens, queryTokens } from './catalogue.search';
import type { CatalogueEntry } from './catalogue.types';

// The `catalogue` container is partitioned by `/id`. A type (`/type` before) was one logical
// partition holding every entry of the type and its claims: capped at 20 GB and at one partition's
// throughput, while a connector can add ~240k entries a day. With `/id` every document is its own
// logical partition, a point read is still computable from the request (id → partition key = id),
// and lists, searches and counts are cross-partition queries that the index serves per physical
// partition (search by token equality: catalogue.search.ts). "Claim" documents, one per unique key
// (platform + platform identifier, a platform's name), have ids derived from the key, so uniqueness
// is still Cosmos' own 409 on a duplicate id.

/** An entry as stored: the view callers see plus internal fields they never see. */
export type StoredEntry = CatalogueEntry & { docType: 'entry'; deletedAt?: string; deletedBy?: string; searchTokens?: string[] };

/** The document written for an entry: with its search tokens, derived from its current text. */
function withTokens(doc: StoredEntry): StoredEntry {
  return { ...doc, searchTokens: entryTokens(doc) };
}

/** One unique key held by one entry. Its id is derived from the key, so a second holder gets 409. */
export interface ClaimDocument {
  id: string;
  type: string;
  docType: 'claim';
  entryId: string;
  key: string;
}

type CosmosDoc = Record<string, unknown> & { _etag?: string };
type Parameter = { name: string; value: string | number | boolean | null };

const INTERNAL = new Set(['_rid', '_self', '_etag', '_ts', '_attachments', '_lsn']);

function withoutSystemProperties(resource: unknown): StoredEntry {
  const doc: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource as CosmosDoc)) if (!INTERNAL.has(key)) doc[key] = value;
  return doc as StoredEntry;
}

function clean(resource: CosmosDoc): Versioned<StoredEntry> {
  return { doc: withoutSystemProperties(resource), etag: resource._etag ?? '' };
}

// Entries and claims share the container; claims are read and written through claimUniqueKey.
const entries = store<StoredEntry>('catalogue', withoutSystemProperties, (doc) => doc.id);

/** The entry document (live or soft-deleted), or undefined; never a claim. */
export async function readEntry(type: string, id: string): Promise<Versioned<StoredEntry> | undefined> {
  const found = await entries.read(id, id);
  // Ids are unique across types now (one partition each): an id of another type is not found here.
  return found?.doc.type === type && found.doc.docType === 'entry' ? found : undefined;
}

/** Creates the entry; undefined when the id exists. */
export async function insertEntry(doc: StoredEntry): Promise<Versioned<StoredEntry> | undefined> {
  return entries.create(withTokens(doc));
}

/** Replaces the entry only if it still carries `etag`; undefined when it changed or is gone. */
export async function replaceEntry(doc: StoredEntry, etag: string): Promise<Versioned<StoredEntry> | undefined> {
  return entries.replaceIfUnchanged(withTokens(doc), etag);
}

export async function deleteDocument(id: string): Promise<void> {
  await entries.remove(id, id);
}

/** Who may see what in a list or a count. */
export type Visibility = { kind: 'all' } | { kind: 'published' } | { kind: 'publishedOrOwn'; owner: string };

export interface EntryFilters {
  q?: string;
  keywords?: string[];
  platform?: string;
  status?: string;
  license?: string;
  createdAfter?: string;
  createdBefore?: string;
  modifiedAfter?: string;
  modifiedBefore?: string;
}

export type SortField = 'dateModified' | 'name';

/** Equality filters: each an index lookup. */
const EQUAL = { platform: 'platform', status: 'status', license: 'license' } as const;
/** Range filters (exclusive): each a range index lookup. */
const RANGE = [
  ['createdAfter', 'dateCreated', '>'],
  ['createdBefore', 'dateCreated', '<'],
  ['modifiedAfter', 'dateModified', '>'],
  ['modifiedBefore', 'dateModified', '<'],
] as const;

/**
 * The WHERE clause of lists, counts and facets, parameterised. Every condition is one the index
 * serves (equality, range, ARRAY_CONTAINS of a value): the documents read are those that match, not
 * those of the type. `type` undefined: every type (the `type` facet).
 */
function where(type: string | undefined, filters: EntryFilters, visibility: Visibility): { clause: string; parameters: Parameter[] } {
  const conditions = ["c.docType = 'entry'", 'NOT IS_DEFINED(c.deletedAt)'];
  const parameters: Parameter[] = [];
  const add = (condition: string, name: string, value: string) => {
    conditions.push(condition);
    parameters.push({ name, value });
  };
  if (type !== undefined) add('c.type = @type', '@type', type);
  if (visibility.kind === 'published') conditions.push("c.status = 'published'");
  if (visibility.kind === 'publishedOrOwn') add("(c.status = 'published' OR c.owner = @viewer)", '@viewer', visibility.owner);
  if (filters.q !== undefined) queryTokens(filters.q).forEach((token, i) => add(`ARRAY_CONTAINS(c.searchTokens, @token${i})`, `@token${i}`, token));
  filters.keywords?.forEach((keyword, i) => add(`ARRAY_CONTAINS(c.keywords, @keyword${i})`, `@keyword${i}`, keyword));
  for (const [filter, field] of Object.entries(EQUAL) as [keyof typeof EQUAL, string][]) {
    const value = filters[filter];
    if (value !== undefined) add(`c.${field} = @${filter}`, `@${filter}`, value);
  }
  for (const [filter, field, operator] of RANGE) {
    const value = filters[filter];
    if (value !== undefined) add(`c.${field} ${operator} @${filter}`, `@${filter}`, value);
  }
  return { clause: conditions.join(' AND '), parameters };
}

/** One page of live entries of a type, sorted on one field (cross-partition ORDER BY, paged by continuation). */
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
    { limit: page.limit, continuation: page.continuation, crossPartition: true },
  );
  return { items: result.items.map((item) => clean(item)), continuation: result.continuation };
}

/** `SELECT VALUE COUNT(1)` across partitions: the SDK plans it and adds the partitions' counts. */
export async function countEntries(type: string, filters: EntryFilters, visibility: Visibility): Promise<number> {
  const { clause, parameters } = where(type, filters, visibility);
  return readAggregateTotal(container('catalogue').items.query<number>({ query: `SELECT VALUE COUNT(1) FROM c WHERE ${clause}`, parameters }));
}

export type Facet = (typeof FACET_NAMES)[number];

/** What each facet groups by; `keyword` groups the elements of the array (one row per entry and keyword). */
const FACET_SOURCES: Record<Facet, { join: string; key: string }> = {
  type: { join: '', key: 'c.type' },
  keyword: { join: ' JOIN k IN c.keywords', key: 'k' },
  platform: { join: '', key: 'c.platform' },
  license: { join: '', key: 'c.license' },
  status: { join: '', key: 'c.status' },
};

export interface FacetCount {
  value: string;
  count: number;
}

/**
 * How many entries that match the filters have each value of a facet: one GROUP BY query, counted
 * inside Cosmos DB (the SDK plans it across partitions); only the (value, count) rows come back.
 * The `type` facet counts the same filters in every type. Entries without the field are not counted.
 */
export async function facetCounts(type: string, facet: Facet, filters: EntryFilters, visibility: Visibility): Promise<FacetCount[]> {
  const { clause, parameters } = where(facet === 'type' ? undefined : type, filters, visibility);
  const { join, key } = FACET_SOURCES[facet];
  const query = `SELECT ${key} AS facet, COUNT(1) AS n FROM c${join} WHERE ${clause} GROUP BY ${key}`;
  const { resources } = await container('catalogue').items.query<{ facet?: unknown; n: number }>({ query, parameters }).fetchAll();
  return resources.flatMap((row) => (typeof row.facet === 'string' ? [{ value: row.facet, count: row.n }] : []));
}

/** Entries soft-deleted before `cutoff` (ISO), for the purge. */
export async function deletedBefore(type: string, cutoff: string, limit: number): Promise<Versioned<StoredEntry>[]> {
  const { resources } = await container('catalogue')
    .items.query<CosmosDoc>({
      query: `SELECT TOP @limit * FROM c WHERE c.type = @type AND c.docType = 'entry' AND IS_DEFINED(c.deletedAt) AND c.deletedAt < @cutoff`,
      parameters: [
        { name: '@type', value: type },
        { name: '@cutoff', value: cutoff },
        { name: '@limit', value: limit },
      ],
    })
    .fetchAll();
  return resources.map((resource) => clean(resource));
}
