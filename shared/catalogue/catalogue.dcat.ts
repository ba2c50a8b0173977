import { errors } from '../errors';
import { present } from './catalogue.access';
import { countEntries, queryEntries } from './catalogue.repository';
import type { CatalogueEntry } from './catalogue.types';
import { dcatCatalogExport } from './export/dcat.catalog';
import type { JsonLd } from './export/jsonld.helpers';

// The catalogue as harvesters read it: the published datasets as DCAT-AP, a numbered page at a time.

const PUBLISHED = { kind: 'published' } as const;
const FILTERS = { status: 'published' };

/**
 * One page of the published datasets (sorted by name, as anonymous callers see them) as a
 * `dcat:Catalog` with hydra paging. Page N is reached by reading the entries before it through the
 * store's continuations: numbered pages are what DCAT harvesters (ckanext-dcat) follow, and the store has no
 * cheaper random access (an OFFSET reads the skipped entries too). 404 past the last page.
 *
 * @example const document = await dcatCatalogPage(1, 100, 'https://assets.example.org');
 */
export async function dcatCatalogPage(page: number, pageSize: number, baseUrl: string): Promise<JsonLd> {
  const total = await countEntries('datasets', FILTERS, PUBLISHED);
  const last = Math.max(1, Math.ceil(total / pageSize));
  if (page > last) throw errors.notFound('catalogue page', String(page));
  // The store's pages may come shorter than asked: count entries, not pages, to find this one.
  const start = (page - 1) * pageSize;
  const items: CatalogueEntry[] = [];
  let seen = 0;
  let continuation: string | undefined;
  do {
    const result = await queryEntries('datasets', FILTERS, PUBLISHED, { field: 'name', descending: false }, { limit: pageSize, continuation });
    for (const { doc } of result.items) {
      if (seen >= start && items.length < pageSize) items.push(present(doc, undefined));
      seen++;
    }
    continuation = result.continuation;
  } while (continuation && items.length < pageSize);
  return dcatCatalogExport(items, { baseUrl, page, pageSize, total });
}
