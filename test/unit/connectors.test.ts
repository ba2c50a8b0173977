import { describe, expect, it } from 'vitest';
import { contentHash, entryIdFor } from '../../shared/catalogue/connectors/connector.run';
import { nextLink } from '../../shared/catalogue/connectors/connector.source';
import { huggingfaceModels } from '../../shared/catalogue/connectors/huggingface.connector';
import { openmlDatasets } from '../../shared/catalogue/connectors/openml.connector';
import { retryAfterMs } from '../../shared/catalogue/connectors/polite-client';
import { zenodoRecords } from '../../shared/catalogue/connectors/zenodo.connector';
import { fixture } from '../support/replay-server';

const answer = (body: unknown, status = 200, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers), body });

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('nextLink', () => {
  it('finds rel="next" among several links', () => {
    expect(nextLink('<https://huggingface.co/api/models?cursor=a>; rel="prev", <https://huggingface.co/api/models?cursor=b>; rel="next"')).toBe(
      'https://huggingface.co/api/models?cursor=b',
    );
    expect(nextLink('<https://x.example/a>; rel="prev"')).toBeUndefined();
  });
});

describe('entryIdFor', () => {
  it('keeps id-safe identifiers readable and hashes the others deterministically', () => {
    expect(entryIdFor('openml-datasets', '61')).toBe('openml-datasets-61');
    const hashed = entryIdFor('huggingface-models', 'google/bert base');
    expect(hashed).toMatch(/^huggingface-models-h[a-f0-9]{40}$/);
    expect(entryIdFor('huggingface-models', 'google/bert base')).toBe(hashed);
  });
});

describe('contentHash', () => {
  it('does not depend on member order, and changes with content', () => {
    expect(contentHash({ a: 1, b: [1, 2] })).toBe(contentHash({ b: [1, 2], a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });
});

describe('the platform readers', () => {
  it('OpenML: 412 with code 372 is the end of the list', () => {
    expect(openmlDatasets.page(answer(fixture('openml', 'no-results.json'), 412), '/data/list/limit/2/offset/6', 2)).toEqual({ records: [], next: undefined });
    expect(() => openmlDatasets.page(answer({ error: { code: '999' } }, 412), '/data/list/limit/2/offset/6', 2)).toThrow(/412/);
    const page = openmlDatasets.page(answer(fixture('openml', 'data-list-0.json')), '/data/list/limit/2/offset/0', 2);
    expect(page.next).toBe('/data/list/limit/2/offset/2');
  });

  it('OpenML: a dataset becomes an entry with its download, checksum and size', () => {
    const [iris] = fixture<{ data: { dataset: unknown[] } }>('openml', 'data-list-0.json').data.dataset;
    expect(openmlDatasets.convert(iris)).toEqual({
      identifier: '61',
      entry: {
        name: 'iris',
        version: '1',
        sameAs: 'https://www.openml.org/d/61',
        size: { value: 150, unit: 'instances' },
        distributions: [
          { contentUrl: 'https://www.openml.org/data/v1/download/611', encodingFormat: 'text/x-arff', checksum: (61 * 7919).toString(16).padStart(32, '0'), checksumAlgorithm: 'md5' },
        ],
      },
    });
  });

  it('Hugging Face: keys on the stable _id, not the renameable repository id', () => {
    const [bert] = fixture<unknown[]>('huggingface', 'models-page-1.json');
    const converted = huggingfaceModels.convert(bert);
    expect(converted.identifier).toBe('621ffdc036468d709f174338');
    expect(converted.entry).toMatchObject({ name: 'google-bert/bert-base-uncased', license: 'apache-2.0', modelType: 'fill-mask' });
    expect(() => huggingfaceModels.convert({ _id: 'x', id: 'a/b', private: true })).toThrow(/private/);
  });

  it('Zenodo: keys on the concept record, so versions share one entry', () => {
    const body = fixture<{ hits: { hits: unknown[] } }>('zenodo', 'records-page-1.json');
    const page = zenodoRecords.page(answer(body), '/records?page=1', 2);
    expect(page.next).toBe('{{base}}/records?type=dataset&sort=oldest&page=2&size=2');
    expect(zenodoRecords.convert(page.records[0]).identifier).toBe('8812402');
  });
});
