import { describe, expect, it } from 'vitest';
import { documentsReadBy } from '../../bench/documents-read';

const docs = [
  { id: 'a', type: 'datasets', name: 'Iris', searchTokens: ['iris', 'ir', 'iri'], status: 'published' },
  { id: 'b', type: 'datasets', name: 'Wine', searchTokens: ['wine', 'wi', 'win'], status: 'published' },
  { id: 'c', type: 'datasets', name: 'Iris draft', searchTokens: ['iris', 'draft'], status: 'draft' },
  { id: 'd', type: 'models', name: 'Iris model', searchTokens: ['iris', 'model'], status: 'published' },
];
const sut = (query: string, partitionKey?: string, parameters: { name: string; value: unknown }[] = []) =>
  documentsReadBy({ query, parameters, partitionKey }, docs, '/type');

describe('the documents-read model (bench/documents-read.ts)', () => {
  it('reads every document of the partition for a condition the index cannot serve', () => {
    expect(sut("SELECT * FROM c WHERE CONTAINS(LOWER(c.name), 'iris')", 'datasets')).toBe(3);
    expect(sut("SELECT * FROM c WHERE c.type = 'datasets' AND NOT IS_DEFINED(c.deletedAt)")).toBe(3);
  });

  it('reads only what equality, ARRAY_CONTAINS and OR of those select', () => {
    const tokens = [{ name: '@t', value: 'iris' }];
    expect(sut("SELECT * FROM c WHERE c.type = 'datasets' AND ARRAY_CONTAINS(c.searchTokens, @t) ORDER BY c.name", undefined, tokens)).toBe(2);
    expect(sut("SELECT * FROM c WHERE ARRAY_CONTAINS(c.searchTokens, @t) AND (c.status = 'published' OR c.owner = 'x')", undefined, tokens)).toBe(2);
    expect(sut("SELECT c.status AS facet, COUNT(1) AS n FROM c WHERE ARRAY_CONTAINS(c.searchTokens, @t) GROUP BY c.status", undefined, tokens)).toBe(3);
  });
});
