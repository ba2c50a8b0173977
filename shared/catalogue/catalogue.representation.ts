import { errors } from '../errors';
import { negotiate as negotiateOffer, type Offer, preferredOffer } from '../http/negotiate';
import type { ExportProfile } from './catalogue.schema';
import { profilesFor } from './catalogue.service';

// Which representation of an entry a client asked for: JSON, or JSON-LD in one of the export profiles.

export type Representation = { kind: 'json' } | { kind: 'jsonld'; profile: ExportProfile };

/** Profile URIs a client may name in `Accept: application/ld+json; profile="…"`. */
const PROFILE_URIS: Record<string, ExportProfile> = {
  'https://schema.org': 'schema.org',
  'https://schema.org/': 'schema.org',
  'http://schema.org/': 'schema.org',
  'http://data.europa.eu/r5r/': 'dcat-ap',
  'https://semiceu.github.io/DCAT-AP/': 'dcat-ap',
  'http://mlcommons.org/croissant/1.0': 'croissant',
};

const JSON_TYPE = 'application/json';
const JSONLD_TYPE = 'application/ld+json';

/** JSON-LD without a profile is schema.org; with one, the profile it names. */
const JSONLD_OFFERS: Offer<Representation>[] = [
  { mediaType: JSONLD_TYPE, value: { kind: 'jsonld', profile: 'schema.org' } },
  ...Object.entries(PROFILE_URIS).map(([uri, profile]) => ({ mediaType: `${JSONLD_TYPE}; profile="${uri}"`, value: { kind: 'jsonld', profile } as const })),
];

/**
 * Chooses JSON or a JSON-LD export from `Accept` and `?profile=`: JSON-LD when the client prefers
 * `application/ld+json` or names a profile; JSON otherwise (it is offered first, so `*\/*` gets it);
 * 406 when it accepts neither.
 */
export function negotiate(type: string, accept: string | null, profile: ExportProfile | undefined): Representation {
  const offered = [JSON_TYPE, ...profilesFor(type).map((p) => `${JSONLD_TYPE} (profile=${p})`)];
  if (profile !== undefined) {
    if (!preferredOffer(accept, JSONLD_OFFERS)) throw errors.notAcceptable(offered);
    return { kind: 'jsonld', profile };
  }
  return negotiateOffer<Representation>(accept, [{ mediaType: JSON_TYPE, value: { kind: 'json' } }, ...JSONLD_OFFERS], offered);
}
