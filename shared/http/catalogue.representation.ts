import type { Principal } from '../auth/auth.schema';
import type { ExportProfile } from '../catalogue/catalogue.schema';
import { exportEntry, getVersionedEntry, profilesFor } from '../catalogue/catalogue.service';
import { RDF_MEDIA_TYPES, serialize } from '../catalogue/export/rdf.serialize';
import { errors } from '../errors';
import { negotiate as negotiateOffer, type Offer, preferredOffer } from './negotiate';

// Which representation of a catalogue entry a client asked for (JSON, JSON-LD in one of the export
// profiles, or the DCAT-AP export's triples as Turtle or RDF/XML), and that representation rendered.
// The catalogue service hands out entries and export documents; media types are chosen here.

export type RdfSyntax = 'turtle' | 'rdfxml';
type DcatProfile = 'dcat-ap' | 'dcat-ap-2';
export type Representation = { kind: 'json' } | { kind: 'jsonld'; profile: ExportProfile } | { kind: 'rdf'; profile: DcatProfile; syntax: RdfSyntax };

/** Profile URIs a client may name in `Accept: application/ld+json; profile="…"`. */
const PROFILE_URIS: Record<string, ExportProfile> = {
  'https://schema.org': 'schema.org',
  'https://schema.org/': 'schema.org',
  'http://schema.org/': 'schema.org',
  'http://data.europa.eu/r5r/': 'dcat-ap',
  'https://semiceu.github.io/DCAT-AP/': 'dcat-ap',
  'http://mlcommons.org/croissant/1.0': 'croissant',
  'http://mlcommons.org/croissant/1.1': 'croissant',
};

const JSON_TYPE = 'application/json';
const JSONLD_TYPE = 'application/ld+json';

/** JSON-LD without a profile is schema.org; with one, the profile it names. */
const JSONLD_OFFERS: Offer<Representation>[] = [
  { mediaType: JSONLD_TYPE, value: { kind: 'jsonld', profile: 'schema.org' } },
  ...Object.entries(PROFILE_URIS).map(([uri, profile]) => ({ mediaType: `${JSONLD_TYPE}; profile="${uri}"`, value: { kind: 'jsonld', profile } as const })),
];

/** Turtle and RDF/XML carry the DCAT-AP export: the profile written for RDF consumers (harvesters). */
const RDF_OFFERS: Offer<Representation>[] = [
  { mediaType: 'text/turtle', value: { kind: 'rdf', profile: 'dcat-ap', syntax: 'turtle' } },
  { mediaType: 'application/rdf+xml', value: { kind: 'rdf', profile: 'dcat-ap', syntax: 'rdfxml' } },
];

/** The catalogue (`GET /dcat/catalog`) in JSON-LD (first: `*\/*` gets it), Turtle or RDF/XML. */
export function negotiateCatalog(accept: string | null): { syntax: 'jsonld' | RdfSyntax; mediaType: string } {
  const offers: Offer<'jsonld' | RdfSyntax>[] = [
    { mediaType: JSONLD_TYPE, value: 'jsonld' },
    { mediaType: 'text/turtle', value: 'turtle' },
    { mediaType: 'application/rdf+xml', value: 'rdfxml' },
  ];
  const syntax = negotiateOffer(accept, offers);
  return { syntax, mediaType: offers.find((offer) => offer.value === syntax)?.mediaType ?? JSONLD_TYPE };
}

/**
 * Chooses JSON or a JSON-LD export from `Accept` and `?profile=`: JSON-LD when the client prefers
 * `application/ld+json` or names a profile; the DCAT-AP triples for `text/turtle` or
 * `application/rdf+xml`; JSON otherwise (it is offered first, so `*\/*` gets it);
 * 406 when it accepts neither.
 */
export function negotiate(type: string, accept: string | null, profile: ExportProfile | undefined): Representation {
  const offered = [JSON_TYPE, ...profilesFor(type).map((p) => `${JSONLD_TYPE} (profile=${p})`), ...RDF_OFFERS.map((o) => `${o.mediaType} (profile=dcat-ap)`)];
  if (profile !== undefined) {
    const dcat = profile === 'dcat-ap' || profile === 'dcat-ap-2';
    const chosen = preferredOffer(accept, [...JSONLD_OFFERS, ...(dcat ? RDF_OFFERS : [])]);
    if (!chosen) throw errors.notAcceptable(offered);
    return chosen.value.kind === 'rdf' && dcat ? { ...chosen.value, profile } : { kind: 'jsonld', profile };
  }
  return negotiateOffer<Representation>(accept, [{ mediaType: JSON_TYPE, value: { kind: 'json' } }, ...JSONLD_OFFERS, ...RDF_OFFERS], offered);
}

/**
 * One entry in the representation the client negotiated, with its media type and ETag.
 *
 * @example await readRepresentation(principal, 'datasets', id, negotiate('datasets', accept, undefined), 'https://assets.example.org')
 */
export async function readRepresentation(
  principal: Principal | undefined,
  type: string,
  id: string,
  representation: Representation,
  baseUrl: string,
): Promise<{ body: unknown; contentType: string; etag: string }> {
  if (representation.kind === 'json') {
    const { entry, etag } = await getVersionedEntry(principal, type, id);
    return { body: entry, contentType: 'application/json; charset=utf-8', etag };
  }
  const { document, etag } = await exportEntry(principal, type, id, representation.profile, baseUrl);
  if (representation.kind === 'jsonld') return { body: document, contentType: 'application/ld+json; charset=utf-8', etag };
  const { syntax } = representation;
  // Each syntax is its own representation, with its own ETag.
  return { body: await serialize(document, syntax), contentType: `${RDF_MEDIA_TYPES[syntax]}; charset=utf-8`, etag: etag.replace(/"$/, `-${syntax}"`) };
}
