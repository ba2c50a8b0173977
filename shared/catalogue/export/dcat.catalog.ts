import type { CatalogueEntry } from '../catalogue.types';
import { DCAT_CONTEXT, dcatExport } from './dcat.export';
import { compact, type JsonLd } from './jsonld.helpers';

/** Where the catalogue lives, and which page of it this document is. */
export interface CatalogPage {
  baseUrl: string;
  /** 1-based, as hydra and ckanext-dcat count pages. */
  page: number;
  pageSize: number;
  /** Published datasets in the whole catalogue. */
  total: number;
}

export const CATALOG_PATH = '/api/v1/dcat/catalog';
/** Datasets per page unless `pageSize` says otherwise (ckanext-dcat's default too). */
export const DEFAULT_CATALOG_PAGE_SIZE = 100;

const HYDRA = 'http://www.w3.org/ns/hydra/core#';

function pageUrl(options: CatalogPage, page: number): string {
  const size = options.pageSize === DEFAULT_CATALOG_PAGE_SIZE ? '' : `&pageSize=${options.pageSize}`;
  return `${options.baseUrl}${CATALOG_PATH}?page=${page}${size}`;
}

/**
 * Hydra paging as ckanext-dcat writes it: a `hydra:PagedCollection` node for this page with the
 * total, the page size and the first, last, previous and next pages.
 */
function paging(options: CatalogPage): JsonLd {
  const last = Math.max(1, Math.ceil(options.total / options.pageSize));
  return compact({
    '@id': pageUrl(options, options.page),
    '@type': 'hydra:PagedCollection',
    'hydra:totalItems': { '@value': String(options.total), '@type': 'xsd:integer' },
    'hydra:itemsPerPage': { '@value': String(options.pageSize), '@type': 'xsd:integer' },
    'hydra:firstPage': pageUrl(options, 1),
    'hydra:lastPage': pageUrl(options, last),
    'hydra:previousPage': options.page > 1 ? pageUrl(options, Math.min(options.page - 1, last)) : undefined,
    'hydra:nextPage': options.page < last ? pageUrl(options, options.page + 1) : undefined,
  });
}

/** The platform publishes this catalogue: the deployment at `baseUrl`, a software agent (foaf:Agent). */
function publisher(baseUrl: string): JsonLd {
  return { '@id': `${baseUrl}/`, '@type': 'foaf:Agent', 'foaf:name': `ML asset platform at ${new URL(baseUrl).host}` };
}

/**
 * The published datasets as one DCAT-AP `dcat:Catalog` (one page of them), with hydra paging.
 *
 * @example dcatCatalogExport(datasets, { baseUrl: 'https://assets.example.org', page: 1, pageSize: 100, total: 2 })
 */
export function dcatCatalogExport(datasets: CatalogueEntry[], options: CatalogPage): JsonLd {
  const exportOptions = { baseUrl: options.baseUrl };
  return {
    '@context': { ...DCAT_CONTEXT, hydra: HYDRA },
    '@graph': [
      {
        '@id': `${options.baseUrl}${CATALOG_PATH}`,
        '@type': 'dcat:Catalog',
        'dct:title': { '@value': 'ML asset platform catalogue', '@language': 'en' },
        'dct:description': {
          '@value': 'The published datasets of this ML asset platform: its own hosted datasets and those harvested from source platforms.',
          '@language': 'en',
        },
        'dct:publisher': publisher(options.baseUrl),
        'foaf:homepage': { '@id': `${options.baseUrl}/`, '@type': 'foaf:Document' },
        'dcat:dataset': datasets.map((entry) => {
          const { '@context': _context, ...node } = dcatExport(entry, exportOptions);
          return node;
        }),
      },
      paging(options),
    ],
  };
}
