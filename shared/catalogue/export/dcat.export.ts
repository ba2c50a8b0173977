import type { AgentRef, Distribution } from '../catalogue.schema';
import type { CatalogueEntry } from '../catalogue.types';
import { agentUrl, compact, entryUrl, type ExportOptions, field, hostedCsvUrl, type JsonLd, licenseUrl, plainDescription, refUrl } from './jsonld.helpers';

/** Prefixes only: a self-contained context, so consumers need no remote context document. */
export const DCAT_CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  spdx: 'http://spdx.org/rdf/terms#',
  owl: 'http://www.w3.org/2002/07/owl#',
  adms: 'http://www.w3.org/ns/adms#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  locn: 'http://www.w3.org/ns/locn#',
  gsp: 'http://www.opengis.net/ont/geosparql#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
};

/**
 * The DCAT class of each type: datasets and data services; persons and organisations are FOAF agents.
 * Other assets are dcat:Resource — platforms too: a source platform is a catalogue, but DCAT-AP's
 * dcat:Catalog demands a publisher the registry does not record, and a dcat:Resource claims nothing
 * we would have to invent (dcat:Catalog is a dcat:Resource).
 */
const DCAT_TYPE: Record<string, string> = {
  datasets: 'dcat:Dataset',
  services: 'dcat:DataService',
  persons: 'foaf:Person',
  organisations: 'foaf:Organization',
};

const SPDX_ALGORITHM: Record<string, string> = {
  md5: 'spdx:checksumAlgorithm_md5',
  sha1: 'spdx:checksumAlgorithm_sha1',
  sha256: 'spdx:checksumAlgorithm_sha256',
  sha512: 'spdx:checksumAlgorithm_sha512',
};

function dateLiteral(value: string | undefined): JsonLd | undefined {
  if (!value) return undefined;
  return { '@value': value, '@type': value.includes('T') ? 'xsd:dateTime' : 'xsd:date' };
}

const iri = (value: string | undefined) => (value ? { '@id': value } : undefined);

/** An IRI with the class DCAT-AP expects of it (a licence is a dct:LicenseDocument, a landing page a foaf:Document). */
const typedIri = (value: string | undefined, type: string) => (value ? { '@id': value, '@type': type } : undefined);

/** A media type as its IANA registry IRI, a dct:MediaType. */
function mediaType(encodingFormat: string | undefined): JsonLd | undefined {
  const type = encodingFormat?.split(';')[0]?.trim().toLowerCase();
  return type ? { '@id': `http://www.iana.org/assignments/media-types/${type}`, '@type': 'dct:MediaType' } : undefined;
}

function agent(options: ExportOptions, ref: AgentRef): JsonLd {
  return compact({
    '@id': agentUrl(options, ref),
    '@type': ref.type === 'persons' ? 'foaf:Person' : 'foaf:Organization',
    'foaf:name': ref.name,
    'foaf:homepage': typedIri(ref.url, 'foaf:Document'),
  });
}

/**
 * DCAT-AP contact points are vCard individuals or organisations (both vcard:Kind) with `hasEmail`
 * as a mailto: IRI — only when the caller may see the address (anonymous views carry none).
 */
function contactPoint(ref: AgentRef): JsonLd {
  return compact({
    '@type': ref.type === 'persons' ? 'vcard:Individual' : 'vcard:Organization',
    'vcard:fn': ref.name,
    'vcard:hasEmail': ref.email ? { '@id': `mailto:${ref.email}` } : undefined,
    'vcard:hasURL': iri(ref.url),
  });
}

/** DCAT-AP 3, or 2.1.1 for harvesters that still read 2.x; they differ in what the export uses only here. */
export type DcatVersion = '3' | '2.1.1';

/** 2.1.1 types byte sizes as xsd:decimal (3: xsd:nonNegativeInteger) and names only SHA-1 as a checksum algorithm. */
const BYTE_SIZE_TYPE: Record<DcatVersion, string> = { '3': 'xsd:nonNegativeInteger', '2.1.1': 'xsd:decimal' };
const allowsAlgorithm = (version: DcatVersion, algorithm: string) => version === '3' || algorithm === 'sha1';

function distribution(item: Distribution, license: string | undefined, version: DcatVersion): JsonLd {
  return compact({
    '@type': 'dcat:Distribution',
    'dct:title': item.name,
    'dct:description': item.description,
    'dcat:accessURL': { '@id': item.contentUrl },
    'dcat:downloadURL': { '@id': item.contentUrl },
    'dcat:byteSize': item.contentSizeBytes === undefined ? undefined : { '@value': String(item.contentSizeBytes), '@type': BYTE_SIZE_TYPE[version] },
    'dcat:mediaType': mediaType(item.encodingFormat),
    'spdx:checksum':
      item.checksum && item.checksumAlgorithm && allowsAlgorithm(version, item.checksumAlgorithm)
        ? {
            '@type': 'spdx:Checksum',
            'spdx:algorithm': { '@id': SPDX_ALGORITHM[item.checksumAlgorithm], '@type': 'spdx:ChecksumAlgorithm' },
            'spdx:checksumValue': { '@value': item.checksum.toLowerCase(), '@type': 'xsd:hexBinary' },
          }
        : undefined,
    'dct:issued': dateLiteral(item.datePublished),
    'dct:license': typedIri(license, 'dct:LicenseDocument'),
  });
}

