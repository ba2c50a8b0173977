import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@vercel/cosmosdb-server';

/**
 * The Cosmos DB–compatible server as a child process of the local stack, so its CPU work does not
 * compete with the development host's event loop. Prints `READY <port>` once it listens on loopback.
 *
 * Keep-alive on: by default the server answers `Connection: close`, so every SDK request paid a TLS
 * handshake (400 sequential point reads: ~2,400–2,900 ms without, ~550 ms with). The server says
 * `Connection: keep-alive` with no timeout hint, so Node's agent keeps idle sockets until the server
 * closes them; a server that closed them after Node's default 5 s would race a client that picks an
 * idle socket in the same instant (read ECONNRESET). The client alone closes idle connections.
 */
const requested = Number(process.argv[2] ?? 0);
const server = createHttpsServer({ keepAlive: true });
server.keepAliveTimeout = 0;
server.listen(requested, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
// Leave with the parent: the stack closes our stdin when it stops or dies.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
