import { type FaultProxy, proxyEmulators, type SeenRequest } from '../support/fault-proxy';

/**
 * Records what the app stores: a forwarding proxy (test/support/fault-proxy.ts, no faults set) in
 * front of Cosmos DB and one in front of Blob storage log every request the app makes, and the
 * development host's queue statistics count every message it enqueues. Between `begin()` and
 * `stored()` is a window: what was stored inside it, whoever stored it.
 */
export interface StoredWrite {
  store: 'Cosmos DB' | 'Blob storage' | 'Service Bus';
  method: string;
  path: string;
  /** The store's answer (`201`), `unanswered` while it has not answered (the write may still land), or `enqueued`. */
  outcome: string;
}

export interface WriteRecorder {
  /** For `StackOptions.interpose`: starts the proxies and answers the settings that route the app through them. */
  interpose(settings: Record<string, string>): Promise<Record<string, string>>;
  /** Once the development host runs: where its admin API is, and the queue whose sends count as writes. */
  watchQueue(hostUrl: string, queue: string): void;
  /** Opens a new window. */
  begin(): Promise<void>;
  /** What was stored since `begin()`. */
  stored(): Promise<StoredWrite[]>;
  /** Requests each store has seen since `begin()`, reads included: proof the app's traffic passes the recorder. */
  traffic(): { cosmos: number; blob: number };
  /** Resolves once no queue has a deliverable message or a delivery in progress (`POST /admin/queues-idle`). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const reads = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Cosmos DB: every request but reads and queries (a query is a `POST` that reads). */
function isCosmosWrite(request: SeenRequest): boolean {
  return !reads.has(request.method) && !(request.method === 'POST' && request.isQuery);
}

/** Blob storage: every request but reads; the `POST`s that read are blob queries and user delegation keys. */
function isBlobWrite(request: SeenRequest): boolean {
  return !reads.has(request.method) && !(request.method === 'POST' && /[?&]comp=(query|userdelegationkey)(&|$)/i.test(request.path));
}

/** A write the store refused (409 exists, 412 stale ETag, 404 gone, …) stored nothing; one not yet answered may. */
function mayHaveStored(request: SeenRequest): boolean {
  return typeof request.outcome !== 'number' || (request.outcome >= 200 && request.outcome < 300);
}

function storedThrough(store: StoredWrite['store'], log: SeenRequest[], isWrite: (request: SeenRequest) => boolean): StoredWrite[] {
  return log
    .filter((request) => isWrite(request) && mayHaveStored(request))
    .map((request) => ({
      store,
      method: request.method,
      path: request.path,
      outcome: typeof request.outcome === 'number' ? String(request.outcome) : 'unanswered',
    }));
}

/** `Cosmos DB POST /dbs/mlassets/colls/jobs/docs → 201`, paths cut short. */
export function describeWrite(write: StoredWrite): string {
  const path = write.path.length > 160 ? `${write.path.slice(0, 160)}…` : write.path;
  return `${write.store} ${write.method} ${path} → ${write.outcome}`;
}

export function createWriteRecorder(): WriteRecorder {
  let cosmos: FaultProxy | undefined;
  let blob: FaultProxy | undefined;
  let hostUrl = '';
  let queue = '';
  let sentAtBegin = 0;

  const sentSoFar = async (): Promise<number> => {
    if (!hostUrl) return 0;
    const response = await fetch(`${hostUrl}/admin/queues/${encodeURIComponent(queue)}`);
    const stats = (await response.json()) as { sent?: number };
    if (typeof stats.sent !== 'number') throw new Error(`the development host's queue stats have no 'sent' counter: ${JSON.stringify(stats)}`);
    return stats.sent;
  };

  return {
    async interpose(settings) {
      const proxied = await proxyEmulators(settings);
      ({ cosmos, blob } = proxied);
      return proxied.settings;
    },
    watchQueue(url, name) {
      hostUrl = url;
      queue = name;
    },
    async begin() {
      cosmos?.clearLog();
      blob?.clearLog();
      sentAtBegin = await sentSoFar();
    },
    async stored() {
      const sent = (await sentSoFar()) - sentAtBegin;
      const messages: StoredWrite[] = sent > 0 ? [{ store: 'Service Bus', method: 'SEND', path: `${queue} ×${sent}`, outcome: 'enqueued' }] : [];
      return [...storedThrough('Cosmos DB', cosmos?.log ?? [], isCosmosWrite), ...storedThrough('Blob storage', blob?.log ?? [], isBlobWrite), ...messages];
    },
    traffic: () => ({ cosmos: cosmos?.log.length ?? 0, blob: blob?.log.length ?? 0 }),
    async idle() {
      const response = await fetch(`${hostUrl}/admin/queues-idle`, { method: 'POST' });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`POST /admin/queues-idle answered ${response.status}`);
    },
    async close() {
      await Promise.all([cosmos?.close(), blob?.close()]);
    },
  };
}
