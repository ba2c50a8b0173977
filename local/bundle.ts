import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { appEntry, proxiesToApp, registriesFromMain } from './bundle.split';

/**
 * The last step of `npm run build`: bundles the compiled function files (`dist/functions/*.js`) and
 * everything they import from `shared/` — with zod — into `dist/main.js`, which `package.json` `main`
 * names (the artefact the Functions host loads, here and in Azure), and `dist/app.js`, which it
 * loads on first use (`bundle.split.ts` says how the two divide). `npm run bench:coldstart` measures
 * it against the unbundled files (bench/README.md).
 *
 * The other dependencies stay in `node_modules`: the SDKs are required on first use
 * (`shared/azure/load.ts`), `@azure/functions` is shared with the host, and swagger-ui-dist is
 * served from its own folder.
 *
 * It also bundles the labelling page (`web/labelling/`, browser TypeScript) into
 * `dist/web/labelling/`, which `functions/labelling-page.ts` serves: no CDN, no framework.
 *
 *   node dist/local/bundle.js
 */
const BUNDLED_DEPENDENCIES = new Set(['zod']);

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist');

function externalDependencies(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return [...Object.keys(pkg.dependencies ?? {}).filter((name) => !BUNDLED_DEPENDENCIES.has(name)), '@azure/functions-core'];
}

function functionFiles(): string[] {
  return readdirSync(path.join(dist, 'functions'))
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file) => `./functions/${file}`);
}

/** The labelling page: its script bundled for browsers, its HTML and CSS copied as they are. */
function bundleLabellingPage(build: typeof import('esbuild').buildSync): boolean {
  const source = path.join(root, 'web', 'labelling');
  const out = path.join(dist, 'web', 'labelling');
  mkdirSync(out, { recursive: true });
  for (const file of ['index.html', 'labelling.css']) copyFileSync(path.join(source, file), path.join(out, file));
  const result = build({
    entryPoints: [path.join(source, 'main.ts')],
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    outfile: path.join(out, 'labelling.js'),
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
  });
  return result.errors.length === 0;
}

/** Builds `dist/main.js` (registration) and then `dist/app.js` (what its proxies load): `local/bundle.split.ts`. */
async function bundleApp(build: typeof import('esbuild').build): Promise<boolean> {
  const common = { bundle: true, platform: 'node', target: 'node22', format: 'cjs', external: externalDependencies(), sourcemap: true, logLevel: 'warning' } as const;
  const inApp = new Set<string>();
  const files = functionFiles();
  const main = await build({
    ...common,
    stdin: { contents: files.map((file) => `require(${JSON.stringify(file)});`).join('\n'), resolveDir: dist, sourcefile: 'entry.js' },
    outfile: path.join(dist, 'main.js'),
    plugins: [proxiesToApp(dist, inApp)],
  });
  if (main.errors.length > 0) return false;
  const app = await build({
    ...common,
    stdin: { contents: appEntry(inApp), resolveDir: dist, sourcefile: 'app-entry.js' },
    outfile: path.join(dist, 'app.js'),
    plugins: [registriesFromMain(dist)],
  });
  return app.errors.length === 0;
}

async function main(): Promise<void> {
  const { build, buildSync } = require('esbuild') as typeof import('esbuild');
  const started = performance.now();
  if (!(await bundleApp(build)) || !bundleLabellingPage(buildSync)) {
    process.exitCode = 1;
    return;
  }
  const kib = (file: string) => `${(statSync(path.join(dist, file)).size / 1024).toFixed(0)} KiB`;
  console.log(`bundled ${functionFiles().length} function files → dist/main.js (${kib('main.js')}) + dist/app.js (${kib('app.js')}) in ${(performance.now() - started).toFixed(0)} ms`);
}

void main();
