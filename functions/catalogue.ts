import { app } from '@azure/functions';
import { route } from '../shared/http/route';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type CatalogueRoutes = typeof import('../shared/catalogue/catalogue.routes');
const definitions = (): CatalogueRoutes => require('../shared/catalogue/catalogue.routes') as CatalogueRoutes;

const writers = ['contributor'] as const; // the platform registry further needs admin (checked per type)

route({ name: 'getDcatCatalog', method: 'GET', path: 'v1/dcat/catalog', access: 'public' }, () => definitions().getDcatCatalogRoute);
route({ name: 'listCatalogueEntries', method: 'GET', path: 'v1/catalogue/{type}', access: 'optional' }, () => definitions().listCatalogueEntriesRoute);
route({ name: 'countCatalogueEntries', method: 'GET', path: 'v1/catalogue/{type}/count', access: 'optional' }, () => definitions().countCatalogueEntriesRoute);
route({ name: 'getCatalogueEntry', method: 'GET', path: 'v1/catalogue/{type}/{id}', access: 'optional' }, () => definitions().getCatalogueEntryRoute);
route({ name: 'exportCatalogueEntry', method: 'GET', path: 'v1/catalogue/{type}/{id}/export', access: 'optional' }, () => definitions().exportCatalogueEntryRoute);
route({ name: 'getCatalogueEntryContent', method: 'GET', path: 'v1/catalogue/{type}/{id}/content', access: 'optional' }, () => definitions().getCatalogueEntryContentRoute);
route({ name: 'createCatalogueEntry', method: 'POST', path: 'v1/catalogue/{type}', access: writers }, () => definitions().createCatalogueEntryRoute);
route({ name: 'replaceCatalogueEntry', method: 'PUT', path: 'v1/catalogue/{type}/{id}', access: writers }, () => definitions().replaceCatalogueEntryRoute);
route({ name: 'patchCatalogueEntry', method: 'PATCH', path: 'v1/catalogue/{type}/{id}', access: writers }, () => definitions().patchCatalogueEntryRoute);
route({ name: 'deleteCatalogueEntry', method: 'DELETE', path: 'v1/catalogue/{type}/{id}', access: writers }, () => definitions().deleteCatalogueEntryRoute);
route({ name: 'getCatalogueEntryByPlatformId', method: 'GET', path: 'v1/platforms/{platform}/{type}/{*platformResourceIdentifier}', access: 'optional' }, () => definitions().getCatalogueEntryByPlatformIdRoute);

// The schedule is an app setting (`%…%` is resolved by the host): Bicep sets it in Azure, the local
// stack and local.settings.sample.json set it locally. The purge and its schemas load with its first run.
app.timer('purgeDeletedCatalogueEntries', {
  schedule: '%CATALOGUE_PURGE_SCHEDULE%',
  handler: async (_timer, context) => {
    const { purgeDeletedEntries } = require('../shared/catalogue/catalogue.system') as typeof import('../shared/catalogue/catalogue.system');
    const purged = await purgeDeletedEntries();
    if (purged > 0) context.info(`purged ${purged} deleted catalogue entries`);
  },
});
