import { OutboundError, outboundClient } from '../../outbound/outbound.client';

/**
 * The HTTP client every connector fetches through: one request at a time per connector, at least
 * `minIntervalMs` apart (the platforms' fair-use rules), and retries with exponential backoff on
 * 429/5xx and network failures, waiting what `Retry-After` says when the platform says it. Requests
 * go through the platform's outbound client (shared/outbound): its address policy, no redirects
 * followed (a 3xx is returned for the connector to judge), and a cap on the page's bytes.
 */

export interface PoliteClientOptions {
  minIntervalMs: number;
  maxRetries: number;
  /** First backoff without `Retry-After`; doubled per attempt (with jitter). */
  retryBaseMs?: number;
  /** A `Retry-After` longer than this ends the run (resumed by the next one) instead of blocking it. */
  maxWaitMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface FetchedPage {
  status: number;
  headers: Headers;
  body: unknown;
}

/** The platform could not be read after the retries: the run stops here and the next one resumes. */
export class ConnectorFetchError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'ConnectorFetchError';
  }
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);
const USER_AGENT = 'ml-asset-platform-connector/0.1 (+catalogue synchronisation)';
/** A page of a platform's listing is a few hundred KiB; far more is no page the connector can use. */
export const MAX_PAGE_BYTES = 16 * 1024 * 1024;

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class PoliteClient {
  private nextAllowedAt = 0;
  /** Requests sent and retries made, for the run's statistics. */
  requests = 0;
  retries = 0;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PoliteClientOptions) {
    this.sleep = options.sleep ?? defaultSleep;
  }

  private async pace(): Promise<void> {
    const wait = this.nextAllowedAt - Date.now();
    if (wait > 0) await this.sleep(wait);
    this.nextAllowedAt = Date.now() + this.options.minIntervalMs;
  }

  /** GETs a JSON document. Non-retryable statuses (404, 412, …) are returned for the connector to judge. */
  async getJson(url: string): Promise<FetchedPage> {
    const { maxRetries, retryBaseMs = 1000, maxWaitMs = 120_000, timeoutMs = 30_000 } = this.options;
    for (let attempt = 0; ; attempt++) {
      await this.pace();
      this.requests++;
      let status: number | undefined;
      let wait: number | undefined;
      try {
        const response = await outboundClient().send({
          method: 'GET',
          url,
          headers: { Accept: 'application/json', 'User-Agent': USER_AGENT },
          timeoutMs,
          // A retryable answer's body is read too (bounded) so its connection can be reused.
          maxBytes: MAX_PAGE_BYTES,
        });
        status = response.status;
        if (!RETRYABLE.has(status)) {
          const text = response.body.toString('utf8');
          let body: unknown = undefined;
          if (text) {
            try {
              body = JSON.parse(text);
            } catch {
              if (status >= 200 && status < 300) throw new ConnectorFetchError(`${url} answered ${status} with a body that is not JSON`, status);
            }
          }
          return { status, headers: response.headers, body };
        }
        wait = retryAfterMs(response.headers.get('retry-after'));
      } catch (error) {
        if (error instanceof ConnectorFetchError) throw error;
        // Another try would be refused or as large again: the run stops here.
        if (error instanceof OutboundError && (error.kind === 'refused' || error.kind === 'too-large')) {
          throw new ConnectorFetchError(`${url}: ${error.message}`, undefined);
        }
        // Network failure or timeout: as retryable as a 503.
      }
      if (attempt >= maxRetries) {
        throw new ConnectorFetchError(`${url} failed after ${attempt + 1} attempts (last status: ${status ?? 'network error'})`, status);
      }
      const backoff = retryBaseMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
      const delay = wait ?? backoff;
      if (delay > maxWaitMs) {
        throw new ConnectorFetchError(`${url}: the platform asks to wait ${Math.round(delay / 1000)} s; resuming on the next run`, status);
      }
      this.retries++;
      await this.sleep(delay);
      // The wait already spaced this request out; the pacing interval starts again from now.
      this.nextAllowedAt = Date.now();
    }
  }
}
