import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Registration, installFunctionsCore, registrations } from './functions-core';

/** The parts of `host.json` the development host honours. */
export interface HostJson {
  extensions?: {
    http?: { routePrefix?: string };
    serviceBus?: { maxConcurrentCalls?: number; autoCompleteMessages?: boolean };
  };
}

export function readHostJson(appRoot: string): HostJson {
  return JSON.parse(readFileSync(path.join(appRoot, 'host.json'), 'utf8')) as HostJson;
}

/** The compiled function files `package.json` `main` names (a path or a `dir/*.js` glob), as the host loads them. */
export function functionFiles(appRoot: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as { main?: string };
  const main = pkg.main ?? 'index.js';
  if (!main.includes('*')) return [path.join(appRoot, main)];
  const directory = path.join(appRoot, path.dirname(main));
  const pattern = new RegExp(`^${path.basename(main).replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
  return readdirSync(directory)
    .filter((file) => pattern.test(file))
    .sort()
    .map((file) => path.join(directory, file));
}

/**
 * Loads the app the way the worker does: provide `@azure/functions-core`, then require every entry
 * point (`package.json` `main` unless `files` says otherwise).
 */
export function loadApp(appRoot: string, files = functionFiles(appRoot)): Registration[] {
  installFunctionsCore();
  for (const file of files) require(file);
  if (registrations.length === 0) throw new Error('No functions found: the app registered nothing');
  return registrations;
}

/** The compiled function files before bundling (`dist/functions/*.js`), for tools that read the app's own modules. */
export function unbundledFunctionFiles(appRoot: string): string[] {
  const directory = path.join(appRoot, 'dist', 'functions');
  return readdirSync(directory)
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file) => path.join(directory, file));
}
