/** What a route handler returns; the wrapper turns it into the HTTP response. */
export interface Reply {
  status: number;
  /** JSON-serialisable value, or a string/Buffer sent as is (set `Content-Type` in headers). */
  body?: unknown;
  headers?: Record<string, string>;
}

export function ok(body: unknown, headers: Record<string, string> = {}): Reply {
  return { status: 200, body, headers };
}

/** 201 with `Location` (and `ETag` when the resource has one). */
export function created(body: unknown, location: string, etag?: string): Reply {
  return { status: 201, body, headers: { Location: location, ...(etag ? { ETag: etag } : {}) } };
}

export function accepted(body: unknown, location: string): Reply {
  return { status: 202, body, headers: { Location: location } };
}

export function noContent(headers: Record<string, string> = {}): Reply {
  return { status: 204, headers };
}

export function seeOther(location: string): Reply {
  return { status: 303, headers: { Location: location } };
}

/** A non-JSON body (HTML, CSS, CSV, …). */
export function raw(body: string | Buffer, contentType: string, headers: Record<string, string> = {}): Reply {
  return { status: 200, body, headers: { 'Content-Type': contentType, ...headers } };
}
