import { app } from '@azure/functions';
import { route, wrap } from '../shared/http/route';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type SystemRoutes = typeof import('../shared/system/system.routes');
const definitions = (): SystemRoutes => require('../shared/system/system.routes') as SystemRoutes;
type Lifecycle = typeof import('../shared/system/system.lifecycle');
const lifecycle = (): Lifecycle => require('../shared/system/system.lifecycle') as Lifecycle;

route({ name: 'health', method: 'GET', path: 'health', access: 'public' }, () => definitions().healthRoute);
route({ name: 'openapi', method: 'GET', path: 'openapi.json', access: 'public' }, () => definitions().openapiRoute);
route({ name: 'docs', method: 'GET', path: 'docs', access: 'public' }, () => definitions().docsRoute);
route({ name: 'docsAsset', method: 'GET', path: 'docs/{file}', access: 'public' }, () => definitions().docsAssetRoute);

// CORS preflight for every route. Azure's platform CORS answers these when it is configured; the
// app answers them itself so the same origins work under `func start` and the development host.
app.http('corsPreflight', {
  methods: ['OPTIONS'],
  route: '{*path}',
  authLevel: 'anonymous',
  handler: async (request) => {
    // Loaded here: the allowed origins come from the settings, which a cold start does not parse.
    const { preflightHeaders } = require('../shared/http/cors') as typeof import('../shared/http/cors');
    return { status: 204, headers: preflightHeaders(request.headers.get('origin')) };
  },
});

// Anything no route matches: 405 naming the allowed methods when the path exists, else 404 — as
// problem+json, like every other error, instead of the host's empty 404.
let notFound: ReturnType<typeof wrap> | undefined;
app.http('notFound', {
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'],
  route: '{*path}',
  authLevel: 'anonymous',
  handler: (request, context) => (notFound ??= wrap(definitions().notFoundRoute))(request, context),
});

// Every job kind needs a handler, registered by the area that owns it; the host has loaded every
// function file before it runs this, so a kind nobody handles fails the start instead of
// dead-lettering its first message.
app.hook.appStart(() => lifecycle().checkJobHandlers());

// The host is shutting down (a scale-in, a restart, the development host's stop): close the clients
// so sockets and timers do not outlive the app, and forget the parsed settings, so an app started
// again in the same process (the development host's restart) reads them afresh.
app.hook.appTerminate(() => lifecycle().disposeClients());
