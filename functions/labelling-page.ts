import { route } from '../shared/http/route';

// The labelling page is static: anonymous routes serve its files (shared/labels/ui/), and the page
// calls the API with the campaign key (or bearer token) its user signs in with, like any other client.
// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type LabellingPageRoutes = typeof import('../shared/labels/ui/labelling-page.routes');
const definitions = (): LabellingPageRoutes => require('../shared/labels/ui/labelling-page.routes') as LabellingPageRoutes;

route({ name: 'labellingPage', method: 'GET', path: 'label', access: 'public' }, () => definitions().labellingPageRoute);
route({ name: 'labellingPageAsset', method: 'GET', path: 'label/{file}', access: 'public' }, () => definitions().labellingPageAssetRoute);
