/**
 * Connectors benchmark (`npm run bench:connectors`, which builds and runs dist/bench/connectors.js;
 * never part of `npm test`).
 *
 * Starts the embedded emulators (Cosmos DB server, Azurite) and a replay server that serves N
 * generated OpenML datasets (`/data/list/limit/100/offset/…`, then 412 "no results"), and runs the
 * OpenML datasets connector in this process with no request interval (the replay server is local):
 *   1. first pass: imports N records (every record upserted: claim + entry written);
 *   2. second pass, nothing changed: content hashes match, no catalogue read or write;
 *   3. third pass, 1 % of the records changed: only those are upserted;
 *   4. baseline: the same N unchanged records through `upsertEntryAsSystem` without the connector's
 *      hash (the catalogue's own compare: point reads per record, no write).
 * It prints records/s per phase and the ratio of phase 2 to the baseline.
 *
 *   npm run bench:connectors -- --records 10000 --concurrency 8
 */
import { parseArgs } from 'node:util';
import { upsertEntryAsSystem } from '../shared/catalogue/catalogue.system';
import { entryIdFor, syncConnector } from '../shared/catalogue/connectors/connector.run';
import { connectorInstance } from '../shared/catalogue/connectors/connector.service';
import type { RunReport } from '../shared/catalogue/connectors/connector.schema';
import { openmlDatasets } from '../shared/catalogue/connectors/openml.connector';
import { startStack } from '../local/stack';
import { startReplayServer } from '../test/support/replay-server';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '8' },
    'page-size': { type: 'string', default: '100' },
  },
});
const records = Number(values.records);
const concurrency = Number(values.concurrency);
const pageSize = Number(values['page-size']);

function dataset(did: number, revision: number): Record<string, unknown> {
  return {
    did,
    name: `bench-dataset-${did}`,
    version: revision,
    status: 'active',
    format: 'ARFF',
    file_id: did * 10 + 1,
    md5_checksum: (did * 7919).toString(16).padStart(32, '0'),
    quality: [{ name: 'NumberOfInstances', value: `${100 + (did % 1000)}.0` }],
  };
}

async function main(): Promise<void> {
  const stack = await startStack({ port: 0, seed: false, verbose: false, emulatorsOnly: true });
  const server = await startReplayServer();
  let changedEvery = 0; // 0: nothing changed; n: every n-th record has a new version
  server.handler((pathAndQuery) => {
    const match = /^\/data\/list\/limit\/(\d+)\/offset\/(\d+)$/.exec(pathAndQuery);
    if (!match) return undefined;
    const [limit, offset] = [Number(match[1]), Number(match[2])];
    if (offset >= records) return { status: 412, body: { error: { code: '372', message: 'No results' } } };
    const page = [];
    for (let did = offset + 1; did <= Math.min(records, offset + limit); did++) page.push(dataset(did, changedEvery && did % changedEvery === 0 ? 2 : 1));
    return { body: { data: { dataset: page } } };
  });
  const instance = connectorInstance('openml-datasets', {
    name: `bench-openml-${Date.now().toString(36)}`,
    platform: 'openml-bench',
    baseUrl: server.url,
    pageSize,
    requestIntervalMs: 0,
    concurrency,
  });
  const run = async (): Promise<RunReport> => syncConnector(instance, { maxPages: 100_000, timeBudgetMs: 3_600_000 });
  const rows: { phase: string; seconds: number; perSecond: number; writes: number; detail: string }[] = [];
  const add = (phase: string, report: RunReport) => {
    if (report.outcome !== 'pass-completed') throw new Error(`${phase}: ${report.outcome} ${report.error ?? ''}`);
    const { created, updated, unchanged, skipped, removed, catalogueWrites, requests } = report.stats;
    rows.push({
      phase,
      seconds: report.durationMs / 1000,
      perSecond: report.itemsPerSecond,
      writes: catalogueWrites,
      detail: `created ${created}, updated ${updated}, unchanged ${unchanged}, skipped ${skipped}, removed ${removed}, requests ${requests}`,
    });
  };
  try {
    add(`1. first import of ${records}`, await run());
    add('2. re-sync, nothing changed', await run());
    changedEvery = 100;
    add('3. re-sync, 1 % changed', await run());
    // Baseline: the same records, unchanged, through the catalogue's upsert without the connector's hash.
    const started = Date.now();
    let next = 1;
    let writes = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next <= records) {
          const did = next++;
          const { identifier, entry } = openmlDatasets.convert(dataset(did, changedEvery && did % changedEvery === 0 ? 2 : 1));
          const result = await upsertEntryAsSystem('datasets', {
            ...entry,
            platform: instance.platform,
            platformResourceIdentifier: identifier,
            status: 'published',
            id: entryIdFor(instance.name, identifier),
          });
          if (result.changed) writes++;
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    rows.push({ phase: '4. baseline: upsert without hash, nothing changed', seconds, perSecond: Math.round((records / seconds) * 10) / 10, writes, detail: 'catalogue compare (point reads) per record' });
  } finally {
    await server.stop();
    await stack.stop();
  }
  console.log(`\nConnectors: ${records} replayed OpenML datasets, page size ${pageSize}, concurrency ${concurrency}\n`);
  console.log('| phase | seconds | records/s | catalogue writes | detail |');
  console.log('|---|---:|---:|---:|---|');
  for (const row of rows) console.log(`| ${row.phase} | ${row.seconds.toFixed(1)} | ${row.perSecond.toFixed(0)} | ${row.writes} | ${row.detail} |`);
  const resync = rows[1];
  const baseline = rows[3];
  if (resync && baseline) console.log(`\nre-sync with content hash vs baseline: ${(resync.perSecond / baseline.perSecond).toFixed(1)}× faster`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
