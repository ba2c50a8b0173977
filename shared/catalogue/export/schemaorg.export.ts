import type { AgentRef, Distribution } from '../catalogue.schema';
import type { CatalogueEntry } from '../catalogue.types';
import { agentUrl, compact, entryUrl, type ExportOptions, field, type JsonLd, licenseUrl, plainDescription, refUrl } from './jsonld.helpers';

/** The schema.org class of each type; types not listed export as CreativeWork. */
const SCHEMA_ORG_TYPE: Record<string, string> = {
  datasets: 'Dataset',
  models: 'SoftwareApplication',
  services: 'SoftwareApplication',
  publications: 'ScholarlyArticle',
  experiments: 'CreativeWork',
  organisations: 'Organization',
  persons: 'Person',
  platforms: 'DataCatalog',
};

function agent(options: ExportOptions, ref: AgentRef): JsonLd {
  return compact({
    '@type': ref.type === 'persons' ? 'Person' : 'Organization',
    '@id': agentUrl(options, ref),
    name: ref.name,
    email: ref.email,
    url: ref.url,
  });
}

function dataDownload(distribution: Distribution): JsonLd {
  return compact({
    '@type': 'DataDownload',
    name: distribution.name,
    description: distribution.description,
    contentUrl: distribution.contentUrl,
    contentSize: distribution.contentSizeBytes === undefined ? undefined : `${distribution.contentSizeBytes} B`,
    encodingFormat: distribution.encodingFormat,
    sha256: distribution.checksumAlgorithm === 'sha256' ? distribution.checksum : undefined,
    datePublished: distribution.datePublished,
  });
}

function datasetFields(entry: CatalogueEntry): JsonLd {
  const size = field<{ value: number; unit: string }>(entry, 'size');
  const temporal = field<{ startDate?: string; endDate?: string }>(entry, 'temporalCoverage');
  const spatial = field<{ name?: string; geo?: { latitude: number; longitude: number }; box?: Record<'south' | 'west' | 'north' | 'east', number> }>(
    entry,
    'spatialCoverage',
  );
  return {
    distribution: entry.distributions?.map(dataDownload),
    measurementTechnique: field<string[]>(entry, 'measurementTechnique'),
    size: size ? { '@type': 'QuantitativeValue', value: size.value, unitText: size.unit } : undefined,
    temporalCoverage: temporal ? `${temporal.startDate ?? '..'}/${temporal.endDate ?? '..'}` : undefined,
    spatialCoverage: spatial
      ? compact({
          '@type': 'Place',
          name: spatial.name,
          geo: spatial.box
            ? { '@type': 'GeoShape', box: `${spatial.box.south} ${spatial.box.west} ${spatial.box.north} ${spatial.box.east}` }
            : spatial.geo
              ? { '@type': 'GeoCoordinates', latitude: spatial.geo.latitude, longitude: spatial.geo.longitude }
              : undefined,
        })
      : undefined,
    issn: field<string>(entry, 'issn'),
    citation: field<string>(entry, 'citeAs'),
  };
}

function typeFields(entry: CatalogueEntry, options: ExportOptions): JsonLd {
  switch (entry.type) {
    case 'datasets':
      return datasetFields(entry);
    case 'models':
      return {
        applicationCategory: entry.modelType ? `Machine learning model: ${entry.modelType}` : 'Machine learning model',
        softwareVersion: entry.version,
        downloadUrl: entry.distributions?.map((d) => d.contentUrl),
        softwareRequirements: entry.framework,
      };
    case 'services':
      return {
        applicationCategory: 'Service',
        softwareVersion: entry.version,
        url: entry.endpointUrl ?? entryUrl(options, entry.type, entry.id),
        downloadUrl: entry.distributions?.map((d) => d.contentUrl),
      };
    case 'publications':
      return {
        author: entry.creators?.map((c) => agent(options, c)),
        creator: undefined,
        sameAs: [entry.sameAs, entry.permanentIdentifier].filter((v): v is string => Boolean(v)),
        isPartOf: [
          ...(entry.journal ? [compact({ '@type': 'Periodical', name: entry.journal, issn: entry.issn })] : []),
          ...(entry.isPartOf ?? []).map((ref) => ({ '@id': refUrl(options, ref) })),
        ],
        isbn: entry.isbn,
        genre: entry.publicationType,
      };
    case 'organisations':
      return {
        legalName: entry.legalName,
        foundingDate: entry.dateFounded,
        email: entry.email,
        url: entry.url ?? entryUrl(options, entry.type, entry.id),
        member: entry.members?.map((ref) => ({ '@id': refUrl(options, ref) })),
      };
    case 'persons':
      return {
        givenName: entry.givenName,
        familyName: entry.surname,
        email: entry.email,
        knowsAbout: entry.expertise,
        knowsLanguage: entry.languages,
        memberOf: entry.memberOf?.map((ref) => ({ '@id': refUrl(options, ref) })),
      };
    case 'platforms':
      return { url: entry.homepage ?? entryUrl(options, entry.type, entry.id) };
    default:
      return {};
  }
}

/**
 * schema.org JSON-LD: Dataset, SoftwareApplication (models, services), ScholarlyArticle
 * (publications), Organization, Person, DataCatalog (platforms), else CreativeWork.
 */
export function schemaOrgExport(entry: CatalogueEntry, options: ExportOptions): JsonLd {
  const id = entryUrl(options, entry.type, entry.id);
  const isAgent = entry.type === 'persons' || entry.type === 'organisations';
  const common: JsonLd = {
    '@context': 'https://schema.org/',
    '@type': SCHEMA_ORG_TYPE[entry.type] ?? 'CreativeWork',
    '@id': id,
    url: id,
    name: entry.name,
    description: plainDescription(entry),
    alternateName: entry.alternateName,
    sameAs: entry.sameAs,
    ...(isAgent
      ? {}
      : {
          keywords: entry.keywords,
          license: licenseUrl(entry.license),
          version: entry.version,
          datePublished: entry.datePublished,
          dateCreated: entry.dateCreated,
          dateModified: entry.dateModified,
          creator: entry.creators?.map((c) => agent(options, c)),
          maintainer: entry.contacts?.map((c) => agent(options, c)),
          isPartOf: entry.isPartOf?.map((ref) => ({ '@id': refUrl(options, ref) })),
          hasPart: entry.hasPart?.map((ref) => ({ '@id': refUrl(options, ref) })),
          includedInDataCatalog: entry.platform && entry.type === 'datasets' ? { '@type': 'DataCatalog', name: entry.platform } : undefined,
        }),
  };
  return compact({ ...common, ...typeFields(entry, options) });
}
