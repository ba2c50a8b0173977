import { z } from 'zod';
import { accepted, ok } from '../../http/reply';
import { defineRoute } from '../../http/route';
import { submitJob } from '../../jobs/job.service';
import { ConnectorParams, ConnectorView, RunAccepted, RunRequest } from './connector.schema';
import { connectorStatus, listConnectors, parseConnectorName } from './connector.service';

/**
 * The connector routes' definitions, registered by `functions/connectors.ts` from name, method, path
 * and access alone and loaded here on their first request: a cold start builds none of these schemas.
 */

const tags = ['connectors'];

export const listConnectorsRoute = defineRoute({
  name: 'listConnectors',
  method: 'GET',
  path: 'v1/connectors',
  summary: 'The platform connectors (OpenML, Hugging Face, Zenodo) and where each stands',
  tags,
  access: ['admin'],
  responses: { 200: { description: 'Every connector.', schema: z.object({ items: z.array(ConnectorView) }).meta({ id: 'ConnectorList' }) } },
  handle: async () => ok({ items: await listConnectors() }, { 'Cache-Control': 'no-store' }),
});

export const getConnectorRoute = defineRoute({
  name: 'getConnector',
  method: 'GET',
  path: 'v1/connectors/{name}',
  summary: 'One connector: its pass, last run, counts and latest errors',
  tags,
  access: ['admin'],
  params: ConnectorParams,
  responses: { 200: { description: 'The connector.', schema: ConnectorView } },
  handle: async ({ params }) => ok(await connectorStatus(params.name), { 'Cache-Control': 'no-store' }),
});

export const runConnectorRoute = defineRoute({
  name: 'runConnector',
  method: 'POST',
  path: 'v1/connectors/{name}/runs',
  summary: 'Run a connector now, as a job (202; poll the job)',
  description: 'The run continues the pass under way for a page budget; `restart` starts a new pass from the first page.',
  tags,
  access: ['admin'],
  params: ConnectorParams,
  body: RunRequest,
  responses: { 202: { description: 'The run was queued as a job.', schema: RunAccepted } },
  handle: async ({ params, body, principal }) => {
    const connector = parseConnectorName(params.name);
    const job = await submitJob({ kind: 'connector.run', owner: principal.id, input: { connector, ...body }, labels: { connector } });
    return accepted({ jobId: job.id, connector }, `/api/v1/jobs/${job.id}`);
  },
});
