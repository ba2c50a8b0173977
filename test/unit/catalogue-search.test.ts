import { describe, expect, it } from 'vitest';
import { entryTokens, MAX_QUERY_WORDS, MAX_TOKENS, queryTokens, words } from '../../shared/catalogue/catalogue.search';

describe('catalogue search tokens', () => {
  it('folds case and accents and splits on anything but letters and digits', () => {
    expect(words('Café  CRÈME-brûlée, Ölfeld_2024 / ß')).toEqual(['cafe', 'creme', 'brulee', 'olfeld', '2024', 'ß']);
  });

  it('stores each word of name, alternate names, keywords and plain description with its prefixes of two letters or more', () => {
    const sut = entryTokens({ name: 'Iris', alternateName: ['Fisher'], keywords: ['UCI'], description: { plain: 'Flowers', html: '<p>hidden</p>' } });
    expect(sut).toEqual(['iris', 'ir', 'iri', 'fisher', 'fi', 'fis', 'fish', 'fishe', 'uci', 'uc', 'flowers', 'fl', 'flo', 'flow', 'flowe', 'flower']);
    expect(sut).not.toContain('hidden');
  });

  it('keeps at most MAX_TOKENS, the name first', () => {
    const description = { plain: Array.from({ length: 3_000 }, (_, i) => `word${i}`).join(' ') };
    const sut = entryTokens({ name: 'Zebra', description });
    expect(sut).toHaveLength(MAX_TOKENS);
    expect(sut.slice(0, 4)).toEqual(['zebra', 'ze', 'zeb', 'zebr']);
  });

  it('asks for each distinct query word, at most MAX_QUERY_WORDS', () => {
    expect(queryTokens('Iris iris  FLOWER')).toEqual(['iris', 'flower']);
    expect(queryTokens('a b c d e f g h i j')).toHaveLength(MAX_QUERY_WORDS);
    expect(queryTokens('-- !!')).toEqual([]);
  });
});
