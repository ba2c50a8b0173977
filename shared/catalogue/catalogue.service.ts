import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/auth.schema';
import { conditionHolds, type VersionCondition } from '../azure/condition';
import { cosmosStatus } from '../azure/cosmos';
import { RETRY, type Versioned } from '../azure/store';
import { readSchemaDoc } from '../datasets/records.repository';
import { errors } from '../errors';
import { sha256 } from '../hash';
import { decodeCursor } from '../query/cursor';
import { canonicalJson } from '../json/canonical';
import {
  assertMayCreate,
  canSee,
  canWrite,
  type Definition,
  definitionOf,
  type Fields,
  present,
  representationEtag,
  singularOf,
  toView,
  viewVariant,
  visibilityFor,
  visibleEntry,
} from './catalogue.access';
import { assertPlatformRegistered, findByKey, insertWithClaims, platformKey, releaseQuietly, replaceWithClaims, uniqueKeys } from './catalogue.claims';
import {
  countEntries,
  type EntryFilters,
  type Facet,
  facetCounts,
  queryEntries,
  replaceEntry,
  type StoredEntry,
  type Visibility,
} from './catalogue.repository';
import { applyMergePatch, assertAllowedChange, assertEchoesUnchanged, assertPublishable, buildDoc, contentOf, parseInput, withRetry } from './catalogue.rules';
import { type CountQuery, type ExportProfile, type FacetCounts, type ListQuery, MAX_FACET_VALUES } from './catalogue.schema';
import { type CatalogueEntry, catalogueTypes, type EntryOf } from './catalogue.types';
import { croissantExport } from './export/croissant.export';
import { dcatExport } from './export/dcat.export';
import { schemaOrgExport } from './export/schemaorg.export';

export type { CatalogueEntry, CatalogueTypeName, DatasetEntry, EntryOf, ModelEntry } from './catalogue.types';

/** An entry with the ETag of its stored version (`If-Match` for the next write). */
export interface VersionedEntry<T = CatalogueEntry> {
  entry: T;
  etag: string;
}

// ---- the caller's writes -----------------------------------------------------------------------

async function writableEntry(definition: Definition, id: string, principal: Principal, ifMatch: VersionCondition | undefined): Promise<Versioned<StoredEntry>> {
  const current = await visibleEntry(definition.name, id, principal);
  if (!canWrite(definition, current.doc, principal)) {
    throw errors.forbidden(`Only the owner of this ${singularOf(definition.name)} or an admin may change it.`);
  }
  if (ifMatch !== undefined && !conditionHolds(ifMatch, current.etag)) {
    throw errors.preconditionFailed();
  }
  return current;
}

/** Creates an entry owned by the caller; status `draft` unless the body says otherwise. */
export async function createEntry(principal: Principal, type: string, body: unknown): Promise<VersionedEntry> {
  const definition = definitionOf(type);
  assertMayCreate(definition, principal);
  const input = parseInput(definition, body);
  assertEchoesUnchanged(definition, input, undefined);
  assertAllowedChange(input, undefined, principal);
  assertPublishable(type, input, input.status ?? 'draft');
  await assertPlatformRegistered(input.platform, undefined);
  const now = new Date().toISOString();
  const record = { id: randomUUID(), owner: principal.id, dateCreated: now, dateModified: now, status: input.status ?? 'draft' };
  const doc = buildDoc(type, contentOf(input), record);
  // A fresh UUID: nobody else can have created this id.
  const written = await insertWithClaims(doc, undefined);
  if (!written) throw new Error(`entry id ${doc.id} exists already`);
  return { entry: present(written.doc, principal), etag: representationEtag(written.etag, undefined) };
}

async function replaceFrom(definition: Definition, current: Versioned<StoredEntry>, input: Fields, principal: Principal): Promise<VersionedEntry | typeof RETRY> {
  assertEchoesUnchanged(definition, input, current.doc);
  assertAllowedChange(input, current.doc, principal);
  assertPublishable(definition.name, input, input.status ?? current.doc.status);
  await assertPlatformRegistered(input.platform, current.doc.platform);
  if (definition.name === 'platforms' && input.name !== current.doc.name) await assertPlatformUnused(current.doc.name);
  const content = contentOf(input);
  for (const field of definition.systemFields) {
    const kept = (current.doc as Fields)[field];
    if (kept !== undefined) content[field] = kept;
  }
  const next = buildDoc(definition.name, content, {
    id: current.doc.id,
    owner: current.doc.owner,
    dateCreated: current.doc.dateCreated,
    dateModified: new Date().toISOString(),
    status: input.status ?? current.doc.status,
  });
  const written = await replaceWithClaims(next, current);
  if (!written) return RETRY;
  return { entry: present(written.doc, principal), etag: representationEtag(written.etag, undefined) };
}

