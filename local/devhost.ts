import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { HttpResponse, type HttpResponseInit, InvocationContext } from '@azure/functions';
import { provideDevelopmentHostQueue } from '../shared/azure/queue';
import { type Registration, installFunctionsCore, registrations, runHooks, setCoreLogSink } from './functions-core';
import { parseSchedule } from './ncrontab';
import { type CompiledRoute, byPrecedence, compileRoute, resolveRoute } from '../shared/http/route-template';
import { DEAD_LETTER_SUFFIX, type DeliveredMessage, LocalServiceBus } from './servicebus';
import { MAX_REQUEST_BYTES, isLocalToolRequest, keepsAlive, streamedRequest } from './devhost-request';

/**
 * The development host: serves the app's own registrations (HTTP, Service Bus queue, timer triggers)
 * the way the Azure Functions host does, on `node:http`, so every route runs here without Core Tools.
 * A development host, never a production server: it binds to loopback only.
 */
export interface HostJson {
  extensions?: {
    http?: { routePrefix?: string };
    serviceBus?: { maxConcurrentCalls?: number; autoCompleteMessages?: boolean };
  };
}

export interface DevelopmentHostOptions {
  appRoot: string;
  port: number;
  /** Log invocations and app output (npm start) or only warnings and errors (tests). */
  verbose: boolean;
  maxDeliveryCount?: number;
}

type Log = (level: string, message: string) => void;

/**
 * Kestrel's default keep-alive timeout, which the Functions host keeps. Kestrel sends no `Keep-Alive`
 * hint, so clients close idle connections on their own, shorter clocks (undici: 4 s); Node's server
 * would otherwise advertise `timeout=N` and then close at exactly N, a deadline a client with coarse
 * timers and a busy event loop overshoots — and then writes its next request into a closed socket.
 */
const KEEP_ALIVE_TIMEOUT_MS = 130_000;

function resolveSetting(value: unknown): string {
  // Binding settings may name an app setting as %NAME%, resolved from the environment.
  return String(value ?? '').replace(/%([^%]+)%/g, (_, name: string) => process.env[name] ?? '');
}

/** The queue's default message time-to-live (infra/modules/servicebus.bicep: P7D). */
const MESSAGE_TIME_TO_LIVE_MS = 7 * 24 * 3600_000;

/**
 * `context.triggerMetadata` as Azure's Service Bus extension (5.x) gives it to the Node.js worker,
 * which camel-cases every key: the message's system properties at the top, what the sender and
 * Service Bus set in `applicationProperties` (and its older name `userProperties`) — where a
 * dead-lettered message carries `DeadLetterReason` and `DeadLetterErrorDescription` — and, for a
 * message read from a dead-letter queue, `deadLetterSource`.
 */
