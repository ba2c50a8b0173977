import Negotiator from 'negotiator';
import { errors } from '../errors';

/** A representation the server can give, and the media type (with parameters) that asks for it. */
export interface Offer<T> {
  mediaType: string;
  value: T;
}

/**
 * The offer the client prefers by its `Accept` header, negotiated by `negotiator`: highest q-value,
 * then the most specific range (parameters such as `profile` must match), then the client's order,
 * then the order of `offers`. A missing or blank header accepts anything. 406 listing `offered`
 * when nothing is acceptable.
 *
 * @example negotiate('text/csv, *\/*;q=0.1', [{ mediaType: 'application/json', value: 'json' }, { mediaType: 'text/csv', value: 'csv' }]) // 'csv'
 */
export function negotiate<T>(accept: string | null, offers: readonly Offer<T>[], offered: readonly string[] = offers.map((o) => o.mediaType)): T {
  const chosen = preferredOffer(accept, offers);
  if (!chosen) throw errors.notAcceptable([...offered]);
  return chosen.value;
}

/** `negotiate` without the 406: the preferred offer, or undefined when the client accepts none. */
export function preferredOffer<T>(accept: string | null, offers: readonly Offer<T>[]): Offer<T> | undefined {
  // negotiator reads an absent header as */* but an empty one as "nothing": a blank header accepts anything here.
  const header = accept?.trim() ? accept : undefined;
  // What negotiator answers for these too (every offer equally acceptable: the first), without parsing.
  if (header === undefined || header.trim() === '*/*') return offers[0];
  let preferred: string | undefined;
  try {
    preferred = new Negotiator({ headers: { accept: header } }).mediaType(offers.map((offer) => offer.mediaType));
  } catch {
    // An Accept header that does not parse accepts nothing we can name.
    preferred = undefined;
  }
  return offers.find((offer) => offer.mediaType === preferred);
}
