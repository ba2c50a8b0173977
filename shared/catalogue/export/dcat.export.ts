import type { AgentRef, Distribution } from '../catalogue.schema';
import type { CatalogueEntry } from '../catalogue.types';
import { agentUrl, compact, entryUrl, type ExportOptions, field, type JsonLd, licenseUrl, plainDescription, refUrl } from './jsonld.helpers';

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

/** The DCAT class of each type: datasets, data services and catalogues; other assets are dcat:Resource. */
const DCAT_TYPE: Record<string, string> = {
  datasets: 'dcat:Dataset',
  services: 'dcat:DataService',
  platforms: 'dcat:Catalog',
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

function agent(options: ExportOptions, ref: AgentRef): JsonLd {
  return compact({
    '@id': agentUrl(options, ref),
    '@type': ref.type === 'persons' ? 'foaf:Person' : 'foaf:Organization',
    'foaf:name': ref.name,
    'foaf:homepage': iri(ref.url),
  });
}

/** DCAT-AP contact points are vCard individuals or organisations with `hasEmail` as a mailto: IRI. */
function contactPoint(ref: AgentRef): JsonLd {
  return compact({
    '@type': ref.type === 'persons' ? 'vcard:Individual' : 'vcard:Organization',
    'vcard:fn': ref.name,
    'vcard:hasEmail': ref.email ? { '@id': `mailto:${ref.email}` } : undefined,
    'vcard:hasURL': iri(ref.url),
  });
}

function distribution(item: Distribution, license: string | undefined): JsonLd {
  return compact({
    '@type': 'dcat:Distribution',
    'dct:title': item.name,
    'dct:description': item.description,
    'dcat:accessURL': { '@id': item.contentUrl },
    'dcat:downloadURL': { '@id': item.contentUrl },
    'dcat:byteSize': item.contentSizeBytes === undefined ? undefined : { '@value': String(item.contentSizeBytes), '@type': 'xsd:nonNegativeInteger' },
    'dcat:mediaType': item.encodingFormat
      ? { '@id': `http://www.iana.org/assignments/media-types/${item.encodingFormat.split(';')[0]?.trim()}` }
      : undefined,
    'spdx:checksum':
      item.checksum && item.checksumAlgorithm
        ? {
            '@type': 'spdx:Checksum',
            'spdx:algorithm': { '@id': SPDX_ALGORITHM[item.checksumAlgorithm] },
            'spdx:checksumValue': { '@value': item.checksum.toLowerCase(), '@type': 'xsd:hexBinary' },
          }
        : undefined,
    'dct:issued': dateLiteral(item.datePublished),
    'dct:license': iri(license),
  });
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
 * DCAT-AP 2.x as JSON-LD: the entry with its distributions (access/download URL, media type, byte
 * size, SPDX checksum, licence) and contact points (vCard). Non-dataset types map onto
 * dcat:DataService, dcat:Catalog, foaf agents or dcat:Resource.
 */
export function dcatExport(entry: CatalogueEntry, options: ExportOptions): JsonLd {
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
    'dcat:landingPage': iri(entry.sameAs),
    'adms:identifier':
      entry.platform && entry.platformResourceIdentifier
        ? { '@type': 'adms:Identifier', 'skos:notation': `${entry.platform}:${entry.platformResourceIdentifier}` }
        : undefined,
    'dct:creator': entry.creators?.map((c) => agent(options, c)),
    'dcat:contactPoint': entry.contacts?.map(contactPoint),
    'dct:isPartOf': entry.isPartOf?.map((ref) => ({ '@id': refUrl(options, ref) })),
    'dct:hasPart': entry.hasPart?.map((ref) => ({ '@id': refUrl(options, ref) })),
    'dcat:distribution': entry.type === 'datasets' || entry.type === 'models' ? entry.distributions?.map((d) => distribution(d, license)) : undefined,
    'dct:license': entry.type === 'datasets' || entry.type === 'models' ? undefined : iri(license),
    ...(entry.type === 'datasets' ? datasetFields(entry) : {}),
    ...(entry.type === 'services' ? { 'dcat:endpointURL': iri(entry.endpointUrl) } : {}),
    ...(entry.type === 'platforms' ? { 'foaf:homepage': iri(entry.homepage) } : {}),
    ...(entry.type === 'persons' ? { 'foaf:name': entry.name, 'foaf:givenName': entry.givenName, 'foaf:familyName': entry.surname } : {}),
    ...(entry.type === 'organisations' ? { 'foaf:name': entry.name, 'foaf:homepage': iri(entry.url) } : {}),
  };
  return compact(document);
}
