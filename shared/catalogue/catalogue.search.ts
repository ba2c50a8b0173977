/**
 * Free-text search as index lookups. Every entry stores `searchTokens`: the lower-cased,
 * accent-folded words of its name, alternate names, keywords and plain description, and the
 * prefixes (2+ characters) of each word. A query word then matches by equality,
 * `ARRAY_CONTAINS(c.searchTokens, @t0)`, which the index serves; `CONTAINS(LOWER(c.name), @q)`
 * cannot use it and scans every entry (Microsoft's "Query performance tips": string functions with
 * a system function applied to the property are not index seeks).
 *
 * @example entryTokens({ name: 'Café Iris' }) // ['ca', 'caf', 'cafe', 'ir', 'iri', 'iris']
 * @example queryTokens('IRIS café') // ['iris', 'cafe']
 */

/** Longer words are cut here: a prefix past it narrows nothing a user types. */
const MAX_WORD = 32;
/** Bounds the array (index terms are paid on every write); name, keywords and alternate names come first. */
export const MAX_TOKENS = 2_000;
/** At most this many words of a query take part (each one is an equality in the WHERE clause). */
export const MAX_QUERY_WORDS = 8;

/** Lower-cased, accents folded (`É` → `e`), split into words of letters and digits. */
export function words(text: string): string[] {
  const folded = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  return folded.match(/[\p{L}\p{N}]+/gu)?.map((word) => word.slice(0, MAX_WORD)) ?? [];
}

function withPrefixes(word: string): string[] {
  const tokens = [word];
  for (let length = 2; length < word.length; length += 1) tokens.push(word.slice(0, length));
  return tokens;
}

export interface Searchable {
  name?: unknown;
  alternateName?: unknown;
  keywords?: unknown;
  description?: unknown;
}

function textsOf(entry: Searchable): string[] {
  const texts: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) for (const item of value) if (typeof item === 'string') texts.push(item);
  };
  add(entry.name);
  add(entry.alternateName);
  add(entry.keywords);
  const description = entry.description as { plain?: unknown } | undefined;
  add(description?.plain);
  return texts;
}

/** The tokens stored on an entry, unique, at most MAX_TOKENS (in the order of `textsOf`). */
export function entryTokens(entry: Searchable): string[] {
  const tokens = new Set<string>();
  for (const text of textsOf(entry)) {
    for (const word of words(text)) {
      for (const token of withPrefixes(word)) {
        if (tokens.size >= MAX_TOKENS) return [...tokens];
        tokens.add(token);
      }
    }
  }
  return [...tokens];
}

/** The distinct words of a query, each of which an entry must hold as a token (AND). */
export function queryTokens(q: string): string[] {
  return [...new Set(words(q))].slice(0, MAX_QUERY_WORDS);
}
