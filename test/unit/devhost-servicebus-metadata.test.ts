import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DevelopmentHost } from '../../local/devhost';
import { installFunctionsCore, registrations } from '../../local/functions-core';

// `@azure/functions` finds the host's core API on its first registration: provide it first.
installFunctionsCore();
const { app } = await import('@azure/functions');

const root = path.resolve(__dirname, '../..');

/**
 * What a Service Bus–triggered handler finds in `context.triggerMetadata` must be what Azure's
 * Service Bus extension (5.x) gives the Node.js worker, camel-cased by the worker: the message's
 * system properties at the top level and the dead-letter reason among its application properties
 * (Service Bus stores `DeadLetterReason` and `DeadLetterErrorDescription` there) — never a
 * top-level `deadLetterReason`, which only a development host could supply.
 */
describe('the development host delivers Service Bus messages with Azure trigger metadata', () => {
  const seen: Record<string, unknown>[] = [];
  let host: DevelopmentHost | undefined;

  afterAll(async () => {
    await host?.stop();
  });

  it('puts the dead-letter reason among the application properties, where Azure puts it', async () => {
    app.serviceBusQueue('alwaysFails', {
      connection: 'ServiceBusConnection',
      queueName: 'metadata-test',
      handler: () => {
        throw new Error('never succeeds');
      },
    });
    app.serviceBusQueue('deadLetters', {
      connection: 'ServiceBusConnection',
      queueName: 'metadata-test/$deadletterqueue',
      handler: (_message, context) => {
        seen.push(context.triggerMetadata ?? {});
      },
    });
    host = new DevelopmentHost([...registrations], { appRoot: root, port: 0, verbose: false, maxDeliveryCount: 2 });
    await host.start();
    await host.bus.send('metadata-test', { messageId: 'message-1', body: { hello: 'world' } });
    await host.bus.idle();

    expect(seen).toHaveLength(1);
    const sut = seen[0] ?? {};
    expect(sut.deadLetterReason).toBeUndefined();
    expect(sut.applicationProperties).toEqual({
      deadLetterReason: 'MaxDeliveryCountExceeded',
      deadLetterErrorDescription: 'Message could not be consumed after 2 delivery attempts.',
    });
    expect(sut).toMatchObject({ messageId: 'message-1', contentType: 'application/json', deliveryCount: 1, deadLetterSource: 'metadata-test' });
    expect(typeof sut.enqueuedTimeUtc).toBe('string');
    expect(typeof sut.expiresAtUtc).toBe('string');
    expect(typeof sut.sequenceNumber).toBe('number');
  });
});
