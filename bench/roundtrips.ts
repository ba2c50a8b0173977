import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  callerOf,
  countRoundTrips,
  pinnedScenarios,
  preparePrincipals,
  type RoundTripStack,
  requestsInSequence,
  type Scenario,
  startCountedStack,
} from './roundtrips.scenarios';
import { IRIS_DATASET_ID } from '../local/seed/query.seed';

/**
 * Cosmos DB round trips per user operation (issue 22): the operations the issue pins, then every GET
 * of the OpenAPI document whose path parameters can be filled with something that exists, each run
 * as the admin. Prints a Markdown table: requests the app sent to Cosmos DB on the warm run, of which
 * queries (a query plan request is one of them), how many of them are in sequence (the steps a
 * caller waits for: requests sent side by side are one), and the aim where the issue sets one.
 *
 *   npm run bench:roundtrips
 */
interface Row {
  operation: string;
  requests: number;
  queries: number;
  inSequence: number;
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

async function measure(env: RoundTripStack, scenario: Scenario, aim?: number): Promise<Row> {
  const requests = await countRoundTrips(env, scenario);
  const queries = env.cosmos.log.filter((request) => request.isQuery).length;
  return { operation: scenario.name, requests, queries, inSequence: requestsInSequence(env.cosmos.log), ...(aim === undefined ? {} : { aim }) };
}

async function main(): Promise<void> {
  const env = await startCountedStack();
  try {
    const principals = await preparePrincipals(callerOf(env));
    const rows: Row[] = [];
    for (const scenario of pinnedScenarios(principals)) rows.push(await measure(env, scenario, scenario.aim));
    const document = JSON.parse(readFileSync(path.resolve(__dirname, '../../openapi.json'), 'utf8')) as { paths: Record<string, Operations> };
    for (const scenario of getScenarios(document, await knownParameters(env))) rows.push(await measure(env, scenario));
    console.log('| operation | Cosmos requests | of which queries | in sequence | aim |');
    console.log('|---|---:|---:|---:|---:|');
    for (const row of rows) console.log(`| ${row.operation} | ${row.requests} | ${row.queries} | ${row.inSequence} | ${row.aim ?? ''} |`);
  } finally {
    await env.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
