import { z } from 'zod';
import type { Principal } from '../auth/auth.schema';
import {
  ContentQuery,
  CountQuery,
  EntryCount,
  EntryInputBody,
  entryParams,
  ExportProfile,
  FacetCounts,
  GetQuery,
  ListQuery,
  MergePatch,
  platformLookupParams,
  typeParams,
} from './catalogue.schema';
import {
  contentUrlOf,
  countEntriesOf,
  createEntry,
  deleteEntry,
  getEntryByPlatformId,
  listEntries,
  patchEntry,
  replaceEntryFields,
} from './catalogue.service';
import { dcatCatalogPage } from './catalogue.dcat';
import { DEFAULT_CATALOG_PAGE_SIZE } from './export/dcat.catalog';
import { serialize } from './export/rdf.serialize';
import { AnyCatalogueEntry, catalogueTypeNames } from './catalogue.types';
import { negotiate, negotiateCatalog, readRepresentation } from '../http/catalogue.representation';
import { ifMatch } from '../http/etag';
import { pageOf, pageReply } from '../http/pagination';
import { created, noContent, ok, seeOther } from '../http/reply';
import { defineRoute } from '../http/route';

/**
 * The catalogue routes' definitions, registered by `functions/catalogue.ts` from name, method, path
 * and access alone and loaded here on their first request: a cold start builds none of these schemas.
 */

const tags = ['catalogue'];
const TypeParams = typeParams(catalogueTypeNames);
const EntryParams = entryParams(catalogueTypeNames);
const writers = ['contributor'] as const; // the platform registry further needs admin (checked per type)

// Published entries may sit in shared caches briefly; anything a credential unlocked stays private
// and is revalidated (ETag → 304) on every use.
function caching(principal: Principal | undefined): Record<string, string> {
  return {
    'Cache-Control': principal ? 'private, no-cache' : 'public, max-age=60',
    Vary: 'Accept, Authorization, X-API-Key',
  };
}

const origin = (url: string) => new URL(url).origin;
const location = (type: string, id: string) => `/api/v1/catalogue/${type}/${encodeURIComponent(id)}`;

const CatalogQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(100_000).default(1).describe('The page (1 = the first), as the hydra links name it.'),
  pageSize: z.coerce.number().int().min(1).max(DEFAULT_CATALOG_PAGE_SIZE).default(DEFAULT_CATALOG_PAGE_SIZE).describe('Datasets per page (1–100).'),
});

export const getDcatCatalogRoute = defineRoute({
  name: 'getDcatCatalog',
  method: 'GET',
  path: 'v1/dcat/catalog',
  summary: 'The published datasets as one DCAT-AP dcat:Catalog, paged with hydra, as JSON-LD, Turtle or RDF/XML (by Accept)',
  description:
    'For DCAT harvesters (as CKAN’s ckanext-dcat serves its catalogue): the catalogue’s title, description, publisher and ' +
    'homepage, and one page of its published datasets (sorted by name) in DCAT-AP 3, with a `hydra:PagedCollection` node ' +
    '(`totalItems`, `itemsPerPage`, `firstPage`, `lastPage`, `previousPage`, `nextPage`). 404 past the last page.',
  tags,
  access: 'public',
  query: CatalogQuery,
  responses: {
    200: { description: 'One page of the catalogue.', contentType: 'application/ld+json', alsoAs: ['text/turtle', 'application/rdf+xml'] },
    404: { description: 'The page is past the last one.' },
    406: { description: 'None of JSON-LD, Turtle or RDF/XML is acceptable.' },
  },
  handle: async ({ query, request }) => {
    const { syntax, mediaType } = negotiateCatalog(request.headers.get('accept'));
    const document = await dcatCatalogPage(query.page, query.pageSize, origin(request.url));
    return ok(await serialize(document, syntax), { 'Content-Type': `${mediaType}; charset=utf-8`, 'Cache-Control': 'public, max-age=60', Vary: 'Accept' });
  },
});