/** PUT: replaces every field the caller writes (a left-out status stays as it is). */
export async function replaceEntryFields(
  principal: Principal,
  type: string,
  id: string,
  body: unknown,
  ifMatch: VersionCondition | undefined,
): Promise<VersionedEntry> {
  const definition = definitionOf(type);
  const input = parseInput(definition, body);
  return withRetry(ifMatch, async () => replaceFrom(definition, await writableEntry(definition, id, principal, ifMatch), input, principal));
}


/** PATCH with a JSON merge patch: applied to the stored entry, then validated as a whole. */
export async function patchEntry(principal: Principal, type: string, id: string, patch: Fields, ifMatch: VersionCondition | undefined): Promise<VersionedEntry> {
  const definition = definitionOf(type);
  return withRetry(ifMatch, async () => {
    const current = await writableEntry(definition, id, principal, ifMatch);
    const merged = applyMergePatch(toView(current.doc), patch);
    return replaceFrom(definition, current, parseInput(definition, merged), principal);
  });
}

async function assertPlatformUnused(platform: string): Promise<void> {
  for (const definition of catalogueTypes) {
    const count = await countEntries(definition.name, { platform }, { kind: 'all' });
    if (count > 0) {
      throw errors.conflict(`The platform '${platform}' still has ${count} ${definition.name}; delete or move them first.`);
    }
  }
}

/** Soft delete: the entry disappears at once and is purged after the retention; its unique keys are freed. */
export async function deleteEntry(principal: Principal, type: string, id: string, ifMatch: VersionCondition | undefined): Promise<void> {
  const definition = definitionOf(type);
  await withRetry(ifMatch, async () => {
    const current = await writableEntry(definition, id, principal, ifMatch);
    if (definition.name === 'platforms') await assertPlatformUnused(current.doc.name);
    const now = new Date().toISOString();
    const next: StoredEntry = { ...current.doc, deletedAt: now, deletedBy: principal.id };
    if (!(await replaceEntry(next, current.etag))) return RETRY;
    await releaseQuietly(type, uniqueKeys(current.doc), id);
  });
}

// ---- reads -------------------------------------------------------------------------------------

/**
 * One entry as `principal` may see it: 404 if it does not exist, is deleted, or is a draft of
 * someone else. Anonymous callers get contact emails masked.
 *
 * @example const model = await getEntry(principal, 'models', id); // EntryOf<'models'>: model.runtime
 */
export async function getEntry<T extends string>(principal: Principal | undefined, type: T, id: string): Promise<EntryOf<T>> {
  return (await getVersionedEntry(principal, type, id)).entry as EntryOf<T>;
}

/** `getEntry` plus the ETag of this caller's representation. */
export async function getVersionedEntry(principal: Principal | undefined, type: string, id: string): Promise<VersionedEntry> {
  definitionOf(type);
  const found = await visibleEntry(type, id, principal);
  return { entry: present(found.doc, principal), etag: representationEtag(found.etag, viewVariant(principal)) };
}

/** The entry that holds `platformResourceIdentifier` on `platform`. */
export async function getEntryByPlatformId(principal: Principal | undefined, type: string, platform: string, identifier: string): Promise<VersionedEntry> {
  definitionOf(type);
  const found = await findByKey(type, platformKey(platform, identifier));
  if (!found || !canSee(found.doc, principal)) throw errors.notFound(singularOf(type), `${platform}:${identifier}`);
  return { entry: present(found.doc, principal), etag: representationEtag(found.etag, viewVariant(principal)) };
}

function filtersOf(query: ListQuery): EntryFilters {
  return {
    q: query.q,
    keywords: query.keyword,
    platform: query.platform,
    status: query.status,
    license: query.license,
    createdAfter: query.createdAfter,
    createdBefore: query.createdBefore,
    modifiedAfter: query.modifiedAfter,
    modifiedBefore: query.modifiedBefore,
  };
}

/** The facets asked for, each one GROUP BY query over the list's filters; largest counts first, ties by value. */
async function facetsOf(type: string, facets: readonly Facet[], filters: EntryFilters, visibility: Visibility): Promise<FacetCounts> {
  const counted = await Promise.all(facets.map(async (facet) => [facet, await facetCounts(type, facet, filters, visibility)] as const));
  const result: FacetCounts = {};
  for (const [facet, values] of counted) {
    result[facet] = values.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).slice(0, MAX_FACET_VALUES);
  }
  return result;
}

export interface EntryPage {
  items: CatalogueEntry[];
  continuation: string | undefined;
  /** With `facets` in the query only. */
  facets?: FacetCounts;
  /** What the cursor is bound to: the filters, the sort and who is looking. */
  cursorScope: unknown;
  etag: string;
}

