import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  callerOf,
  warmRun,
  pinnedScenarios,
  preparePrincipals,
  type RoundTripStack,
  requestsInSequence,
  type Scenario,
  startCountedStack,
} from './roundtrips.scenarios';
import { IRIS_DATASET_ID } from '../local/seed/query.seed';
import { CONTAINERS } from '../shared/azure/containers';
import { documentsReadBy as documentsReadByQuery, type IssuedQuery } from './documents-read';

/**
 * Cosmos DB round trips per user operation (issue 22): the operations the issue pins, then every GET
 * of the OpenAPI document whose path parameters can be filled with something that exists, each run
 * as the admin. Prints a Markdown table: requests the app sent to Cosmos DB on the warm run, of which
 * queries (a query plan request is one of them), how many of them are in sequence (the steps a
 * caller waits for: requests sent side by side are one), the documents they read (what request
 * units follow: the emulator charges 1 RU for everything), and the aim where the issue sets one.
 *
 *   npm run bench:roundtrips
 */
interface Row {
  operation: string;
  requests: number;
  queries: number;
  inSequence: number;
  documentsRead: number;
  aim?: number;
}

type Operations = Record<string, Record<string, unknown>>;

/** Values for path parameters, found through the API's own lists. */
async function knownParameters(env: RoundTripStack): Promise<Record<string, string>> {
  const call = callerOf(env);
  const first = async (listPath: string): Promise<Record<string, unknown>> => {
    const page = await call('GET', listPath);
    const items = (page.body.items as Array<Record<string, unknown>> | undefined) ?? [];
    return items[0] ?? {};
  };
  const imageset = await first('/v1/imagesets');
  const campaign = await first('/v1/campaigns');
  const campaignImage = await first(`/v1/campaigns/${String(campaign.id)}/images`);
  const key = await first('/v1/api-keys');
  const connector = await first('/v1/connectors');
  const job = await first('/v1/jobs');
  const entry = await call('GET', '/v1/catalogue/datasets/seed-dataset-beach-litter-images');
  return {
    type: 'datasets',
    id: IRIS_DATASET_ID,
    imagesetId: String(imageset.id),
    campaignId: String(campaign.id),
    imageId: String(campaignImage.id ?? campaignImage.imageId),
    keyId: String(key.id),
    name: String(connector.name),
    jobId: String(job.id),
    principalId: `apikey:${env.adminKey.split('.')[0]}`,
    platform: String(entry.body.platform),
    platformResourceIdentifier: String(entry.body.platformResourceIdentifier),
  };
}

function getScenarios(document: { paths: Record<string, Operations> }, known: Record<string, string>): Scenario[] {
  const scenarios: Scenario[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    if (!operations.get || template.includes('{file}')) continue;
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
    // `/models/{id}`: the model; `/datasets/{id}` and `/catalogue/{type}/{id}`: the iris dataset.
    const values: Record<string, string> = template.startsWith('/api/v1/models/') ? { ...known, id: 'iris-classifier' } : known;
    if (names.some((name) => !values[name] || values[name] === 'undefined')) continue;
    const concrete = template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? '')).replace(/^\/api/, '');
    scenarios.push({
      name: `GET ${template.replace(/^\/api/, '')}`,
      run: async (call) => {
        const answer = await call('GET', concrete);
        if (answer.status >= 500) throw new Error(`GET ${concrete}: ${answer.status}`);
      },
    });
  }
  return scenarios;
}

/** Every document of a container, read straight from the emulator (a feed read, not counted). */
async function documentsOf(env: RoundTripStack, containerId: string): Promise<Record<string, unknown>[]> {
  const { resources } = await env.direct.database(env.stack.settings.COSMOS_DATABASE ?? 'mlassets').container(containerId).items.readAll<Record<string, unknown>>().fetchAll();
  return resources;
}

/**
 * Documents the warm run read: one per point read (a GET of a document that answered 200), and for
 * each query those the index model of `bench/documents-read.ts` says it loads, in its container.
 * Cosmos DB charges reads by documents and bytes loaded, so this is what request units follow.
 */
async function documentsReadBy(env: RoundTripStack, queries: IssuedQuery[]): Promise<number> {
  const pointReads = env.cosmos.log.filter((request) => request.method === 'GET' && /\/docs\/[^/]+$/.test(request.path) && request.outcome === 200).length;
  let read = pointReads;
  for (const query of queries) {
    const definition = Object.values(CONTAINERS).find((container) => container.id === query.container);
    if (!definition) throw new Error(`a query on unknown container ${String(query.container)}`);
    read += documentsReadByQuery(query, await documentsOf(env, definition.id), definition.partitionKey);
  }
  return read;
}

async function measure(env: RoundTripStack, scenario: Scenario, aim?: number): Promise<Row> {
  const { requests, queries: issued } = await warmRun(env, scenario);
  const queries = env.cosmos.log.filter((request) => request.isQuery).length;
  const inSequence = requestsInSequence(env.cosmos.log);
  return { operation: scenario.name, requests, queries, inSequence, documentsRead: await documentsReadBy(env, issued), ...(aim === undefined ? {} : { aim }) };
}

async function main(): Promise<void> {
  const env = await startCountedStack();
  try {
    const principals = await preparePrincipals(callerOf(env));
    const rows: Row[] = [];
    for (const scenario of pinnedScenarios(principals)) rows.push(await measure(env, scenario, scenario.aim));
    const document = JSON.parse(readFileSync(path.resolve(__dirname, '../../openapi.json'), 'utf8')) as { paths: Record<string, Operations> };
    for (const scenario of getScenarios(document, await knownParameters(env))) rows.push(await measure(env, scenario));
    console.log('| operation | Cosmos requests | of which queries | in sequence | documents read | aim |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const row of rows) console.log(`| ${row.operation} | ${row.requests} | ${row.queries} | ${row.inSequence} | ${row.documentsRead} | ${row.aim ?? ''} |`);
  } finally {
    await env.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
