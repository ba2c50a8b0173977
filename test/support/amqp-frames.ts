import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Message, message as amqpMessage, uuid_to_string } from 'rhea';

/**
 * The byte- and frame-level half of the AMQP test peer (./amqp-peer.ts): how Service Bus and its SDK
 * encode batches, lock tokens, settlement outcomes, status replies, peeked messages and SAS tokens.
 * Pure functions over rhea's codec; the peer keeps the queues, locks and links.
 */
export const BATCH_FORMAT = 0x80013700;

/** A message held by the peer, in a queue or locked by a receiver. */
export interface QueuedMessage {
  message: Message;
  sequenceNumber: number;
  enqueuedAt: Date;
  /** Failed deliveries so far (the AMQP header's `delivery-count`). */
  deliveryCount: number;
  availableAt: number;
}

export function statusProperties(code: number, description: string): Record<string, unknown> {
  // The SDK reads `status-code` on $cbs replies and `statusCode` on $management replies.
  return { statusCode: code, statusDescription: description, 'status-code': code, 'status-description': description };
}

/** rhea builds outcome states (`rejected` with an error) but its typings leave them out. */
export const outcomes = amqpMessage as unknown as {
  accepted(): { described(): unknown };
  released(): { described(): unknown };
  rejected(fields: { error?: { condition: string; description?: string } }): { described(): unknown };
};

/** The state our side settles a delivery with, echoing the receiver's outcome. */
export function echoedOutcome(outcome: 'complete' | 'abandon' | 'deadletter'): unknown {
  if (outcome === 'complete') return outcomes.accepted().described();
  if (outcome === 'abandon') return outcomes.released().described();
  return outcomes.rejected({}).described(); // no error: the SDK would take one as a failed settlement
}

export function lockLost(): unknown {
  return outcomes.rejected({ error: { condition: 'com.microsoft:message-lock-lost', description: 'The lock expired before the message was settled.' } }).described();
}

/**
 * The lock token the SDK derives from a delivery tag: Service Bus sends the tag in .NET GUID byte
 * order, so the SDK swaps the first three groups (`reorderLockToken`) before formatting it, and sends
 * that token back (as a uuid) in $management requests.
 */
export function lockTokenOf(tag: Buffer): string {
  const b = tag;
  return uuid_to_string(Buffer.from([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8, 16)]));
}

/** The lock tokens of a $management request body (`lock-tokens`, uuids). */
export function lockTokensOf(body: Record<string, unknown>): string[] {
  const tokens = body['lock-tokens'];
  return (Array.isArray(tokens) ? tokens : []).flatMap((token: unknown) => {
    const bytes = bytesOf(token);
    return bytes ? [uuid_to_string(bytes)] : [];
  });
}

export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE(0));
  return Number(value ?? 0);
}

export function bytesOf(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  return undefined;
}

/** The messages of a batch delivery (format 0x80013700): each part of the outer body is one encoded message. */
export function unbatch(raw: Buffer): Message[] {
  const outer = amqpMessage.decode(raw);
  const body = outer.body as { content?: unknown; multiple?: boolean } | undefined;
  const parts = body?.multiple ? (body.content as unknown[]) : [body?.content];
  return parts.flatMap((part) => {
    const bytes = bytesOf(part);
    return bytes ? [amqpMessage.decode(bytes) as unknown as Message] : [];
  });
}

/** A message as `peek-message` answers it: encoded, with its delivery count, sequence number and enqueued time. */
export function encodePeeked(queued: QueuedMessage): { message: Buffer } {
  return {
    message: amqpMessage.encode({
      ...queued.message,
      delivery_count: queued.deliveryCount,
      message_annotations: {
        ...((queued.message.message_annotations ?? {}) as Record<string, unknown>),
        'x-opt-sequence-number': queued.sequenceNumber,
        'x-opt-enqueued-time': queued.enqueuedAt,
      },
    }),
  };
}

/**
 * Whether a put-token request's SAS token is good for `audience`, as Service Bus checks it: the
 * resource, expiry, key name and HMAC signature. Any token is good when no key is configured.
 */
export function validSasToken(token: string, audience: string, key: { name?: string; value?: string }): boolean {
  if (!key.value) return true;
  const fields = new URLSearchParams(token.replace(/^SharedAccessSignature\s+/, ''));
  const sr = fields.get('sr') ?? '';
  const se = Number(fields.get('se') ?? '0');
  if (sr.toLowerCase() !== audience.toLowerCase() || se * 1000 < Date.now()) return false;
  if (key.name && fields.get('skn') !== key.name) return false;
  const expected = createHmac('sha256', key.value).update(`${encodeURIComponent(sr)}\n${se}`).digest();
  const given = Buffer.from(fields.get('sig') ?? '', 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

type Annotations = Record<string, unknown>;

/** When a scheduled message (`x-opt-scheduled-enqueue-time`) is due; undefined for one sent to be delivered now. */
export function scheduledTime(message: Message): number | undefined {
  const scheduled = ((message.message_annotations ?? {}) as Annotations)['x-opt-scheduled-enqueue-time'];
  return scheduled instanceof Date ? scheduled.getTime() : typeof scheduled === 'number' ? scheduled : undefined;
}

/** A message as a peek-lock receiver gets it: sequence number, enqueued time, locked-until and the header's delivery count. */
export function deliveredMessage(queued: QueuedMessage, lockedUntil: Date): Message {
  const annotations = { ...((queued.message.message_annotations ?? {}) as Annotations) };
  annotations['x-opt-sequence-number'] = queued.sequenceNumber;
  annotations['x-opt-enqueued-time'] = queued.enqueuedAt;
  annotations['x-opt-locked-until'] = lockedUntil;
  delete annotations['x-opt-scheduled-enqueue-time'];
  return { ...queued.message, delivery_count: queued.deliveryCount, message_annotations: annotations } as Message;
}

/** Why a message is dead-lettered, from a rejected outcome's error info or an update-disposition body: strings or nothing. */
export function deadLetterFields(reason: unknown, description: unknown): { reason?: string; description?: string } {
  return { reason: typeof reason === 'string' ? reason : undefined, description: typeof description === 'string' ? description : undefined };
}

/** A message moved to the dead-letter queue: the reason in its properties and its source entity in its annotations. */
export function deadLetteredMessage(message: Message, entity: string, reason: string | undefined, description: string | undefined): Message {
  const properties = { ...((message.application_properties ?? {}) as Annotations) };
  if (reason !== undefined) properties.DeadLetterReason = reason;
  if (description !== undefined) properties.DeadLetterErrorDescription = description;
  const annotations = { ...((message.message_annotations ?? {}) as Annotations), 'x-opt-deadletter-source': entity };
  return { ...message, application_properties: properties, message_annotations: annotations } as Message;
}