/** One page of the entries of a type this caller may see, filtered and sorted. */
export async function listEntries(principal: Principal | undefined, type: string, query: ListQuery): Promise<EntryPage> {
  definitionOf(type);
  const filters = filtersOf(query);
  const visibility = visibilityFor(principal);
  // The facets asked for are not part of the scope: a cursor pages the same entries either way.
  const cursorScope = { type, filters, sort: query.sort, viewer: principal?.id ?? null };
  const continuation = decodeCursor(query.cursor, cursorScope);
  const descending = query.sort.startsWith('-');
  const field = (descending ? query.sort.slice(1) : query.sort) as 'dateModified' | 'name';
  let page;
  try {
    page = await queryEntries(type, filters, visibility, { field, descending }, { limit: query.limit, continuation });
  } catch (error) {
    // A continuation the store cannot use (tampered with, or from before a change) is the caller's cursor problem.
    if (continuation !== undefined && cosmosStatus(error) === 400) throw errors.invalidInput('/cursor', 'is not a cursor this API issued');
    throw error;
  }
  const items = page.items.map(({ doc }) => present(doc, principal));
  const facets = query.facets?.length ? await facetsOf(type, query.facets, filters, visibility) : undefined;
  const etag = `"${sha256(canonicalJson({ etags: page.items.map((item) => item.etag), next: page.continuation ?? null, variant: viewVariant(principal) ?? null, facets: facets ?? null }), 'base64url').slice(0, 27)}"`;
  return { items, continuation: page.continuation, cursorScope, etag, ...(facets ? { facets } : {}) };
}

/** How many entries of a type the caller may see; per platform of the registry on request. */
export async function countEntriesOf(
  principal: Principal | undefined,
  type: string,
  query: CountQuery,
): Promise<{ type: string; count: number; platforms?: Record<string, number> }> {
  definitionOf(type);
  const visibility = visibilityFor(principal);
  const filters: EntryFilters = { platform: query.platform, status: query.status };
  const count = await countEntries(type, filters, visibility);
  if (!query.perPlatform) return { type, count };
  // One GROUP BY for the counts; the registry names the platforms, so those without entries show 0.
  const grouped = new Map((await facetCounts(type, 'platform', filters, visibility)).map(({ value, count: n }) => [value, n]));
  const platforms: Record<string, number> = {};
  for (const name of await platformNames()) {
    if (query.platform === undefined || query.platform === name) platforms[name] = grouped.get(name) ?? 0;
  }
  return { type, count, platforms };
}

async function platformNames(): Promise<string[]> {
  const names: string[] = [];
  let continuation: string | undefined;
  do {
    const page = await queryEntries('platforms', {}, { kind: 'all' }, { field: 'name', descending: false }, { limit: 100, continuation });
    names.push(...page.items.map((item) => item.doc.name));
    continuation = page.continuation;
  } while (continuation);
  return names;
}

/** The content URL of one of the entry's distributions (for a 303). */
export async function contentUrlOf(principal: Principal | undefined, type: string, id: string, index: number): Promise<string> {
  const { entry } = await getVersionedEntry(principal, type, id);
  const distribution = entry.distributions?.[index];
  if (!distribution) throw errors.notFound('distribution', `${id}/${index}`);
  return distribution.contentUrl;
}

/** Which profiles an entry of this type can be exported as. */
export function profilesFor(type: string): ExportProfile[] {
  return type === 'datasets' ? ['schema.org', 'dcat-ap', 'dcat-ap-2', 'croissant'] : ['schema.org', 'dcat-ap', 'dcat-ap-2'];
}

/** The entry as JSON-LD in one of the export profiles; `baseUrl` is the API's origin (for `@id`s). */
export async function exportEntry(
  principal: Principal | undefined,
  type: string,
  id: string,
  profile: ExportProfile,
  baseUrl: string,
): Promise<{ document: Record<string, unknown>; etag: string }> {
  definitionOf(type);
  if (!profilesFor(type).includes(profile)) throw errors.notAcceptable(profilesFor(type).map((p) => `application/ld+json (profile=${p})`));
  const found = await visibleEntry(type, id, principal);
  const entry = present(found.doc, principal);
  const options = { baseUrl };
  // A hosted dataset's Croissant describes its columns too: that export changes with the column schema.
  const schema = profile === 'croissant' && entry.type === 'datasets' ? await readSchemaDoc(entry.id) : undefined;
  const document =
    profile === 'croissant' && entry.type === 'datasets'
      ? croissantExport(entry, options, schema?.doc.columns)
      : profile === 'dcat-ap' || profile === 'dcat-ap-2'
        ? dcatExport(entry, options, profile === 'dcat-ap-2' ? '2.1.1' : '3')
        : schemaOrgExport(entry, options);
  const schemaVariant = schema ? `-${schema.etag?.replace(/[^A-Za-z0-9]/g, '') ?? ''}` : '';
  return { document, etag: representationEtag(found.etag, `${profile}${schemaVariant}${principal ? '' : '-public'}`) };
}
