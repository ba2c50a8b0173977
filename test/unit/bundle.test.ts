import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionFiles, unbundledFunctionFiles } from '../../local/devhost.loader';

/**
 * The deployed artefact: `npm run build` bundles the app into the one file `package.json` `main`
 * names (`local/bundle.ts`). Every e2e test runs against it through the development host; these
 * check what those cannot see: that it is self-contained and the same app as the modules.
 */
const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** The function names a fresh process registers when it loads these files as the host does. */
function registeredNames(files: string[]): string[] {
  const script = `
    const core = require(${JSON.stringify(path.join(root, 'dist/local/functions-core.js'))});
    core.installFunctionsCore();
    for (const file of ${JSON.stringify(files)}) require(file);
    process.stdout.write(JSON.stringify(core.registrations.map((r) => r.name).sort()));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as string[];
}

/** The packages a fresh process loads from node_modules while it imports these files as the host does. */
function packagesLoadedAtImport(files: string[]): string[] {
  const script = `
    const core = require(${JSON.stringify(path.join(root, 'dist/local/functions-core.js'))});
    core.installFunctionsCore();
    const before = new Set(Object.keys(require.cache));
    for (const file of ${JSON.stringify(files)}) require(file);
    const packages = Object.keys(require.cache).filter((file) => !before.has(file) && file.includes('/node_modules/'))
      .map((file) => file.split('/node_modules/').pop().split('/').slice(0, file.split('/node_modules/').pop().startsWith('@') ? 2 : 1).join('/'));
    process.stdout.write(JSON.stringify([...new Set(packages)].sort()));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as string[];
}

/**
 * Whether a fresh process evaluated zod while importing these files as the host does. zod is bundled,
 * so it never shows in `require.cache`; its core sets `globalThis.__zod_globalConfig` when it runs.
 */
function zodEvaluatedAtImport(files: string[]): boolean {
  const script = `
    const core = require(${JSON.stringify(path.join(root, 'dist/local/functions-core.js'))});
    core.installFunctionsCore();
    for (const file of ${JSON.stringify(files)}) require(file);
    process.stdout.write(JSON.stringify('__zod_globalConfig' in globalThis));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as boolean;
}

describe('registration on a cold start', () => {
  it('sees zod evaluated by a module that builds a schema (the signal works)', () => {
    expect(zodEvaluatedAtImport([path.join(root, 'dist/shared/health/health.schema.js')])).toBe(true);
  });

  // Every area registers from name, method, path and access; its schemas load on first invocation.
  it('evaluates no zod while the function files register their routes, triggers and job handlers', () => {
    expect(zodEvaluatedAtImport(unbundledFunctionFiles(root))).toBe(false);
  });
});

describe('the deployed bundle (package.json main)', () => {
  const [bundle, ...others] = functionFiles(root);
  const appFile = path.join(root, 'dist/app.js');
  const requiredBy = (file: string) => new Set([...readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1] ?? ''));

  it('is main.js, which registers the functions, and app.js, which it loads from, both built by npm run build', () => {
    expect(others).toEqual([]);
    expect(bundle).toBe(path.join(root, 'dist/main.js'));
    expect(existsSync(bundle ?? '')).toBe(true);
    expect(requiredBy(bundle ?? '').has('./app.js')).toBe(true);
    expect(existsSync(appFile)).toBe(true);
  });

  it('requires nothing of ours but app.js: only Node built-ins and the dependencies it leaves in node_modules', () => {
    const required = new Set([...requiredBy(bundle ?? ''), ...requiredBy(appFile)]);
    // `ajv/dist/2020` is the ajv package: a subpath of a dependency is that dependency.
    const packageOf = (name: string) => name.split('/').slice(0, name.startsWith('@') ? 2 : 1).join('/');
    const outside = [...required].filter((name) => !name.startsWith('node:') && !(packageOf(name) in pkg.dependencies) && name !== '@azure/functions-core' && name !== './app.js');
    expect(outside).toEqual([]);
    expect(required.has('zod')).toBe(false);
  });

  it('loads no heavy dependency on a cold start: the SDKs, the outbound HTTP client and the JSON Schema validator load on first use', () => {
    const loaded = packagesLoadedAtImport([bundle ?? '']);
    for (const heavy of ['@azure/cosmos', '@azure/storage-blob', '@azure/service-bus', '@azure/identity', 'undici', 'ajv', 'ajv-formats', 're2js', 'jsonld', 'n3', 'yaml', 'fflate', 'fast-xml-parser', 'pngjs', 'csv-parse']) {
      expect(loaded, heavy).not.toContain(heavy);
    }
  });

  // What a cold start compiles is main.js alone: V8 compiling a 1.8 MB bundle took longer than a
  // hello-world's whole start (bench/README.md, "Cold start"). Size is the steady proxy for it.
  it('is small, and importing it as the host does runs neither app.js nor zod', () => {
    expect(statSync(bundle ?? '').size).toBeLessThan(64 * 1024);
    const script = `
      const core = require(${JSON.stringify(path.join(root, 'dist/local/functions-core.js'))});
      core.installFunctionsCore();
      require(${JSON.stringify(bundle)});
      process.stdout.write(JSON.stringify({ app: ${JSON.stringify(appFile)} in require.cache, zod: '__zod_globalConfig' in globalThis }));`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ app: false, zod: false });
  });

  it('carries the iris model trained by the build', () => {
    const model = JSON.parse(readFileSync(path.join(root, 'dist/shared/inference/models/iris.model.json'), 'utf8')) as { version: string };
    expect(readFileSync(appFile, 'utf8')).toContain(model.version);
  });

  it('registers exactly the functions the unbundled modules register', () => {
    const fromBundle = registeredNames([bundle ?? '']);
    expect(fromBundle.length).toBeGreaterThan(50);
    expect(fromBundle).toEqual(registeredNames(unbundledFunctionFiles(root)));
  });
});
