import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEntriesOf, getEntryByPlatformId } from '../../shared/catalogue/catalogue.service';
import type { ConnectorName } from '../../shared/catalogue/connectors/connector.schema';
import { type ConnectorInstance, syncConnector } from '../../shared/catalogue/connectors/connector.run';
import { connectorInstance } from '../../shared/catalogue/connectors/connector.service';
import { AppError } from '../../shared/errors';
import { fixture, type ReplayServer, startReplayServer } from '../support/replay-server';
import { useStackSettings } from '../support/stack-env';

/**
 * Connectors against replay servers (test/fixtures/connectors) and the stack's Cosmos DB server:
 * import, change detection, removal, Retry-After, and resuming an interrupted pass. Each test runs
 * its connector under a fresh name and platform, so runs never meet.
 */
let sut: ReplayServer;

beforeAll(async () => {
  useStackSettings();
  sut = await startReplayServer();
});
afterAll(async () => {
  await sut.stop();
});

function connector(name: ConnectorName, pageSize = 2): ConnectorInstance {
  const suffix = randomUUID().slice(0, 8);
  return connectorInstance(name, {
    name: `${name}-t${suffix}`,
    platform: `${name.split('-')[0]}-t${suffix}`,
    baseUrl: sut.url,
    pageSize,
    requestIntervalMs: 0,
    retryBaseMs: 20,
    maxRetries: 2,
  });
}

async function entryOf(instance: ConnectorInstance, identifier: string) {
  return (await getEntryByPlatformId(undefined, instance.type, instance.platform, identifier)).entry;
}

async function countOf(instance: ConnectorInstance): Promise<number> {
  return (await countEntriesOf(undefined, instance.type, { platform: instance.platform, perPlatform: false })).count;
}

function openmlPages(changed = false, removed = false): void {
  sut.route('/data/list/limit/2/offset/0', { body: fixture('openml', 'data-list-0.json') });
  sut.route('/data/list/limit/2/offset/2', { body: fixture('openml', changed ? 'data-list-2-changed.json' : 'data-list-2.json') });
  sut.route('/data/list/limit/2/offset/4', { body: fixture('openml', removed ? 'data-list-4-removed.json' : 'data-list-4.json') });
  sut.route('/data/list/limit/2/offset/6', { status: 412, body: fixture('openml', 'no-results.json') });
}

describe('the OpenML datasets connector', () => {
  it('imports, updates only what changed, marks what disappeared and restores what comes back', async () => {
    const instance = connector('openml-datasets');
    openmlPages();

    const first = await syncConnector(instance, { maxPages: 10 });
    expect(first.outcome).toBe('pass-completed');
    // 6 records: 5 imported, the one without a name reported and skipped; the 412 "no results" ends the pass.
    expect(first.stats).toMatchObject({ pages: 4, records: 6, created: 5, updated: 0, skipped: 1, removed: 0, catalogueWrites: 5 });
    expect(await countOf(instance)).toBe(5);
    const iris = await entryOf(instance, '61');
    expect(iris).toMatchObject({
      id: `${instance.name}-61`,
      name: 'iris',
      status: 'published',
      sameAs: 'https://www.openml.org/d/61',
      size: { value: 150, unit: 'instances' },
    });

    openmlPages(true);
    const second = await syncConnector(instance, { maxPages: 10 });
    expect(second.outcome).toBe('pass-completed');
    expect(second.stats).toMatchObject({ records: 6, created: 0, updated: 1, unchanged: 4, skipped: 1, removed: 0, catalogueWrites: 1 });
    expect(await entryOf(instance, '37')).toMatchObject({ name: 'diabetes', version: '2' });
    expect((await entryOf(instance, '61')).dateModified).toBe(iris.dateModified);

    openmlPages(true, true);
    const third = await syncConnector(instance, { maxPages: 10 });
    expect(third.stats).toMatchObject({ created: 0, updated: 0, removed: 1, catalogueWrites: 1 });
    await expect(entryOf(instance, '1590')).rejects.toSatisfy((error) => error instanceof AppError && error.status === 404);
    expect(await countOf(instance)).toBe(4);

    openmlPages(true);
    const fourth = await syncConnector(instance, { maxPages: 10 });
    expect(fourth.stats).toMatchObject({ created: 1, updated: 0, removed: 0, catalogueWrites: 1 });
    expect(await entryOf(instance, '1590')).toMatchObject({ id: `${instance.name}-1590`, name: 'adult' });
    expect(await countOf(instance)).toBe(5);
  });

  it('imports OpenML flows as models', async () => {
    const instance = connector('openml-flows', 100);
    sut.route('/flow/list/limit/100/offset/0', { body: fixture('openml', 'flow-list-0.json') });
    const report = await syncConnector(instance);
    expect(report).toMatchObject({ outcome: 'pass-completed', stats: { created: 2, skipped: 0 } });
    expect(await entryOf(instance, '8353')).toMatchObject({ type: 'models', framework: ['openml', 'sklearn'], sameAs: 'https://www.openml.org/f/8353' });
  });
});

