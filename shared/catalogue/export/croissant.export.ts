import type { AgentRef, Distribution } from '../catalogue.schema';
import type { DatasetEntry } from '../catalogue.types';
import { compact, entryUrl, type ExportOptions, fileName, type JsonLd, licenseUrl, plainDescription } from './jsonld.helpers';

export const CROISSANT_CONFORMS_TO = 'http://mlcommons.org/croissant/1.0';

/** The JSON-LD context Croissant 1.0 recommends (spec appendix 1, as mlcroissant writes it), inline. */
export const CROISSANT_CONTEXT = {
  '@language': 'en',
  '@vocab': 'https://schema.org/',
  citeAs: 'cr:citeAs',
  column: 'cr:column',
  conformsTo: 'dct:conformsTo',
  cr: 'http://mlcommons.org/croissant/',
  rai: 'http://mlcommons.org/croissant/RAI/',
  data: { '@id': 'cr:data', '@type': '@json' },
  dataType: { '@id': 'cr:dataType', '@type': '@vocab' },
  dct: 'http://purl.org/dc/terms/',
  examples: { '@id': 'cr:examples', '@type': '@json' },
  extract: 'cr:extract',
  field: 'cr:field',
  fileProperty: 'cr:fileProperty',
  fileObject: 'cr:fileObject',
  fileSet: 'cr:fileSet',
  format: 'cr:format',
  includes: 'cr:includes',
  isLiveDataset: 'cr:isLiveDataset',
  jsonPath: 'cr:jsonPath',
  key: 'cr:key',
  md5: 'cr:md5',
  parentField: 'cr:parentField',
  path: 'cr:path',
  recordSet: 'cr:recordSet',
  references: 'cr:references',
  regex: 'cr:regex',
  repeated: 'cr:repeated',
  replace: 'cr:replace',
  sc: 'https://schema.org/',
  separator: 'cr:separator',
  source: 'cr:source',
  subField: 'cr:subField',
  transform: 'cr:transform',
};

function agent(ref: AgentRef): JsonLd {
  return compact({ '@type': ref.type === 'persons' ? 'sc:Person' : 'sc:Organization', name: ref.name ?? ref.id, email: ref.email, url: ref.url });
}

/** A Croissant FileObject; Croissant checksums are sha256 (schema.org) or md5 (cr:md5). */
function fileObject(item: Distribution, index: number): JsonLd {
  return compact({
    '@type': 'cr:FileObject',
    '@id': `file-${index}`,
    name: fileName(item, index),
    description: item.description,
    contentUrl: item.contentUrl,
    contentSize: item.contentSizeBytes === undefined ? undefined : `${item.contentSizeBytes} B`,
    encodingFormat: item.encodingFormat,
    sha256: item.checksumAlgorithm === 'sha256' ? item.checksum?.toLowerCase() : undefined,
    md5: item.checksumAlgorithm === 'md5' ? item.checksum?.toLowerCase() : undefined,
  });
}

/**
 * MLCommons Croissant 1.0: the dataset-level required fields (name, description, license, url,
 * creator, datePublished, conformsTo) and `distribution` as FileObjects with checksums. A dataset
 * with no publication date gives the date it entered the catalogue; one with no creators, its contacts.
 */
export function croissantExport(entry: DatasetEntry, options: ExportOptions): JsonLd {
  const creators = entry.creators?.length ? entry.creators : (entry.contacts ?? []);
  return compact({
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    conformsTo: CROISSANT_CONFORMS_TO,
    name: entry.name,
    description: plainDescription(entry) ?? entry.name,
    license: licenseUrl(entry.license),
    url: entry.sameAs ?? entryUrl(options, entry.type, entry.id),
    creator: creators.map(agent),
    datePublished: entry.datePublished ?? entry.dateCreated,
    dateCreated: entry.dateCreated,
    dateModified: entry.dateModified,
    version: entry.version,
    keywords: entry.keywords,
    sameAs: entry.sameAs ? entryUrl(options, entry.type, entry.id) : undefined,
    citeAs: entry.citeAs,
    distribution: (entry.distributions ?? []).map(fileObject),
  });
}
