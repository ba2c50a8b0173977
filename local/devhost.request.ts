import type http from 'node:http';
import { HttpRequest, type HttpRequestInit } from '@azure/functions';

/**
 * The request a handler sees, built from what is on the socket, as the Functions host builds it with
 * HTTP streams on (`app.setup({ enableHttpStream: true })`): headers at once, the body as it arrives.
 * A handler that refuses a caller (401, 413) answers before reading, so an anonymous 95 MiB upload
 * costs nothing but the bytes the socket drops.
 */
export const MAX_REQUEST_BYTES = 100 * 1024 * 1024; // the Azure Functions host's request size limit

export class RequestTooLargeError extends Error {
  constructor() {
    super(`The request body passed the host's limit of ${MAX_REQUEST_BYTES} bytes.`);
  }
}

export interface StreamedRequest {
  request: HttpRequest;
  /** Whether the body passed the host's limit while the handler read it (the answer is then 413). */
  tooLarge(): boolean;
  /** Drops whatever the handler left unread, so the connection can carry the next request. */
  discardRest(): void;
}

function headersOf(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * The body as a web stream that reads the socket only when the handler reads it (no read-ahead:
 * a handler that never reads leaves Node to drop the body itself). Cancelling it or passing the
 * limit never destroys the socket under the client: the rest is read and dropped.
 */
function bodyStream(req: http.IncomingMessage, state: { size: number; tooLarge: boolean; listening: boolean }) {
  let finished = false;
  const stop = () => {
    finished = true;
    req.removeAllListeners('data');
    req.on('data', () => undefined);
    req.resume();
  };
  return {
    stop,
    stream: new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (finished) return;
          if (!state.listening) {
            state.listening = true;
            req.on('data', (chunk: Buffer) => {
              if (finished) return;
              state.size += chunk.length;
              if (state.size > MAX_REQUEST_BYTES) {
                state.tooLarge = true;
                stop();
                controller.error(new RequestTooLargeError());
                return;
              }
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
              if ((controller.desiredSize ?? 0) <= 0) req.pause();
            });
            req.once('end', () => {
              if (!finished) controller.close();
              finished = true;
            });
            req.once('error', (error) => {
              if (!finished) controller.error(error);
              finished = true;
            });
          }
          req.resume();
        },
        cancel: stop,
      },
      { highWaterMark: 0 },
    ),
  };
}

export function streamedRequest(req: http.IncomingMessage, url: URL, params: Record<string, string>): StreamedRequest {
  const method = req.method ?? 'GET';
  const headers = headersOf(req);
  const state = { size: 0, tooLarge: false, listening: false };
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const body = hasBody ? bodyStream(req, state) : undefined;
  const nativeRequest = new Request(url, {
    method,
    headers,
    body: body?.stream,
    // Node's fetch needs `duplex` for a streamed body; the DOM typings do not know it yet.
    ...(body ? { duplex: 'half' } : {}),
  } as RequestInit);
  // `nativeRequest` is how the library wraps a streamed request (createStreamRequest); its public
  // init type leaves it out.
  const init = { method, url: url.toString(), headers, params, nativeRequest } as HttpRequestInit;
  return {
    request: new HttpRequest(init),
    tooLarge: () => state.tooLarge,
    discardRest: () => {
      // Untouched bodies are Node's to drop (it does, once the answer is sent); a body the handler
      // started reading is ours.
      if (body && state.listening && !req.complete) body.stop();
    },
  };
}

/** Whether Node keeps this connection open after the answer: HTTP/1.1 unless `close`, HTTP/1.0 only if asked. */
export function keepsAlive(req: http.IncomingMessage): boolean {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  if (/\bclose\b/.test(connection)) return false;
  return req.httpVersion === '1.1' || /\bkeep-alive\b/.test(connection);
}

/**
 * The admin API is for this machine's own tools: it answers requests for this host's own name
 * (a rebound DNS name arrives with a foreign Host) that no web page sent (a browser always sends
 * `Origin` on a cross-origin POST, and a page could otherwise fire timers with a simple request).
 */
export function isLocalToolRequest(req: http.IncomingMessage, port: number): boolean {
  const loopbackHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const host = String(req.headers.host ?? '').toLowerCase();
  if (!loopbackHosts.has(host)) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return loopbackHosts.has(new URL(origin).host);
  } catch {
    return false;
  }
}
