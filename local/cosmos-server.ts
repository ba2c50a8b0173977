import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { atomicBatches } from './cosmos-batch';
import { Journal } from './cosmos-journal';
import { fastPaging } from './cosmos-paging';
import type { Account } from './cosmos-store';
import { enforceStrict, strictLimitsFromEnv } from './cosmos-strict';
import { honourTtl } from './cosmos-ttl';

/**
 * The Cosmos DB–compatible server as a child process of the local stack, so its CPU work does not
 * compete with the development host's event loop. Prints `READY <port> <documents loaded>` once it
 * listens on loopback. `node cosmos-server.js <port> [<data folder>]`: with a folder, every write is
 * on disk before its response leaves (`cosmos-journal.ts`), and the folder's data is loaded first.
 *
 * Keep-alive on: by default the server answers `Connection: close`, so every SDK request paid a TLS
 * handshake (400 sequential point reads: ~2,400–2,900 ms without, ~550 ms with). The server says
 * `Connection: keep-alive` with no timeout hint, so Node's agent keeps idle sockets until the server
 * closes them; a server that closed them after Node's default 5 s would race a client that picks an
 * idle socket in the same instant (read ECONNRESET). The client alone closes idle connections.
 *
 * `COSMOS_STRICT=1`: Azure Cosmos DB's limits (item size, partition size, request rate, empty
 * cross-partition pages), see `cosmos-strict.ts`.
 */
const requested = Number(process.argv[2] ?? 0);
const dataDir = process.argv[3];

// The library builds its account inside `createHttpsServer` and keeps it to itself; the journal
// needs it to restore into. Its module export is read when the server starts listening.
const accountModule = require('@vercel/cosmosdb-server/lib/account') as { default: new (host: string, port: number) => Account };
let account: Account | undefined;
const LibraryAccount = accountModule.default;
accountModule.default = class extends LibraryAccount {
  constructor(host: string, port: number) {
    super(host, port);
    account = this;
  }
} as typeof LibraryAccount;

// Paging first, TTL around it: expired documents are purged (a write, which makes kept pages stale)
// before a page can be answered from a kept result.
fastPaging();
honourTtl();
atomicBatches();
const server = createHttpsServer({ keepAlive: true });
server.keepAliveTimeout = 0;
let journal: Journal | undefined;
// Runs before the library's handler: no response (to a write or to a read that saw one) leaves
// before the journal holds what was written so far.
server.prependListener('request', (_request, response) => {
  const end = response.end.bind(response) as (...args: unknown[]) => unknown;
  response.end = ((...args: unknown[]) => {
    const durable = journal?.whenDurable();
    if (!durable) return end(...args);
    durable.then(
      () => end(...args),
      (error: unknown) => {
        // Acknowledging a write that is not on disk would break the promise `--data` makes.
        console.error('[cosmos] cannot write the journal; stopping:', error);
        process.exit(1);
      },
    );
    return response;
  }) as typeof response.end;
});
server.listen(requested, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  const ready = async () => {
    let documents = 0;
    if (dataDir) {
      if (!account) throw new Error('@vercel/cosmosdb-server changed: its account was not created on listen');
      ({ journal, documents } = await Journal.open(dataDir, account));
    }
    // After the journal has hooked the model's writes: strict mode's partition sizes count its deletes too.
    const strict = strictLimitsFromEnv(process.env);
    if (strict) enforceStrict(strict);
    process.stdout.write(`READY ${port} ${documents}\n`);
  };
  ready().catch((error: unknown) => {
    console.error('[cosmos] cannot load the data folder:', error);
    process.exit(1);
  });
});
// Leave with the parent: the stack closes our stdin when it stops or dies. Ctrl-C reaches the whole
// process group; the stack decides when we stop (after the host), and every write is on disk anyway.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGINT', () => {});
process.on('SIGTERM', () => process.exit(0));
