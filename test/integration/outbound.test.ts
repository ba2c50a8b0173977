import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundClient, OutboundError, type OutboundRequest, type Resolver } from '../../shared/outbound/outbound.client';
import { refusedAddress, refusedUrl } from '../../shared/outbound/outbound.policy';

/**
 * Issue 14 item 2: the outbound client and its address policy, with private networks not allowed
 * (as in Azure), against a real loopback server — which the policy must therefore never reach.
 */
const STRICT = { allowPrivateNetworks: false };
const DEV = { allowPrivateNetworks: true };

let server: http.Server;
let port = 0;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    if (req.url === '/redirect') res.writeHead(302, { Location: '/target' }).end();
    else if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(64 * 1024, 'b'));
    else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 5_000).unref();
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const get = (url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({ method: 'GET', url, timeoutMs: 5_000, maxBytes: 1_024, ...extra });

async function failureOf(promise: Promise<unknown>): Promise<OutboundError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OutboundError);
  return error as OutboundError;
}

describe('the address policy', () => {
  it('refuses every non-public range and the metadata addresses, allows public ones', () => {
    const refused = [
      '127.0.0.1', '127.255.0.1', '::1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '100.64.0.1', '169.254.1.1', '0.0.0.0', '::',
      'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::a00:1', '224.0.0.1',
      '169.254.169.254', '168.63.129.16', 'fd00:ec2::254', '100.100.100.200',
    ];
    for (const address of refused) expect(refusedAddress(address, STRICT), address).toBeDefined();
    for (const address of ['8.8.8.8', '20.50.2.1', '2606:4700::1111']) expect(refusedAddress(address, STRICT), address).toBeUndefined();
  });

  it('with private networks allowed (development) still refuses the metadata and wire-server addresses', () => {
    expect(refusedAddress('127.0.0.1', DEV)).toBeUndefined();
    expect(refusedAddress('10.0.0.1', DEV)).toBeUndefined();
    for (const address of ['169.254.169.254', '168.63.129.16', 'fd00:ec2::254', '100.100.100.200', '::ffff:a9fe:a9fe']) {
      expect(refusedAddress(address, DEV), address).toBeDefined();
    }
  });

  it('reads IP literals in any spelling a URL allows', () => {
    for (const url of ['http://2130706433/', 'http://127.1/', 'http://0x7f.1/', 'http://017700000001/', 'https://[::ffff:127.0.0.1]/', 'https://[0:0:0:0:0:ffff:7f00:1]/', 'https://metadata.google.internal./']) {
      expect(refusedUrl(url, STRICT), url).toBeDefined();
    }
    expect(refusedUrl('file:///etc/passwd', DEV)).toBeDefined();
    expect(refusedUrl('https://hooks.example.com/x', STRICT)).toBeUndefined();
  });
});

describe('the outbound client, private networks not allowed', () => {
  const client = new OutboundClient(STRICT);
  afterAll(() => client.close());

  it('refuses loopback in every spelling before connecting', async () => {
    const before = hits;
    for (const host of ['127.0.0.1', '2130706433', '127.1', '[::ffff:127.0.0.1]', 'localhost']) {
      const error = await failureOf(client.send(get(`http://${host}:${port}/`)));
      expect(error.kind, host).toBe('refused');
    }
    expect(hits).toBe(before);
  });

  it('refuses a name whose lookup answers a private address (DNS rebinding), even next to a public one', async () => {
    const rebinding: Resolver = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const rebound = new OutboundClient(STRICT, rebinding);
    try {
      const before = hits;
      expect((await failureOf(rebound.send(get(`http://hooks.example.com:${port}/`)))).kind).toBe('refused');
      expect(hits).toBe(before);
    } finally {
      await rebound.close();
    }
  });
});

describe('the outbound client, private networks allowed (the local stack)', () => {
  const client = new OutboundClient(DEV);
  afterAll(() => client.close());

  it('reaches a loopback server and reads its answer', async () => {
    const answer = await client.send(get(`http://localhost:${port}/`));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ ok: true });
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const before = hits;
    const answer = await client.send(get(`http://127.0.0.1:${port}/redirect`));
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/target');
    expect(hits).toBe(before + 1);
  });

  it('fails too-large past the byte cap, and reads no body at a cap of 0', async () => {
    expect((await failureOf(client.send(get(`http://127.0.0.1:${port}/big`, { maxBytes: 1_000 })))).kind).toBe('too-large');
    const unread = await client.send(get(`http://127.0.0.1:${port}/big`, { maxBytes: 0 }));
    expect(unread).toMatchObject({ status: 200, body: Buffer.alloc(0) });
  });

  it('fails timeout when the answer takes longer than allowed, and aborted when the caller cancels', async () => {
    expect((await failureOf(client.send(get(`http://127.0.0.1:${port}/slow`, { timeoutMs: 200 })))).kind).toBe('timeout');
    const cancel = new AbortController();
    const pending = client.send(get(`http://127.0.0.1:${port}/slow`, { signal: cancel.signal }));
    cancel.abort();
    expect((await failureOf(pending)).kind).toBe('aborted');
  });

  it('fails network, naming only an error code, when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failureOf(client.send(get(`http://127.0.0.1:${freePort}/`)));
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('still refuses the metadata address', async () => {
    expect((await failureOf(client.send(get('http://169.254.169.254/metadata/instance', { timeoutMs: 2_000 })))).kind).toBe('refused');
  });
});