/**
 * A hosted dataset's rows as a distribution: every record as CSV from the records API (the URL form
 * with `_stream=on`), so harvesters find the data, not only the description.
 */
function hostedDistribution(entry: CatalogueEntry, options: ExportOptions, license: string | undefined): JsonLd | undefined {
  const url = hostedCsvUrl(entry, options);
  return url
    ? compact({
        '@type': 'dcat:Distribution',
        'dct:title': 'All records (CSV)',
        'dcat:accessURL': { '@id': url },
        'dcat:downloadURL': { '@id': url },
        'dcat:mediaType': mediaType('text/csv'),
        'dct:license': typedIri(license, 'dct:LicenseDocument'),
      })
    : undefined;
}

function datasetFields(entry: CatalogueEntry): JsonLd {
  const temporal = field<{ startDate?: string; endDate?: string }>(entry, 'temporalCoverage');
  const spatial = field<{ name?: string; geo?: { latitude: number; longitude: number }; box?: Record<'south' | 'west' | 'north' | 'east', number> }>(
    entry,
    'spatialCoverage',
  );
  const box = spatial?.box;
  return {
    'dct:temporal': temporal
      ? compact({ '@type': 'dct:PeriodOfTime', 'dcat:startDate': dateLiteral(temporal.startDate), 'dcat:endDate': dateLiteral(temporal.endDate) })
      : undefined,
    'dct:spatial': spatial
      ? compact({
          '@type': 'dct:Location',
          'locn:geographicName': spatial.name,
          'dcat:bbox': box
            ? {
                '@value': `POLYGON((${box.west} ${box.south},${box.east} ${box.south},${box.east} ${box.north},${box.west} ${box.north},${box.west} ${box.south}))`,
                '@type': 'gsp:wktLiteral',
              }
            : undefined,
          'dcat:centroid': spatial.geo ? { '@value': `POINT(${spatial.geo.longitude} ${spatial.geo.latitude})`, '@type': 'gsp:wktLiteral' } : undefined,
        })
      : undefined,
  };
}

/**
 * DCAT-AP 3 as JSON-LD: the entry with its distributions (access/download URL, media type, byte
 * size, SPDX checksum, licence) and contact points (vCard). Non-dataset types map onto
 * dcat:DataService, foaf agents or dcat:Resource. `version` '2.1.1' gives the DCAT-AP 2.1.1 variant
 * (decimal byte sizes; a checksum whose algorithm 2.1.1 cannot name is left out).
 *
 * @example dcatExport(entry, { baseUrl: 'https://assets.example.org' }, '2.1.1')
 */
export function dcatExport(entry: CatalogueEntry, options: ExportOptions, version: DcatVersion = '3'): JsonLd {
  const license = licenseUrl(entry.license);
  const document: JsonLd = {
    '@context': DCAT_CONTEXT,
    '@id': entryUrl(options, entry.type, entry.id),
    '@type': DCAT_TYPE[entry.type] ?? 'dcat:Resource',
    'dct:identifier': entry.id,
    'dct:title': entry.name,
    'dct:description': plainDescription(entry),
    'dcat:keyword': entry.keywords,
    'dct:issued': dateLiteral(entry.datePublished),
    'dct:modified': dateLiteral(entry.dateModified),
    'owl:versionInfo': entry.version,
    'dcat:landingPage': typedIri(entry.sameAs, 'foaf:Document'),
    'adms:identifier':
      entry.platform && entry.platformResourceIdentifier
        ? { '@type': 'adms:Identifier', 'skos:notation': `${entry.platform}:${entry.platformResourceIdentifier}` }
        : undefined,
    'dct:creator': entry.creators?.map((c) => agent(options, c)),
    'dcat:contactPoint': entry.contacts?.map(contactPoint),
    'dct:isPartOf': entry.isPartOf?.map((ref) => ({ '@id': refUrl(options, ref) })),
    'dct:hasPart': entry.hasPart?.map((ref) => ({ '@id': refUrl(options, ref) })),
    'dcat:distribution':
      entry.type === 'datasets' || entry.type === 'models'
        ? [...(entry.distributions ?? []).map((d) => distribution(d, license, version)), hostedDistribution(entry, options, license)].filter(Boolean)
        : undefined,
    'dct:license': entry.type === 'datasets' || entry.type === 'models' ? undefined : typedIri(license, 'dct:LicenseDocument'),
    ...(entry.type === 'datasets' ? datasetFields(entry) : {}),
    ...(entry.type === 'services' ? { 'dcat:endpointURL': iri(entry.endpointUrl) } : {}),
    ...(entry.type === 'platforms' ? { 'foaf:homepage': typedIri(entry.homepage, 'foaf:Document') } : {}),
    ...(entry.type === 'persons' ? { 'foaf:name': entry.name, 'foaf:givenName': entry.givenName, 'foaf:familyName': entry.surname } : {}),
    ...(entry.type === 'organisations' ? { 'foaf:name': entry.name, 'foaf:homepage': typedIri(entry.url, 'foaf:Document') } : {}),
  };
  return compact(document);
}
