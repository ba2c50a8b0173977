import { provideDevelopmentHostQueue } from '../shared/azure/queue';
import { type Registration, runHooks, setCoreLogSink } from './functions-core';
import { serveAdmin } from './devhost.admin';
import { DevelopmentHostHttp } from './devhost.http';
import { hostLog, type Log } from './devhost.invocation';
import { readHostJson } from './devhost.loader';
import { subscribeQueues } from './devhost.queues';
import { DevelopmentHostTimers } from './devhost.timers';
import { LocalServiceBus } from './servicebus';

/**
 * The development host: serves the app's own registrations (HTTP, Service Bus queue, timer triggers)
 * the way the Azure Functions host does, on `node:http`, so every route runs here without Core Tools.
 * A development host, never a production server: it binds to loopback only. Its parts: loading the
 * app (devhost.loader.ts), HTTP (devhost.http.ts, devhost.request.ts), queues (devhost.queues.ts),
 * timers (devhost.timers.ts) and the admin API (devhost.admin.ts).
 */
export interface DevelopmentHostOptions {
  appRoot: string;
  port: number;
  /** Log invocations and app output (npm start) or only warnings and errors (tests). */
  verbose: boolean;
  maxDeliveryCount?: number;
  /**
   * Fire timer triggers on their schedules (default). Off, they run only when the admin API invokes
   * them: a stack that counts requests must not get a wall-clock firing (the job reaper's every five
   * minutes) inside what it counts.
   */
  scheduledTimers?: boolean;
}

export class DevelopmentHost {
  readonly bus: LocalServiceBus;
  private readonly http: DevelopmentHostHttp;
  private readonly timers: DevelopmentHostTimers;
  private readonly log: Log;
  private readonly queueConcurrency: number;
  url = '';

  constructor(
    private readonly functions: Registration[],
    private readonly options: DevelopmentHostOptions,
  ) {
    const hostJson = readHostJson(options.appRoot);
    const log = hostLog(options.verbose);
    this.log = log;
    setCoreLogSink((level, _category, message) => log(level, message));
    const bus = new LocalServiceBus(options.maxDeliveryCount ?? 10, 10 * 60_000);
    this.bus = bus;
    provideDevelopmentHostQueue(bus);
    const timers = new DevelopmentHostTimers(functions, log);
    this.timers = timers;
    const routePrefix = (hostJson.extensions?.http?.routePrefix ?? 'api').replace(/^\/|\/$/g, '');
    this.http = new DevelopmentHostHttp(functions, routePrefix, log, (req, res, url) => serveAdmin({ functions, bus, timers }, req, res, url));
    this.queueConcurrency = hostJson.extensions?.serviceBus?.maxConcurrentCalls ?? 16;
  }

  /** Runs the app's `appStart` hooks (a throw fails the start, as it fails the worker's), then serves. */
  async start(): Promise<string> {
    await runHooks('appStart');
    subscribeQueues(this.functions, this.bus, this.queueConcurrency, this.log);
    if (this.options.scheduledTimers ?? true) this.timers.start();
    this.url = await this.http.listen(this.options.port);
    return this.url;
  }

  /** Stops serving and delivering, then runs the app's `appTerminate` hooks (it closes its clients there). */
  async stop(): Promise<void> {
    this.timers.stop();
    this.bus.stop();
    await this.http.close();
    await runHooks('appTerminate');
  }
}