export const listCatalogueEntriesRoute = defineRoute({
  name: 'listCatalogueEntries',
  method: 'GET',
  path: 'v1/catalogue/{type}',
  summary: 'Search entries of a type: free text, keyword, platform, status, license and date filters; facet counts; sorted; cursor-paginated',
  tags,
  access: 'optional',
  params: TypeParams,
  query: ListQuery,
  responses: {
    200: { description: 'A page of entries (and the facets asked for).', schema: pageOf(AnyCatalogueEntry, 'CatalogueEntryPage', { facets: FacetCounts.optional() }) },
  },
  handle: async ({ params, query, principal, request }) => {
    const page = await listEntries(principal, params.type, query);
    const reply = pageReply(page, request.url);
    const body = page.facets ? { ...(reply.body as object), facets: page.facets } : reply.body;
    return { ...reply, body, headers: { ...reply.headers, ETag: page.etag, ...caching(principal) } };
  },
});

export const countCatalogueEntriesRoute = defineRoute({
  name: 'countCatalogueEntries',
  method: 'GET',
  path: 'v1/catalogue/{type}/count',
  summary: 'Count entries of a type (optionally per platform of the registry)',
  tags,
  access: 'optional',
  params: TypeParams,
  query: CountQuery,
  responses: { 200: { description: 'The count.', schema: EntryCount } },
  handle: async ({ params, query, principal }) => ok(await countEntriesOf(principal, params.type, query), { 'Cache-Control': 'no-cache' }),
});

export const getCatalogueEntryRoute = defineRoute({
  name: 'getCatalogueEntry',
  method: 'GET',
  path: 'v1/catalogue/{type}/{id}',
  summary: 'Get one entry: JSON, JSON-LD (schema.org, DCAT-AP, Croissant for datasets), or DCAT-AP as Turtle or RDF/XML, by Accept and ?profile=',
  description:
    'Send `Accept: application/ld+json` (optionally with `?profile=schema.org|dcat-ap|croissant`, or a `profile` parameter in Accept) ' +
    'for a JSON-LD export; `Accept: text/turtle` or `application/rdf+xml` for the DCAT-AP export in that syntax. Drafts are visible to their owner and admins only; anonymous callers get no email addresses.',
  tags,
  access: 'optional',
  params: EntryParams,
  query: GetQuery,
  responses: {
    200: {
      description: 'The entry (JSON), its JSON-LD export in the negotiated profile, or its DCAT-AP export as Turtle or RDF/XML.',
      schema: AnyCatalogueEntry,
      alsoAs: ['application/ld+json', 'text/turtle', 'application/rdf+xml'],
    },
    406: { description: 'None of the accepted media types or profiles is available.' },
  },
  handle: async ({ params, query, principal, request }) => {
    const representation = negotiate(params.type, request.headers.get('accept'), query.profile);
    const { body, contentType, etag } = await readRepresentation(principal, params.type, params.id, representation, origin(request.url));
    return ok(body, { 'Content-Type': contentType, ETag: etag, ...caching(principal) });
  },
});

export const exportCatalogueEntryRoute = defineRoute({
  name: 'exportCatalogueEntry',
  method: 'GET',
  path: 'v1/catalogue/{type}/{id}/export',
  summary: 'Export one entry as JSON-LD (legacy alias of GET /catalogue/{type}/{id} with Accept: application/ld+json)',
  tags,
  access: 'optional',
  params: EntryParams,
  query: z.strictObject({ profile: ExportProfile.default('schema.org') }),
  deprecated: { since: new Date('2025-01-01T00:00:00Z'), sunset: new Date('2027-01-01T00:00:00Z'), successor: '/api/v1/catalogue/{type}/{id}' },
  responses: {
    200: { description: 'The JSON-LD export.', contentType: 'application/ld+json' },
    406: { description: 'This type has no export in `profile` (`detail` lists the profiles it has).' },
  },
  handle: async ({ params, query, principal, request }) => {
    const representation = { kind: 'jsonld', profile: query.profile } as const;
    const { body, contentType, etag } = await readRepresentation(principal, params.type, params.id, representation, origin(request.url));
    return ok(body, { 'Content-Type': contentType, ETag: etag, ...caching(principal) });
  },
});

export const getCatalogueEntryContentRoute = defineRoute({
  name: 'getCatalogueEntryContent',
  method: 'GET',
  path: 'v1/catalogue/{type}/{id}/content',
  summary: 'Redirect (303) to the content URL of one of the entry’s distributions',
  tags,
  access: 'optional',
  params: EntryParams,
  query: ContentQuery,
  responses: { 303: { description: 'See the `Location` header.' } },
  handle: async ({ params, query, principal }) => seeOther(await contentUrlOf(principal, params.type, params.id, query.distribution)),
});

