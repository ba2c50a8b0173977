import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config';
import { startStack } from './stack';

/**
 * `npm start`: the whole platform on this machine with nothing but Node.js.
 * `npm run emulators`: Azurite and the Cosmos DB server alone, for `func start`.
 */
// A promise the app forgot to await must not take the whole local platform down with it (Node's
// default); it is a bug all the same, so say so loudly. The tests keep Node's default and fail on it.
process.on('unhandledRejection', (reason) => {
  console.error('[error] unhandled promise rejection (a bug in the app; the platform keeps running):', reason);
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PORT ?? '7071' },
      data: { type: 'string' },
      'emulators-only': { type: 'boolean', default: false },
      'no-seed': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError([`--port: '${values.port}' is not a port`]);
  console.log('Starting the local stack (Azurite, Cosmos DB server, development host)…');
  const stack = await startStack({
    port,
    dataDir: values.data,
    emulatorsOnly: values['emulators-only'],
    seed: !values['no-seed'],
    verbose: !values.quiet,
    log: (line) => console.log(`  ${line}`),
  });
  if (values['emulators-only']) {
    // The development host's in-process queue does not exist under Core Tools: SERVICEBUS stays as
    // local.settings.sample.json has it (a Service Bus emulator or namespace).
    const values = Object.fromEntries(Object.entries(stack.settings).filter(([name]) => name !== 'SERVICEBUS'));
    console.log('\nEmulators running. Merge this into local.settings.json (the ports change on every start),');
    console.log('keep SERVICEBUS from local.settings.sample.json, then run `func start` in another terminal:');
    console.log(JSON.stringify({ Values: values }, null, 2));
  } else {
    console.log(`
ML asset platform is running.

  Base URL : ${stack.baseUrl}/api/v1
  Docs     : ${stack.baseUrl}/api/docs
  OpenAPI  : ${stack.baseUrl}/api/openapi.json
  Health   : ${stack.baseUrl}/api/health
  Admin key: ${stack.adminKey}

  curl -H "X-API-Key: ${stack.adminKey}" ${stack.baseUrl}/api/v1/api-keys
${values.data ? `\nData is kept in ${values.data}.` : '\nData is in memory: it is gone when you stop (use --data ./.data to keep it).'}
Press Ctrl-C to stop.`);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    stack
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error('Stopping failed:', error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
