import net from 'node:net';

/**
 * HTTP/1.1 on a raw socket, so that nothing between a test and the development host pools,
 * retries, buffers or hides a reset: what a test writes is what the host reads, when it is written.
 */
export interface RawAnswer {
  head: string;
  status: number;
  headers: Record<string, string>;
}

export class RawConnection {
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


/** A GET for `target` on the host at `url` (its Host header names it, port included). */
export const rawGet = (url: string, target: string) => `GET ${target} HTTP/1.1\r\nHost: ${new URL(url).host}\r\n\r\n`;