describe('the Hugging Face connectors', () => {
  it('waits out a 429 with Retry-After and follows the Link header', async () => {
    const instance = connector('huggingface-datasets');
    sut.route(
      '/datasets?limit=2&full=true',
      { status: 429, headers: { 'Retry-After': '1' }, body: { error: 'rate limited' } },
      { body: fixture('huggingface', 'datasets-page-1.json'), headers: { Link: '<{{base}}/datasets?limit=2&full=true&cursor=eyJfaWQiOiIyIn0>; rel="next"' } },
    );
    sut.route('/datasets?limit=2&full=true&cursor=eyJfaWQiOiIyIn0', { body: fixture('huggingface', 'datasets-page-2.json') });
    const started = Date.now();
    const report = await syncConnector(instance);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(report).toMatchObject({ outcome: 'pass-completed', stats: { retries: 1, requests: 3, created: 3, skipped: 1 } });
    expect(await entryOf(instance, '621ffdd236468d709f181d58')).toMatchObject({
      name: 'nyu-mll/glue',
      license: 'cc-by-4.0',
      keywords: ['glue', 'benchmark'],
      sameAs: 'https://huggingface.co/datasets/nyu-mll/glue',
    });
  });

  it('resumes a pass interrupted by the page budget and by a failing page, with no duplicates', async () => {
    const instance = connector('huggingface-models');
    const page2 = '/models?limit=2&full=true&cursor=p2';
    const page3 = '/models?limit=2&full=true&cursor=p3';
    sut.route('/models?limit=2&full=true', { body: fixture('huggingface', 'models-page-1.json'), headers: { Link: `<{{base}}${page2}>; rel="next"` } });
    sut.route(page2, { body: fixture('huggingface', 'models-page-2.json'), headers: { Link: `<{{base}}${page3}>; rel="next"` } });
    sut.route(page3, { status: 503, body: { error: 'overloaded' } });

    const budgeted = await syncConnector(instance, { maxPages: 1 });
    expect(budgeted).toMatchObject({ outcome: 'budget-exhausted', stats: { pages: 1, created: 2 } });

    const failed = await syncConnector(instance, { maxPages: 10 });
    expect(failed.outcome).toBe('failed');
    expect(failed.stats).toMatchObject({ pages: 1, created: 2 });
    expect(failed.error).toMatch(/failed after 3 attempts/);

    sut.route(page3, { body: fixture('huggingface', 'models-page-3.json') });
    const resumed = await syncConnector(instance, { maxPages: 10 });
    // Only the page that failed is fetched again.
    expect(resumed).toMatchObject({ outcome: 'pass-completed', stats: { pages: 1, requests: 1, created: 2 } });
    expect(await countOf(instance)).toBe(6);
    expect(await entryOf(instance, '621ffdc136468d709f17a1c4')).toMatchObject({ modelType: 'object-detection', framework: ['transformers'] });
  });

  it('stops after the page its caller says stop at (a canceled job), and the next run resumes from the page after', async () => {
    const instance = connector('huggingface-models');
    const page2 = '/models?limit=2&full=true&cursor=p2';
    const page3 = '/models?limit=2&full=true&cursor=p3';
    sut.route('/models?limit=2&full=true', { body: fixture('huggingface', 'models-page-1.json'), headers: { Link: `<{{base}}${page2}>; rel="next"` } });
    sut.route(page2, { body: fixture('huggingface', 'models-page-2.json'), headers: { Link: `<{{base}}${page3}>; rel="next"` } });
    sut.route(page3, { body: fixture('huggingface', 'models-page-3.json') });
    const seen: [number, number][] = [];
    const stopped = await syncConnector(instance, {
      maxPages: 10,
      afterPage: async (pages, budget) => {
        seen.push([pages, budget]);
        return pages === 1 ? 'stop' : 'continue';
      },
    });
    expect(seen).toEqual([[1, 10]]);
    expect(stopped).toMatchObject({ outcome: 'budget-exhausted', stats: { pages: 1, created: 2 } });
    const resumed = await syncConnector(instance, { maxPages: 10 });
    expect(resumed).toMatchObject({ outcome: 'pass-completed', stats: { pages: 2, created: 4 } });
    expect(await countOf(instance)).toBe(6);
  });

  it('lets one run at a time hold a connector', async () => {
    const instance = connector('huggingface-models');
    sut.route('/models?limit=2&full=true', { body: fixture('huggingface', 'models-page-1.json') });
    const outcomes = (await Promise.all([syncConnector(instance), syncConnector(instance)])).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['busy', 'pass-completed']);
    expect(await countOf(instance)).toBe(2);
  });
});

describe('the Zenodo connector', () => {
  it('pages with links.next and updates the entry of a record when a new version appears', async () => {
    const instance = connector('zenodo-records');
    const page1 = '/records?type=dataset&sort=oldest&page=1&size=2';
    sut.route(page1, { body: fixture('zenodo', 'records-page-1.json') });
    sut.route('/records?type=dataset&sort=oldest&page=2&size=2', { body: fixture('zenodo', 'records-page-2.json') });
    expect(await syncConnector(instance)).toMatchObject({ outcome: 'pass-completed', stats: { created: 3, skipped: 0 } });
    expect(await entryOf(instance, '8812402')).toMatchObject({
      name: 'Beach litter counts North Sea 2019-2023',
      license: 'cc-by-4.0',
      creators: [{ type: 'persons', name: 'Duarte, Ines' }, { type: 'persons', name: 'Smit, Jan' }],
      distributions: [{ name: 'data.csv', checksumAlgorithm: 'md5', contentSizeBytes: 52344 }],
    });

    sut.route(page1, { body: fixture('zenodo', 'records-page-1-new-version.json') });
    const next = await syncConnector(instance);
    expect(next.stats).toMatchObject({ created: 0, updated: 1, removed: 0 });
    expect(await entryOf(instance, '8812402')).toMatchObject({ version: '2.0', sameAs: 'https://zenodo.org/records/9999999' });
    expect(await countOf(instance)).toBe(3);
  });
});
