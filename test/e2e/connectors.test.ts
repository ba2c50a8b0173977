import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRY, retryOnConflict } from '../../shared/azure/store';
import { createState, readState, replaceState } from '../../shared/catalogue/connectors/connector.repository';
import { newState } from '../../shared/catalogue/connectors/connector.state';
import type { ConnectorStateDoc } from '../../shared/catalogue/connectors/connector.schema';
import { adminKey, call, expectProblem, keyWithRoles } from '../support/api';
import { needsLocalStack, useStackSettings } from '../support/stack-env';

/**
 * The connectors' admin API over HTTP. The development host's connectors point at the real
 * platforms, which these tests never reach: a run is started while the test holds the connector's
 * lease (as a run in progress would), so the job ends at once with outcome `busy`. Syncing itself is
 * tested against replay servers in test/integration/connectors.test.ts.
 */
interface Connector {
  name: string;
  platform: string;
  running: boolean;
  scheduleSetting: string;
  lastRun: { outcome: string } | null;
}

let reader: string;
let contributor: string;
const HELD = 'zenodo-records';

async function setLease(lease: ConnectorStateDoc['lease']): Promise<void> {
  await retryOnConflict(async () => {
    const current = await readState(HELD);
    if (!current) return (await createState({ ...newState(HELD), lease })) ? undefined : RETRY;
    return (await replaceState({ ...current.doc, lease }, current.etag)) ? undefined : RETRY;
  });
}

beforeAll(async () => {
  useStackSettings();
  reader = await keyWithRoles(['reader']);
  contributor = await keyWithRoles(['contributor']);
  await setLease({ runId: 'e2e-test', until: new Date(Date.now() + 10 * 60_000).toISOString() });
});
afterAll(async () => {
  await setLease(null);
});

needsLocalStack.describe('GET /api/v1/connectors', () => {
  it('lists the five connectors to an admin', async () => {
    const response = await call<{ items: Connector[] }>('GET', '/v1/connectors', { key: adminKey() });
    expect(response.status, response.text).toBe(200);
    expect(response.body.items.map((c) => c.name)).toEqual(['openml-datasets', 'openml-flows', 'huggingface-datasets', 'huggingface-models', 'zenodo-records']);
    expect(response.body.items[0]).toMatchObject({ platform: 'openml', scheduleSetting: 'CONNECTOR_OPENML_DATASETS_SCHEDULE' });
  });

  it('refuses anonymous callers, readers and contributors', async () => {
    expectProblem(await call('GET', '/v1/connectors'), 401);
    expectProblem(await call('GET', '/v1/connectors', { key: reader }), 403);
    expectProblem(await call('GET', '/v1/connectors/openml-datasets', { key: contributor }), 403);
    expectProblem(await call('POST', '/v1/connectors/openml-datasets/runs', { key: contributor }), 403);
  });
});

needsLocalStack.describe('GET /api/v1/connectors/{name}', () => {
  it('answers 404 for a connector that does not exist', async () => {
    expectProblem(await call('GET', '/v1/connectors/myspace', { key: adminKey() }), 404);
    expectProblem(await call('POST', '/v1/connectors/myspace/runs', { key: adminKey() }), 404);
  });

  it('shows a connector with a run in progress as running', async () => {
    const response = await call<Connector>('GET', `/v1/connectors/${HELD}`, { key: adminKey() });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ name: HELD, platform: 'zenodo', running: true });
  });
});

needsLocalStack.describe('POST /api/v1/connectors/{name}/runs', () => {
  it('refuses a bad run request', async () => {
    const problem = expectProblem(await call('POST', `/v1/connectors/${HELD}/runs`, { key: adminKey(), body: { maxPages: 0 } }), 400);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/body/maxPages' })]);
    expectProblem(await call('POST', `/v1/connectors/${HELD}/runs`, { key: adminKey(), body: { pages: 3 } }), 400);
  });

  it('runs the connector as a job (202), which ends busy while another run holds the connector', async () => {
    const response = await call<{ jobId: string; connector: string }>('POST', `/v1/connectors/${HELD}/runs`, { key: adminKey(), body: { maxPages: 1 } });
    expect(response.status, response.text).toBe(202);
    expect(response.headers.get('location')).toBe(`/api/v1/jobs/${response.body.jobId}`);
    let job: { status: string; kind: string; result?: { outcome: string; connector: string } } | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      job = (await call<NonNullable<typeof job>>('GET', `/v1/jobs/${response.body.jobId}`, { key: adminKey() })).body;
      if (job.status !== 'queued' && job.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(job).toMatchObject({ kind: 'connector.run', status: 'succeeded', result: { outcome: 'busy', connector: HELD } });
  });
});
