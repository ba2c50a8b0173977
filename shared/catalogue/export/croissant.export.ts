import type { Column } from '../../datasets/dataset.schema';
import type { AgentRef, Distribution } from '../catalogue.schema';
import type { DatasetEntry } from '../catalogue.types';
import { compact, entryUrl, type ExportOptions, fileName, hostedCsvUrl, type JsonLd, licenseUrl, plainDescription } from './jsonld.helpers';

export const CROISSANT_CONFORMS_TO = 'http://mlcommons.org/croissant/1.1';

/** The JSON-LD context Croissant recommends (spec appendix 1, as mlcroissant writes it), inline. */
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

const HOSTED_FILE = 'records-csv';
const RECORD_SET = 'records';

/** Croissant's data type of each column type (schema.org types, as the spec's examples use). */
const DATA_TYPE: Record<Column['type'], string> = {
  number: 'sc:Float',
  integer: 'sc:Integer',
  string: 'sc:Text',
  boolean: 'sc:Boolean',
  datetime: 'sc:DateTime',
};

/**
 * A hosted dataset's rows: a FileObject for the records CSV (no checksum: the rows change with every
 * ingest, so the dataset is declared live, which is when Croissant lets a file go without one) and a
 * RecordSet with one field per column, each extracted from the CSV column of its name. The column
 * schema names no key (the record ids are not in the CSV), so the record set declares none.
 */
function hostedRecords(csvUrl: string, columns: Column[]): { file: JsonLd; recordSet: JsonLd } {
  const file = {
    '@type': 'cr:FileObject',
    '@id': HOSTED_FILE,
    name: 'records.csv',
    description: 'Every record of the dataset as CSV (a header line, then one line per record), served live by the records API.',
    contentUrl: csvUrl,
    encodingFormat: 'text/csv',
  };
  const recordSet = {
    '@type': 'cr:RecordSet',
    '@id': RECORD_SET,
    name: RECORD_SET,
    description: 'One record per row of the CSV.',
    field: columns.map((column) =>
      compact({
        '@type': 'cr:Field',
        '@id': `${RECORD_SET}/${column.name}`,
        name: column.name,
        description: column.unit ? `${column.description ?? column.name} (${column.unit})` : column.description,
        dataType: DATA_TYPE[column.type],
        source: { fileObject: { '@id': HOSTED_FILE }, extract: { column: column.name } },
      }),
    ),
  };
  return { file, recordSet };
}

/**
 * MLCommons Croissant 1.1: the dataset-level fields (name, description, license, url, creator,
 * datePublished, conformsTo) as far as the entry knows them — a missing one is left out, never made
 * up — and `distribution` as FileObjects with checksums. A hosted dataset with a column schema
 * (`columns`) also gets its records CSV and a record set that reads it.
 */
export function croissantExport(entry: DatasetEntry, options: ExportOptions, columns?: Column[]): JsonLd {
  const csvUrl = hostedCsvUrl(entry, options);
  const hosted = csvUrl && columns?.length ? hostedRecords(csvUrl, columns) : undefined;
  return compact({
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    conformsTo: CROISSANT_CONFORMS_TO,
    name: entry.name,
    description: plainDescription(entry),
    license: licenseUrl(entry.license),
    url: entry.sameAs ?? entryUrl(options, entry.type, entry.id),
    creator: (entry.creators ?? []).map(agent),
    datePublished: entry.datePublished,
    dateCreated: entry.dateCreated,
    dateModified: entry.dateModified,
    version: entry.version,
    keywords: entry.keywords,
    sameAs: entry.sameAs ? entryUrl(options, entry.type, entry.id) : undefined,
    citeAs: entry.citeAs,
    isLiveDataset: hosted ? true : undefined,
    distribution: [...(entry.distributions ?? []).map(fileObject), ...(hosted ? [hosted.file] : [])],
    recordSet: hosted ? [hosted.recordSet] : undefined,
  });
}