function serviceBusTriggerMetadata(message: DeliveredMessage, queueName: string): Record<string, unknown> {
  const applicationProperties: Record<string, string> = {};
  if (message.deadLetterReason !== undefined) applicationProperties.deadLetterReason = message.deadLetterReason;
  if (message.deadLetterErrorDescription !== undefined) applicationProperties.deadLetterErrorDescription = message.deadLetterErrorDescription;
  const deadLetterSource = queueName.endsWith(DEAD_LETTER_SUFFIX) ? queueName.slice(0, -DEAD_LETTER_SUFFIX.length) : undefined;
  return {
    messageId: message.messageId,
    contentType: message.contentType,
    deliveryCount: message.deliveryCount,
    enqueuedTimeUtc: message.enqueuedTimeUtc.toISOString(),
    expiresAtUtc: new Date(message.enqueuedTimeUtc.getTime() + MESSAGE_TIME_TO_LIVE_MS).toISOString(),
    sequenceNumber: message.sequenceNumber,
    lockToken: randomUUID(),
    label: message.subject,
    subject: message.subject,
    applicationProperties,
    userProperties: applicationProperties,
    ...(deadLetterSource ? { deadLetterSource } : {}),
  };
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

export class DevelopmentHost {
  readonly bus: LocalServiceBus;
  private readonly routes: CompiledRoute<Registration>[];
  private readonly routePrefix: string;
  private readonly hostJson: HostJson;
  private server: http.Server | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: Log;
  url = '';

  constructor(
    private readonly functions: Registration[],
    private readonly options: DevelopmentHostOptions,
  ) {
    this.hostJson = JSON.parse(readFileSync(path.join(options.appRoot, 'host.json'), 'utf8')) as HostJson;
    this.routePrefix = (this.hostJson.extensions?.http?.routePrefix ?? 'api').replace(/^\/|\/$/g, '');
    this.log = (level, message) => {
      if (options.verbose || level === 'warning' || level === 'error' || level === 'critical') {
        (level === 'error' || level === 'critical' ? console.error : console.log)(`[${level}] ${message}`);
      }
    };
    setCoreLogSink((level, _category, message) => this.log(level, message));
    this.bus = new LocalServiceBus(options.maxDeliveryCount ?? 10, 10 * 60_000);
    provideDevelopmentHostQueue(this.bus);
    this.routes = functions
      .filter((f) => f.trigger.type.toLowerCase() === 'httptrigger')
      .map((f) =>
        compileRoute(
          String(f.trigger.route ?? f.name),
          ((f.trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map(String),
          f,
        ),
      )
      .sort(byPrecedence);
  }

  /** Runs the app's `appStart` hooks (a throw fails the start, as it fails the worker's), then serves. */
  async start(): Promise<string> {
    await runHooks('appStart');
    this.subscribeQueues();
    this.scheduleTimers();
    this.server = http.createServer((req, res) => void this.serve(req, res));
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  /** Stops serving and delivering, then runs the app's `appTerminate` hooks (it closes its clients there). */
  async stop(): Promise<void> {
    this.timers.forEach((timer) => clearInterval(timer));
    this.bus.stop();
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await runHooks('appTerminate');
  }

  private context(registration: Registration, triggerMetadata?: Record<string, unknown>): InvocationContext {
    return new InvocationContext({
      invocationId: randomUUID(),
      functionName: registration.name,
      triggerMetadata,
      options: {
        trigger: registration.trigger as never,
        extraInputs: [],
        extraOutputs: [],
      },
      logHandler: (level, ...args) => this.log(level, `${registration.name}: ${args.map(String).join(' ')}`),
    });
  }

  private subscribeQueues(): void {
    const concurrency = this.hostJson.extensions?.serviceBus?.maxConcurrentCalls ?? 16;
    for (const registration of this.functions) {
      if (registration.trigger.type.toLowerCase() !== 'servicebustrigger') continue;
      const queueName = resolveSetting(registration.trigger.queueName);
      this.bus.subscribe(queueName, (message) => this.deliver(registration, message), concurrency);
    }
  }

  private async deliver(registration: Registration, message: DeliveredMessage): Promise<void> {
    const metadata = serviceBusTriggerMetadata(message, resolveSetting(registration.trigger.queueName));
    try {
      await registration.handler(message.body, this.context(registration, metadata));
    } catch (error) {
      this.log('warning', `${registration.name}: delivery ${message.deliveryCount} of ${message.messageId} failed: ${String(error)}`);
      throw error;
    }
  }

  private scheduleTimers(): void {
    const due = this.functions
      .filter((f) => f.trigger.type.toLowerCase() === 'timertrigger')
      .map((f) => ({ registration: f, matches: parseSchedule(resolveSetting(f.trigger.schedule)) }));
    if (due.length === 0) return;
    let last = Math.floor(Date.now() / 1000);
    const timer = setInterval(() => {
      const now = Math.floor(Date.now() / 1000);
      for (let second = last + 1; second <= now; second++) {
        for (const { registration, matches } of due) {
          if (matches(new Date(second * 1000))) void this.invokeTimer(registration);
        }
      }
      last = now;
    }, 250);
    timer.unref();
    this.timers.push(timer);
  }

  /** Runs a non-HTTP function now, as the host's admin API (`POST /admin/functions/{name}`) does. */
  async invokeTimer(registration: Registration): Promise<void> {
    try {
      await registration.handler({ isPastDue: false, scheduleStatus: undefined }, this.context(registration));
    } catch (error) {
      this.log('error', `${registration.name} failed: ${String(error)}`);
    }
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Saying `keep-alive` ourselves keeps Node from adding its `Keep-Alive: timeout=` hint (see above).
    if (keepsAlive(req)) res.setHeader('Connection', 'keep-alive');
    try {
      const url = new URL(req.url ?? '/', this.url);
      if (url.pathname.startsWith('/admin/')) return await this.serveAdmin(req, res, url);
      const prefix = `/${this.routePrefix}`;
      const below =
        url.pathname === prefix ? '' : url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length + 1) : undefined;
      const match = below === undefined ? undefined : resolveRoute(this.routes, req.method ?? 'GET', below);
      if (!match || 'methodMismatch' in match) {
        res.writeHead(404).end();
        return;
      }
      if (Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
        // Declared too large: refuse before reading, and close, as Kestrel does.
        res.writeHead(413, { Connection: 'close' }).end();
        return;
      }
      const streamed = streamedRequest(req, url, match.params);
      const started = performance.now();
      let result: HttpResponseInit | HttpResponse | undefined;
      try {
        result = (await match.route.target.handler(streamed.request, this.context(match.route.target))) as typeof result;
      } catch (error) {
        if (!streamed.tooLarge()) throw error;
      } finally {
        streamed.discardRest();
      }
      if (streamed.tooLarge()) {
        res.writeHead(413).end();
        return;
      }
      const response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
      const payload = Buffer.from(await response.arrayBuffer());
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        headers[key] = value;
      });
      res.writeHead(response.status, headers).end(req.method === 'HEAD' ? undefined : payload);
      this.log('debug', `${req.method} ${url.pathname} → ${response.status} (${(performance.now() - started).toFixed(1)} ms)`);
    } catch (error) {
      // The Functions host answers 500 with no body when a handler throws past its wrapper.
      this.log('error', `unhandled error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  /** The host's admin API, on loopback only: run a timer, inspect a queue, wait for queues to drain. */
  private async serveAdmin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    };
    if (!isLocalToolRequest(req, Number(url.port))) return json(403, { error: 'The admin API answers this machine\'s own tools only.' });
    const functionMatch = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
    if (functionMatch && req.method === 'POST') {
      const registration = this.functions.find((f) => f.name === decodeURIComponent(functionMatch[1] ?? ''));
      if (!registration || registration.trigger.type.toLowerCase() !== 'timertrigger') return json(404, {});
      await this.invokeTimer(registration);
      return json(202, {});
    }
    const queueMatch = /^\/admin\/queues\/([^/]+)$/.exec(url.pathname);
    if (queueMatch && req.method === 'GET') return json(200, this.bus.stats(decodeURIComponent(queueMatch[1] ?? '')));
    if (url.pathname === '/admin/queues-idle' && req.method === 'POST') {
      await this.bus.idle();
      return json(200, {});
    }
    if (url.pathname === '/admin/functions' && req.method === 'GET') {
      return json(
        200,
        this.functions.map((f) => ({ name: f.name, trigger: f.trigger })),
      );
    }
    json(404, {});
  }
}
