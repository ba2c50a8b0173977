import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevelopmentHost } from '../../local/devhost';
import { installFunctionsCore, registrations } from '../../local/functions-core';

// `@azure/functions` finds the host's core API on its first registration: provide it first.
installFunctionsCore();
const { app } = await import('@azure/functions');

const root = path.resolve(__dirname, '../..');
const LIMIT = 100 * 1024 * 1024; // the Functions host's request size limit

/**
 * A client holds a kept-alive connection and reuses it; the development host must never close one
 * under it (the cause of "read ECONNRESET" in CI) and must answer an oversized body cleanly.
 * These tests speak HTTP/1.1 on a raw socket so that nothing between them and the host pools,
 * retries or hides a reset.
 */
interface RawAnswer {
  head: string;
  status: number;
  headers: Record<string, string>;
}

class RawConnection {
  private buffered = Buffer.alloc(0);
  private closed = false;
  private error: Error | undefined;
  private wake: () => void = () => undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on('end', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (error) => {
      this.error = error;
      this.wake();
    });
  }

  static open(url: string): Promise<RawConnection> {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** The next response's head, and its body skipped (by its Content-Length, or to its last chunk). */
  async answer(): Promise<RawAnswer> {
    for (;;) {
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buffered.subarray(0, end).toString('latin1');
        const headers = Object.fromEntries(
          head
            .split('\r\n')
            .slice(1)
            .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
        );
        const bodyEnd = headers['transfer-encoding'] === 'chunked'
          ? this.buffered.indexOf('0\r\n\r\n', end + 4) + 5
          : end + 4 + Number(headers['content-length'] ?? 0);
        if (bodyEnd > end && this.buffered.length >= bodyEnd) {
          this.buffered = this.buffered.subarray(bodyEnd);
          return { head, status: Number(head.split(' ')[1]), headers };
        }
      }
      if (this.error) throw new Error(`the connection failed before a full answer: ${this.error.message}`);
      if (this.closed) throw new Error('the host closed the connection before a full answer');
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Resolves once the host has closed its side in order (FIN), rejects on a reset. */
  async ended(): Promise<void> {
    while (!this.closed) {
      if (this.error) throw new Error(`the connection was reset instead of closed: ${this.error.message}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

let host: DevelopmentHost;
let url = '';

beforeAll(async () => {
  app.http('echoSize', {
    route: 'echo-size',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: async (request) => ({ body: String((await request.arrayBuffer()).byteLength) }),
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
    await connection.write(get('/admin/functions'));
    const answer = await connection.answer();
    connection.close();
    expect(answer.status).toBe(200);
    expect(answer.headers['keep-alive']).toBeUndefined();
    expect(answer.headers.connection).toBe('keep-alive');
  });

  it('answers a request on a connection that sat idle longer than a client pool keeps one (undici: 4 s)', async () => {
    const connection = await RawConnection.open(url);
    await connection.write(get('/admin/functions'));
    expect((await connection.answer()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await connection.write(get('/admin/functions'));
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
