import { route } from '../shared/http/route';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type ApiKeyRoutes = typeof import('../shared/auth/apikeys.routes');
const definitions = (): ApiKeyRoutes => require('../shared/auth/apikeys.routes') as ApiKeyRoutes;

route({ name: 'createApiKey', method: 'POST', path: 'v1/api-keys', access: ['admin'] }, () => definitions().createApiKeyRoute);
route({ name: 'listApiKeys', method: 'GET', path: 'v1/api-keys', access: ['admin'] }, () => definitions().listApiKeysRoute);
route({ name: 'getApiKey', method: 'GET', path: 'v1/api-keys/{keyId}', access: ['admin'] }, () => definitions().getApiKeyRoute);
route({ name: 'revokeApiKey', method: 'DELETE', path: 'v1/api-keys/{keyId}', access: ['admin'] }, () => definitions().revokeApiKeyRoute);
