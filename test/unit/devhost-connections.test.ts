import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevelopmentHost } from '../../local/devhost';
import { installFunctionsCore, registrations } from '../../local/functions-core';
import { RawConnection, rawGet } from '../support/raw-http';

// `@azure/functions` finds the host's core API on its first registration: provide it first.
installFunctionsCore();
const { app } = await import('@azure/functions');

const root = path.resolve(__dirname, '../..');
const LIMIT = 100 * 1024 * 1024; // the Functions host's request size limit

/**
 * A client holds a kept-alive connection and reuses it; the development host must never close one
 * under it (the cause of "read ECONNRESET" in CI) and must answer an oversized body cleanly.
 */
let host: DevelopmentHost;
let url = '';

beforeAll(async () => {
  app.http('echoSize', {
    route: 'echo-size',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: async (request) => ({ body: String((await request.arrayBuffer()).byteLength) }),
  });
  app.http('refuseFirst', {
    route: 'refuse-first',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: async () => ({ status: 401 }),
  });
  host = new DevelopmentHost([...registrations], { appRoot: root, port: 0, verbose: false });
  url = await host.start();
});

afterAll(async () => {
  await host.stop();
});

describe('the development host keeps its connections the way clients expect', () => {
  it('advertises no keep-alive timeout, so a pool never trusts a deadline the host then beats', async () => {
    const connection = await RawConnection.open(url);
    await connection.write(rawGet(url, '/admin/functions'));
    const answer = await connection.answer();
    connection.close();
    expect(answer.status).toBe(200);
    expect(answer.headers['keep-alive']).toBeUndefined();
    expect(answer.headers.connection).toBe('keep-alive');
  });

  it('answers a request on a connection that sat idle longer than a client pool keeps one (undici: 4 s)', async () => {
    const connection = await RawConnection.open(url);
    await connection.write(rawGet(url, '/admin/functions'));
    expect((await connection.answer()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await connection.write(rawGet(url, '/admin/functions'));
    expect((await connection.answer()).status).toBe(200);
    connection.close();
  }, 20_000);

  it('refuses a declared oversized body at once with 413 and Connection: close, then closes in order', async () => {
    const connection = await RawConnection.open(url);
    await connection.write(`POST /api/echo-size HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${LIMIT + 1}\r\n\r\n`);
    const answer = await connection.answer();
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    await connection.ended();
  });

  it('answers 413 to a streamed body that passes the limit, reads it to its end and keeps the connection', async () => {
    const connection = await RawConnection.open(url);
    await connection.write(`POST /api/echo-size HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.alloc(4 * 1024 * 1024, 120);
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    for (let sent = 0; sent <= LIMIT; sent += chunk.length) await connection.write(framed);
    await connection.write('0\r\n\r\n');
    expect((await connection.answer()).status).toBe(413);
    await connection.write(`POST /api/echo-size HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc`);
    expect((await connection.answer()).status).toBe(200);
    connection.close();
  }, 30_000);
});

describe('the development host hands the body over as it arrives, as the host does with HTTP streams', () => {
  it('lets a handler that refuses before reading answer before the body has arrived', async () => {
    const connection = await RawConnection.open(url);
    await connection.write(`POST /api/refuse-first HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`);
    await connection.write(Buffer.alloc(1024, 120));
    expect((await connection.answer()).status).toBe(401);
    connection.close();
  });

  it('drops a body the handler never read, so the connection serves the next request', async () => {
    const connection = await RawConnection.open(url);
    const body = Buffer.alloc(256 * 1024, 120);
    await connection.write(`POST /api/refuse-first HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n`);
    await connection.write(body);
    expect((await connection.answer()).status).toBe(401);
    await connection.write(`POST /api/echo-size HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc`);
    expect((await connection.answer()).status).toBe(200);
    connection.close();
  });
});

describe('the development host admin API', () => {
  const post = (target: string, headers: string) => `POST ${target} HTTP/1.1\r\n${headers}Content-Length: 0\r\n\r\n`;
  const ask = async (request: string) => {
    const connection = await RawConnection.open(url);
    await connection.write(request);
    const answer = await connection.answer();
    connection.close();
    return answer.status;
  };

  it('answers a caller on this machine that names this host and sends no Origin', async () => {
    expect(await ask(post('/admin/functions/noSuchTimer', `Host: ${new URL(url).host}\r\n`))).toBe(404);
  });

  it('refuses a request a web page sent (a foreign Origin), so no site can fire a timer', async () => {
    expect(await ask(post('/admin/functions/noSuchTimer', `Host: ${new URL(url).host}\r\nOrigin: https://attacker.example\r\n`))).toBe(403);
  });

  it('refuses a request for another host name (DNS rebinding)', async () => {
    expect(await ask(post('/admin/functions/noSuchTimer', `Host: attacker.example:${new URL(url).port}\r\n`))).toBe(403);
  });
});