export const createCatalogueEntryRoute = defineRoute({
  name: 'createCatalogueEntry',
  method: 'POST',
  path: 'v1/catalogue/{type}',
  summary: 'Create an entry owned by the caller (a draft unless `status` says otherwise; platforms: admins only)',
  tags,
  access: writers,
  params: TypeParams,
  body: EntryInputBody,
  responses: {
    201: { description: 'The created entry.', schema: AnyCatalogueEntry },
    409: { description: 'Another live entry has this platform + platformResourceIdentifier (`existingId` names it).' },
  },
  handle: async ({ params, body, principal }) => {
    const { entry, etag } = await createEntry(principal, params.type, body);
    return created(entry, location(params.type, entry.id), etag);
  },
});

export const replaceCatalogueEntryRoute = defineRoute({
  name: 'replaceCatalogueEntry',
  method: 'PUT',
  path: 'v1/catalogue/{type}/{id}',
  summary: 'Replace an entry (owner or admin; honours If-Match)',
  tags,
  access: writers,
  headers: { 'If-Match': 'optional' },
  params: EntryParams,
  body: EntryInputBody,
  responses: {
    200: { description: 'The entry as stored.', schema: AnyCatalogueEntry },
    409: { description: 'Another live entry has this platform + platformResourceIdentifier, or the entry kept changing.' },
    412: { description: 'If-Match does not match the current ETag.' },
  },
  handle: async ({ params, body, principal, request }) => {
    const { entry, etag } = await replaceEntryFields(principal, params.type, params.id, body, ifMatch(request.headers));
    return ok(entry, { ETag: etag });
  },
});

export const patchCatalogueEntryRoute = defineRoute({
  name: 'patchCatalogueEntry',
  method: 'PATCH',
  path: 'v1/catalogue/{type}/{id}',
  summary: 'Update an entry with a JSON merge patch (RFC 7396; owner or admin; honours If-Match)',
  tags,
  access: writers,
  headers: { 'If-Match': 'optional' },
  params: EntryParams,
  body: MergePatch,
  consumes: ['application/merge-patch+json'],
  responses: {
    200: { description: 'The entry as stored.', schema: AnyCatalogueEntry },
    409: { description: 'Another live entry has this platform + platformResourceIdentifier, or the entry kept changing.' },
    412: { description: 'If-Match does not match the current ETag.' },
  },
  handle: async ({ params, body, principal, request }) => {
    const { entry, etag } = await patchEntry(principal, params.type, params.id, body, ifMatch(request.headers));
    return ok(entry, { ETag: etag });
  },
});

export const deleteCatalogueEntryRoute = defineRoute({
  name: 'deleteCatalogueEntry',
  method: 'DELETE',
  path: 'v1/catalogue/{type}/{id}',
  summary: 'Delete an entry (soft: purged after the retention; owner or admin; honours If-Match)',
  tags,
  access: writers,
  headers: { 'If-Match': 'optional' },
  params: EntryParams,
  responses: {
    204: { description: 'Deleted.' },
    409: { description: 'A platform that still has entries, or the entry kept changing.' },
    412: { description: 'If-Match does not match the current ETag.' },
  },
  handle: async ({ params, principal, request }) => {
    await deleteEntry(principal, params.type, params.id, ifMatch(request.headers));
    return noContent();
  },
});

export const getCatalogueEntryByPlatformIdRoute = defineRoute({
  name: 'getCatalogueEntryByPlatformId',
  method: 'GET',
  path: 'v1/platforms/{platform}/{type}/{*platformResourceIdentifier}',
  summary: 'Get the entry that has this identifier on its source platform',
  description:
    'Get the entry that has this identifier on its source platform. An identifier with `/` is sent as one segment with ' +
    'each `/` encoded as `%2F` (`org%2Fname%2Fv1`); the unencoded form is answered identically.',
  tags,
  access: 'optional',
  params: platformLookupParams(catalogueTypeNames),
  responses: { 200: { description: 'The entry.', schema: AnyCatalogueEntry } },
  handle: async ({ params, principal }) => {
    const { entry, etag } = await getEntryByPlatformId(principal, params.type, params.platform, params.platformResourceIdentifier);
    return ok(entry, { ETag: etag, ...caching(principal) });
  },
});
