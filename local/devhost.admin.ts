import type http from 'node:http';
import type { Registration } from './functions-core';
import type { DevelopmentHostTimers } from './devhost.timers';
import { isLocalToolRequest } from './devhost.request';
import type { LocalServiceBus } from './servicebus';

export interface AdminTargets {
  functions: Registration[];
  bus: LocalServiceBus;
  timers: DevelopmentHostTimers;
}

/** The host's admin API, on loopback only: run a timer, inspect a queue, wait for queues to drain. */
export async function serveAdmin(targets: AdminTargets, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const json = (status: number, value: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
  };
  if (!isLocalToolRequest(req, Number(url.port))) return json(403, { error: 'The admin API answers this machine\'s own tools only.' });
  const functionMatch = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
  if (functionMatch && req.method === 'POST') {
    const registration = targets.timers.named(decodeURIComponent(functionMatch[1] ?? ''));
    if (!registration) return json(404, {});
    await targets.timers.invoke(registration);
    return json(202, {});
  }
  const queueMatch = /^\/admin\/queues\/([^/]+)$/.exec(url.pathname);
  if (queueMatch && req.method === 'GET') return json(200, targets.bus.stats(decodeURIComponent(queueMatch[1] ?? '')));
  if (url.pathname === '/admin/queues-idle' && req.method === 'POST') {
    await targets.bus.idle();
    return json(200, {});
  }
  if (url.pathname === '/admin/functions' && req.method === 'GET') {
    return json(
      200,
      targets.functions.map((f) => ({ name: f.name, trigger: f.trigger })),
    );
  }
  json(404, {});
}
