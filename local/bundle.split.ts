import path from 'node:path';
import type { BuildOptions, Plugin } from 'esbuild';

/**
 * How the deployed app is split in two files so a cold start reads only what registration needs.
 *
 * - `dist/main.js` (what `package.json` `main` names): the function files and the few modules they
 *   run at import — the route and job-handler registries. Every other module of ours one of them
 *   requires becomes a proxy that loads it from `app.js` when it is first required, which the
 *   function files do only inside a route's loader or a trigger's handler.
 * - `dist/app.js`: every module the proxies name (route definitions, services, schemas, zod), each
 *   run on its first `require`. Its copies of the registries are proxies back to `main.js`'s, so
 *   both files share one registry of routes and one of job handlers.
 *
 * One file held both until the app outgrew it: V8 compiled its 1.8 MB on every cold start, more than
 * the whole of a hello-world's start (bench/README.md, "Cold start").
 */

/**
 * The modules `main.js` runs at import, by their path under `dist/` without `.js`: the registries and
 * the plain data registration reads (the connector timers' names and schedule settings). A function
 * file importing anything else at its top loads `app.js` on a cold start, which
 * `test/unit/bundle.test.ts` catches.
 */
export const REGISTRATION_MODULES = ['shared/http/route', 'shared/http/route-template', 'shared/jobs/job.handlers', 'shared/catalogue/connectors/connector.names'];

const APP_FILE = './app.js';
const MAIN_SHARED = 'main:registries';
const APP_HOST = 'app:host';

/** A module of ours (under `dist/`, outside the function files) by its path under `dist/` without `.js`. */
function ownModuleId(dist: string, resolveDir: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const relative = path.relative(dist, path.resolve(resolveDir, specifier)).replace(/\.js$/, '');
  if (relative.startsWith('..') || relative.startsWith('functions/')) return undefined;
  return relative.split(path.sep).join('/');
}

/** `main.js`: a module outside the registries is a proxy into `app.js`; `ids` collects what `app.js` must hold. */
export function proxiesToApp(dist: string, ids: Set<string>): Plugin {
  return {
    name: 'proxies-to-app',
    setup(build) {
      build.onResolve({ filter: /^\.\/app\.js$/ }, () => ({ path: APP_FILE, external: true }));
      build.onResolve({ filter: new RegExp(`^${MAIN_SHARED}$`) }, () => ({ path: MAIN_SHARED, namespace: 'main-registries' }));
      build.onResolve({ filter: /^\./ }, (args) => {
        if (args.namespace === 'app-proxy' || args.namespace === 'main-registries') return undefined;
        const id = ownModuleId(dist, args.resolveDir, args.path);
        if (id === undefined || REGISTRATION_MODULES.includes(id)) return undefined;
        ids.add(id);
        return { path: id, namespace: 'app-proxy' };
      });
      build.onLoad({ filter: /.*/, namespace: 'app-proxy' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(APP_FILE)}).load(${JSON.stringify(args.path)}, require(${JSON.stringify(MAIN_SHARED)}));`,
        resolveDir: dist,
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'main-registries' }, () => ({
        contents: `module.exports = {\n${REGISTRATION_MODULES.map((id) => `  ${JSON.stringify(id)}: require(${JSON.stringify(`./${id}.js`)}),`).join('\n')}\n};`,
        resolveDir: dist,
        loader: 'js',
      }));
    },
  };
}

/** `app.js`: the registries are `main.js`'s own, handed over by the first proxy that loads this file. */
export function registriesFromMain(dist: string): Plugin {
  return {
    name: 'registries-from-main',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${APP_HOST}$`) }, () => ({ path: APP_HOST, namespace: 'app-host' }));
      build.onResolve({ filter: /^\./ }, (args) => {
        const id = ownModuleId(dist, args.resolveDir, args.path);
        return id !== undefined && REGISTRATION_MODULES.includes(id) ? { path: id, namespace: 'main-registry' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'main-registry' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(APP_HOST)}).registry(${JSON.stringify(args.path)});`,
        resolveDir: dist,
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'app-host' }, () => ({
        contents: [
          'let registries;',
          'exports.provide = (fromMain) => { registries ??= fromMain; };',
          'exports.registry = (id) => {',
          '  if (!registries) throw new Error(`app.js was loaded without main.js: ${id} is main.js\'s`);',
          '  return registries[id];',
          '};',
        ].join('\n'),
        loader: 'js',
      }));
    },
  };
}

/** The entry of `app.js`: `load(id, registries)` runs module `id` once and returns its exports. */
export function appEntry(ids: Iterable<string>): NonNullable<BuildOptions['stdin']>['contents'] {
  const table = [...ids].sort().map((id) => `  ${JSON.stringify(id)}: () => require(${JSON.stringify(`./${id}.js`)}),`);
  return [
    `const host = require(${JSON.stringify(APP_HOST)});`,
    `const modules = {\n${table.join('\n')}\n};`,
    'exports.load = (id, registries) => {',
    '  host.provide(registries);',
    '  const load = modules[id];',
    '  if (!load) throw new Error(`app.js holds no module ${id}`);',
    '  return load();',
    '};',
  ].join('\n');
}
