import { app } from '@azure/functions';
import {
  ConnectorParams,
  ConnectorView,
  CONNECTOR_NAMES,
  type ConnectorName,
  RunAccepted,
  RunRequest,
} from '../shared/catalogue/connectors/connector.schema';
import { runConnectorJob } from '../shared/catalogue/connectors/connector.job';
import { CONNECTORS, connectorStatus, listConnectors, parseConnectorName, runConnector } from '../shared/catalogue/connectors/connector.service';
import { z } from 'zod';
import { accepted, ok } from '../shared/http/reply';
import { route } from '../shared/http/route';
import { registerJobHandler } from '../shared/jobs/job.handlers';
import { submitJob } from '../shared/jobs/job.service';

const tags = ['connectors'];

route({
  name: 'listConnectors',
  method: 'GET',
  path: 'v1/connectors',
  summary: 'The platform connectors (OpenML, Hugging Face, Zenodo) and where each stands',
  tags,
  access: ['admin'],
  responses: { 200: { description: 'Every connector.', schema: z.object({ items: z.array(ConnectorView) }).meta({ id: 'ConnectorList' }) } },
  handle: async () => ok({ items: await listConnectors() }, { 'Cache-Control': 'no-store' }),
});

route({
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

route({
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

registerJobHandler('connector.run', () => runConnectorJob);

const timerName = (name: ConnectorName) => `connector${name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`;

for (const name of CONNECTOR_NAMES) {
  app.timer(timerName(name), {
    schedule: `%${CONNECTORS[name].scheduleSetting}%`,
    handler: async (_timer, context) => {
      const report = await runConnector(name, { trigger: 'timer' });
      context.info(`connector ${name}: ${report.outcome} ${JSON.stringify(report.stats)}`);
    },
  });
}
