import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principals, RoundTripStack } from '../../bench/roundtrips.scenarios';

// The compiled stack, as the faults suite loads it: the emulators start from dist/.
const load = createRequire(import.meta.url);
const { callerOf, countRoundTrips, pinnedScenarios, preparePrincipals, startCountedStack } = load(
  path.resolve(__dirname, '../../dist/bench/roundtrips.scenarios.js'),
) as typeof import('../../bench/roundtrips.scenarios');

/**
 * Issue 22: the Cosmos DB round trips of the operations users make most, counted at the app's
 * socket to Cosmos DB (bench/roundtrips.scenarios.ts). Counts, not times: a regression — one more
 * read per request — fails here whatever the machine's load. `npm run bench:roundtrips` prints them
 * for every operation.
 */
let env: RoundTripStack;
let principals: Principals;

// The job reaper fires on the wall clock (every five minutes by default); once it fired inside the
// anonymous read's count. Due every second here, it would land in every count the stack let it.
const reaperSchedule = process.env.JOBS_REAPER_SCHEDULE;

beforeAll(async () => {
  process.env.JOBS_REAPER_SCHEDULE = '* * * * * *';
  env = await startCountedStack();
  principals = await preparePrincipals(callerOf(env));
}, 120_000);

afterAll(async () => {
  await env?.stop();
  if (reaperSchedule === undefined) delete process.env.JOBS_REAPER_SCHEDULE;
  else process.env.JOBS_REAPER_SCHEDULE = reaperSchedule;
}, 60_000);

const scenario = (name: string) => {
  const found = pinnedScenarios(principals).find((candidate) => candidate.name.startsWith(name));
  if (!found) throw new Error(`no scenario ${name}`);
  return found;
};

describe('Cosmos DB round trips per operation', () => {
  it('an anonymous catalogue read is one point read', async () => {
    expect(await countRoundTrips(env, scenario('anonymous catalogue read'))).toBe(1);
  });

  it('a keyed catalogue read is two: the key and the entry', async () => {
    expect(await countRoundTrips(env, scenario('keyed catalogue read'))).toBe(2);
  });

  it('grouped stats are the key, the entry and the dataset document read at once, and one GROUP BY query with its plan, whatever the groups', async () => {
    expect(await countRoundTrips(env, scenario('grouped stats on iris'))).toBe(5);
  });

  it('a contributor’s iris job, submitted and run to success: key, model, grant with its quota in one conditional write, job; the worker’s claim, the result cache (read, write) and the result', async () => {
    expect(await countRoundTrips(env, scenario('iris job by a contributor'))).toBe(8);
  });

  it('an admin’s iris job is not counted against a grant', async () => {
    expect(await countRoundTrips(env, scenario('iris job by an admin'))).toBe(7);
  });
});
