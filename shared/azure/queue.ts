import type { ServiceBusClient, ServiceBusSender } from '@azure/service-bus';
import { config } from '../config';
import { azureCredential } from './credential';
import { lazyRequire } from './load';

/** What the app puts on a queue: a JSON body whose `messageId` makes redelivery detectable. */
export interface OutgoingMessage {
  messageId: string;
  body: unknown;
  subject?: string;
  /** Deliver no earlier than this (Service Bus scheduled messages). */
  scheduledEnqueueTimeUtc?: Date;
}

/** The seam between the app and its queue: Service Bus in Azure, the development host locally. */
export interface QueueSender {
  send(queue: string, message: OutgoingMessage): Promise<void>;
  /** Resolves when the queue can be reached; rejects with the reason otherwise. */
  check(queue: string): Promise<void>;
}

/**
 * The development host (`local/`) runs in the app's process and publishes its in-memory queue here,
 * so `SERVICEBUS=UseDevelopmentHost=true` needs no network and no emulator.
 */
export const DEVELOPMENT_HOST_QUEUE = Symbol.for('mlassets.developmentHost.queue');

type GlobalWithQueue = typeof globalThis & { [DEVELOPMENT_HOST_QUEUE]?: QueueSender };

let sbClient: ServiceBusClient | undefined;
const senders = new Map<string, ServiceBusSender>();

function serviceBusClient(): ServiceBusClient {
  if (sbClient) return sbClient;
  const { ServiceBusClient: Client } = lazyRequire<typeof import('@azure/service-bus')>('@azure/service-bus');
  const settings = config().serviceBus;
  if (settings.kind === 'developmentHost') throw new Error('Service Bus is not used with the development host');
  sbClient =
    settings.kind === 'connectionString'
      ? new Client(settings.connectionString)
      : new Client(settings.endpoint, azureCredential());
  return sbClient;
}

const serviceBusSender: QueueSender = {
  async send(queue, message) {
    let sender = senders.get(queue);
    if (!sender) {
      sender = serviceBusClient().createSender(queue);
      senders.set(queue, sender);
    }
    await sender.sendMessages({
      messageId: message.messageId,
      body: message.body,
      contentType: 'application/json',
      subject: message.subject,
      scheduledEnqueueTimeUtc: message.scheduledEnqueueTimeUtc,
    });
  },
  async check(queue) {
    // Peeking needs only the Listen right the app already has (Data Receiver), not Manage.
    const receiver = serviceBusClient().createReceiver(queue);
    try {
      await receiver.peekMessages(1);
    } finally {
      await receiver.close();
    }
  },
};

/** The queue sender for this process. */
export function queueSender(): QueueSender {
  if (config().serviceBus.kind !== 'developmentHost') return serviceBusSender;
  const local = (globalThis as GlobalWithQueue)[DEVELOPMENT_HOST_QUEUE];
  if (!local) throw new Error('SERVICEBUS=UseDevelopmentHost=true but no development host is running');
  return local;
}

/** Called by the development host when it starts. */
export function provideDevelopmentHostQueue(queue: QueueSender): void {
  (globalThis as GlobalWithQueue)[DEVELOPMENT_HOST_QUEUE] = queue;
}

export async function disposeQueueSender(): Promise<void> {
  await Promise.all([...senders.values()].map((sender) => sender.close()));
  senders.clear();
  await sbClient?.close();
  sbClient = undefined;
}
