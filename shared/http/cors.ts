import { config } from '../config';

const EXPOSED = 'ETag, Location, Link, Retry-After, Deprecation, Sunset, Idempotent-Replayed';
const ALLOWED_HEADERS = 'Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-API-Key';

/** CORS response headers for an allowed `Origin` (CORS_ALLOWED_ORIGINS); nothing for any other. */
export function corsHeaders(origin: string | null): Record<string, string> {
  if (!origin) return {};
  const allowed = config().cors.allowedOrigins;
  if (!allowed.includes('*') && !allowed.includes(origin)) return {};
  return {
    'Access-Control-Allow-Origin': allowed.includes('*') ? '*' : origin,
    'Access-Control-Expose-Headers': EXPOSED,
    Vary: 'Origin',
  };
}

/** The answer to a preflight `OPTIONS` request. */
export function preflightHeaders(origin: string | null): Record<string, string> {
  const base = corsHeaders(origin);
  if (!base['Access-Control-Allow-Origin']) return {};
  return {
    ...base,
    'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': ALLOWED_HEADERS,
    'Access-Control-Max-Age': '600',
  };
}
