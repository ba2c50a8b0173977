import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import type { RunningStack, StackOptions } from '../local/stack';

/**
 * Load: autocannon against the development host — N concurrent clients for D seconds on a mix of
 * catalogue reads, label (prediction) writes and job submissions — next to a bare `node:http`
 * server returning the same bytes on the same machine in the same run (our ceiling).
 *
 *   npm run bench:load [-- --connections 100 --duration 30]
 */
const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const connections = argument('connections', 100);
const duration = argument('duration', 30);

const { startStack } = require(path.resolve(__dirname, '../local/stack.js')) as {
  startStack(options: StackOptions): Promise<RunningStack>;
};

interface Outcome {
  name: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function run(name: string, options: autocannon.Options): Promise<Outcome> {
  const result = await autocannon({ connections, duration, ...options });
  return {
    name,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function main(): Promise<void> {
  const stack = await startStack({ port: 0, seed: true, verbose: false });
  const api = `${stack.baseUrl}/api/v1`;
  const key = stack.adminKey ?? '';
  const headers = { 'X-API-Key': key, 'Content-Type': 'application/json' };
  try {
    const imagesets = await json<{ items: { id: string; status: string }[] }>(`${api}/imagesets?limit=100`, { headers });
    const imageset = imagesets.items.find((i) => i.status === 'ready');
    if (!imageset) throw new Error('no ready sample imageset');
    const images = await json<{ items: { id: string; width: number; height: number }[] }>(`${api}/imagesets/${imageset.id}/images`, { headers });
    const image = images.items[0];
    if (!image) throw new Error('the sample imageset has no images');

    const catalogueRead = { method: 'GET' as const, path: '/api/v1/catalogue/datasets/seed-dataset-iris' };
    const labelWrite = {
      method: 'PUT' as const,
      path: `/api/v1/imagesets/${imageset.id}/images/${encodeURIComponent(image.id)}/predictions`,
      headers,
      body: JSON.stringify({
        model: { id: 'load-bench', version: '1' },
        predictions: [{ label: 'bottle', confidence: 0.7, xMin: 1, yMin: 1, xMax: Math.min(10, image.width), yMax: Math.min(10, image.height) }],
      }),
    };
    const jobSubmit = {
      method: 'POST' as const,
      path: '/api/v1/models/iris-classifier/jobs',
      headers,
      body: JSON.stringify({ input: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 } }),
    };
    const sameBytes = Buffer.from(await (await fetch(`${stack.baseUrl}${catalogueRead.path}`)).arrayBuffer());
    const ceiling = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(sameBytes);
    });
    await new Promise<void>((resolve) => ceiling.listen(0, '127.0.0.1', resolve));
    const ceilingUrl = `http://127.0.0.1:${(ceiling.address() as AddressInfo).port}`;

    const outcomes: Outcome[] = [];
    outcomes.push(await run('bare node:http, same bytes (ceiling)', { url: `${ceilingUrl}${catalogueRead.path}` }));
    outcomes.push(await run('GET catalogue entry', { url: `${stack.baseUrl}${catalogueRead.path}` }));
    outcomes.push(
      await run('mix: catalogue read, label write, job submit', {
        url: stack.baseUrl ?? '',
        requests: [catalogueRead, labelWrite, jobSubmit],
      }),
    );
    ceiling.close();

    const baseline = outcomes[0]?.rps ?? 1;
    console.log(`\nLoad: ${connections} connections × ${duration} s each, Node ${process.version}\n`);
    console.log('| workload | requests | req/s | p50 ms | p99 ms | errors | non-2xx | throughput vs ceiling |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const o of outcomes) {
      console.log(`| ${o.name} | ${o.requests} | ${o.rps.toFixed(0)} | ${o.p50} | ${o.p99} | ${o.errors} | ${o.non2xx} | ${(o.rps / baseline).toFixed(3)} |`);
    }
    // Let the submitted jobs drain before stopping, so the run ends cleanly.
    await stack.host?.bus.idle();
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
