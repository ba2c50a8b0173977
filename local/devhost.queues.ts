import { randomUUID } from 'node:crypto';
import type { Registration } from './functions-core';
import { invocationContext, isTrigger, type Log, resolveSetting } from './devhost.invocation';
import { DEAD_LETTER_SUFFIX, type DeliveredMessage, type LocalServiceBus } from './servicebus';

/** The queue's default message time-to-live (infra/modules/servicebus.bicep: P7D). */
const MESSAGE_TIME_TO_LIVE_MS = 7 * 24 * 3600_000;

/**
 * `context.triggerMetadata` as Azure's Service Bus extension (5.x) gives it to the Node.js worker,
 * which camel-cases every key: the message's system properties at the top, what the sender and
 * Service Bus set in `applicationProperties` (and its older name `userProperties`) — where a
 * dead-lettered message carries `DeadLetterReason` and `DeadLetterErrorDescription` — and, for a
 * message read from a dead-letter queue, `deadLetterSource`.
 */
function serviceBusTriggerMetadata(message: DeliveredMessage, queueName: string): Record<string, unknown> {
  const applicationProperties: Record<string, string> = {};
  if (message.deadLetterReason !== undefined) applicationProperties.deadLetterReason = message.deadLetterReason;
  if (message.deadLetterErrorDescription !== undefined) applicationProperties.deadLetterErrorDescription = message.deadLetterErrorDescription;
  const deadLetterSource = queueName.endsWith(DEAD_LETTER_SUFFIX) ? queueName.slice(0, -DEAD_LETTER_SUFFIX.length) : undefined;
  return {
    messageId: message.messageId,
    contentType: message.contentType,
    deliveryCount: message.deliveryCount,
    enqueuedTimeUtc: message.enqueuedTimeUtc.toISOString(),
    expiresAtUtc: new Date(message.enqueuedTimeUtc.getTime() + MESSAGE_TIME_TO_LIVE_MS).toISOString(),
    sequenceNumber: message.sequenceNumber,
    lockToken: randomUUID(),
    label: message.subject,
    subject: message.subject,
    applicationProperties,
    userProperties: applicationProperties,
    ...(deadLetterSource ? { deadLetterSource } : {}),
  };
}

/** Hands each Service Bus trigger its queue's messages, `concurrency` at a time (host.json `maxConcurrentCalls`). */
export function subscribeQueues(functions: Registration[], bus: LocalServiceBus, concurrency: number, log: Log): void {
  for (const registration of functions) {
    if (!isTrigger(registration, 'serviceBusTrigger')) continue;
    const queueName = resolveSetting(registration.trigger.queueName);
    bus.subscribe(queueName, (message) => deliver(registration, queueName, message, log), concurrency);
  }
}

/** One delivery; a throw tells the bus to redeliver (or dead-letter), as an unsettled message does in Azure. */
async function deliver(registration: Registration, queueName: string, message: DeliveredMessage, log: Log): Promise<void> {
  const metadata = serviceBusTriggerMetadata(message, queueName);
  try {
    await registration.handler(message.body, invocationContext(registration, log, metadata));
  } catch (error) {
    log('warning', `${registration.name}: delivery ${message.deliveryCount} of ${message.messageId} failed: ${String(error)}`);
    throw error;
  }
}
