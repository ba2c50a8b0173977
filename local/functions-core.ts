import Module from 'node:module';

/**
 * The development host's stand-in for `@azure/functions-core`, the module the Azure Functions
 * Node.js worker provides. `@azure/functions` calls `registerFunction` for every `app.http(...)`,
 * `app.serviceBusQueue(...)` and `app.timer(...)`, exactly as under the real host; we keep each
 * registration (name, bindings JSON, handler) for the development host to serve.
 */
export interface Binding {
  type: string;
  direction: 'in' | 'out';
  name: string;
  [setting: string]: unknown;
}

export interface Registration {
  name: string;
  bindings: Record<string, Binding>;
  trigger: Binding;
  handler: (...args: unknown[]) => unknown;
}

export const registrations: Registration[] = [];

/** The app's lifecycle hooks (`app.hook.appStart(...)`, `app.hook.appTerminate(...)`), run by the host in order. */
export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation';
type HookCallback = (context: { hookData: Record<string, unknown> }) => unknown;
const hooks = new Map<HookName, HookCallback[]>();

/** Runs every hook of one kind the app registered, one after another, as the worker does; a throw stops it. */
export async function runHooks(name: HookName): Promise<void> {
  const hookData: Record<string, unknown> = {};
  for (const hook of hooks.get(name) ?? []) await hook({ hookData });
}

type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
let logSink: (level: LogLevel, category: string, message: string) => void = () => {};

export function setCoreLogSink(sink: typeof logSink): void {
  logSink = sink;
}

class Disposable {
  constructor(private readonly onDispose: () => void) {}
  static from(...items: { dispose(): void }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  dispose(): void {
    this.onDispose();
  }
}

const coreApi = {
  version: 'development-host',
  hostVersion: '4.0.0-development-host',
  Disposable,
  setProgrammingModel(): void {},
  getProgrammingModel(): undefined {
    return undefined;
  },
  registerHook(name: HookName, callback: HookCallback): Disposable {
    const list = hooks.get(name) ?? [];
    list.push(callback);
    hooks.set(name, list);
    return new Disposable(() => list.splice(list.indexOf(callback), 1));
  },
  registerFunction(
    metadata: { name: string; bindings: Record<string, Binding> },
    handler: (...args: unknown[]) => unknown,
  ): Disposable {
    if (registrations.some((r) => r.name === metadata.name)) {
      throw new Error(`A function named "${metadata.name}" is already registered`);
    }
    const trigger = Object.values(metadata.bindings).find((binding) => /trigger$/i.test(binding.type));
    if (!trigger) throw new Error(`Function "${metadata.name}" has no trigger binding`);
    const registration: Registration = { name: metadata.name, bindings: metadata.bindings, trigger, handler };
    registrations.push(registration);
    return new Disposable(() => registrations.splice(registrations.indexOf(registration), 1));
  },
  log(level: LogLevel, category: string, message: string): void {
    logSink(level, category, message);
  },
};

const VIRTUAL_PATH = '/__development-host__/@azure/functions-core.js';
let installed = false;

/** Makes `require('@azure/functions-core')` resolve to the stand-in, before the app is loaded. */
export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  const virtual = new Module(VIRTUAL_PATH);
  virtual.filename = VIRTUAL_PATH;
  virtual.loaded = true;
  virtual.exports = coreApi;
  require.cache[VIRTUAL_PATH] = virtual;
  const moduleWithResolver = Module as unknown as {
    _resolveFilename(request: string, ...rest: unknown[]): string;
  };
  const original = moduleWithResolver._resolveFilename;
  moduleWithResolver._resolveFilename = function resolve(request: string, ...rest: unknown[]): string {
    if (request === '@azure/functions-core') return VIRTUAL_PATH;
    return original.call(this, request, ...rest);
  };
}
