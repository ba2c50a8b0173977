import { app } from '@azure/functions';
import { CONNECTOR_NAMES, SCHEDULE_SETTINGS } from '../shared/catalogue/connectors/connector.names';
import type { ConnectorName } from '../shared/catalogue/connectors/connector.schema';
import { route } from '../shared/http/route';
import { registerJobHandler } from '../shared/jobs/job.handlers';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type ConnectorRoutes = typeof import('../shared/catalogue/connectors/connectors.routes');
const definitions = (): ConnectorRoutes => require('../shared/catalogue/connectors/connectors.routes') as ConnectorRoutes;
type ConnectorService = typeof import('../shared/catalogue/connectors/connector.service');
const service = (): ConnectorService => require('../shared/catalogue/connectors/connector.service') as ConnectorService;

route({ name: 'listConnectors', method: 'GET', path: 'v1/connectors', access: ['admin'] }, () => definitions().listConnectorsRoute);
route({ name: 'getConnector', method: 'GET', path: 'v1/connectors/{name}', access: ['admin'] }, () => definitions().getConnectorRoute);
route({ name: 'runConnector', method: 'POST', path: 'v1/connectors/{name}/runs', access: ['admin'] }, () => definitions().runConnectorRoute);

type ConnectorJob = typeof import('../shared/catalogue/connectors/connector.job');
registerJobHandler('connector.run', () => (require('../shared/catalogue/connectors/connector.job') as ConnectorJob).runConnectorJob);

const timerName = (name: ConnectorName) => `connector${name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`;

// A timer per connector, its schedule an app setting; the connector (sources, schemas) loads with its first run.
for (const name of CONNECTOR_NAMES) {
  app.timer(timerName(name), {
    schedule: `%${SCHEDULE_SETTINGS[name]}%`,
    handler: async (_timer, context) => {
      const report = await service().runConnector(name, { trigger: 'timer' });
      context.info(`connector ${name}: ${report.outcome} ${JSON.stringify(report.stats)}`);
    },
  });
}
