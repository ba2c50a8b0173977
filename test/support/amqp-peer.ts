import { randomBytes } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import { type Connection, type Container, create_container, type Delivery, type EventContext, type Message, type Receiver, type Sender } from 'rhea';
import { BATCH_FORMAT, bytesOf, deadLetteredMessage, deadLetterFields, deliveredMessage, echoedOutcome, encodePeeked, lockLost, lockTokenOf, lockTokensOf, type QueuedMessage, scheduledTime, statusProperties, toNumber, unbatch, validSasToken } from './amqp-frames';

/**
 * A minimal AMQP 1.0 peer that speaks enough of Azure Service Bus for the real `@azure/service-bus`
 * client (7.x, on `rhea`) to send to and receive from queues: not a mock of the SDK, a protocol
 * peer. What it implements is what the SDK actually uses (read from its dist):
 *
 * - SASL ANONYMOUS, then claims-based auth: a `put-token` request on the `$cbs` node (the SAS token
 *   is verified against the key when one is configured); links to an entity are refused unless a
 *   token for it was put on the connection;
 * - sending: a link to `<queue>`; plain messages and batches (format 0x80013700); scheduled
 *   messages (`x-opt-scheduled-enqueue-time`) are held until due; duplicate detection by message id;
 * - receiving in peek-lock: a link from `<queue>` or `<queue>/$DeadLetterQueue`, deliveries tagged
 *   with a 16-byte lock token, annotated with sequence number, enqueued time and locked-until, and the
 *   header's delivery count (0 on the first delivery, as Service Bus sends it);
 * - settlement by disposition frames (the SDK's path while the receive link is open): accepted →
 *   complete; released/modified → abandon (delivery count + 1; dead-lettered with
 *   `MaxDeliveryCountExceeded` once it reaches `maxDeliveryCount`); rejected with
 *   `com.microsoft:dead-letter` → the dead-letter queue with `DeadLetterReason`/`…ErrorDescription`;
 * - the `<queue>/$management` node for what the SDK sends there: `renew-lock` (auto lock renewal),
 *   `update-disposition` (settling when the link is gone), `peek-message` (peekMessages);
 * - lock expiry: an unsettled message returns to the queue after `lockDurationMs`, counted.
 *
 * How those are encoded (batches, lock tokens, outcomes, SAS tokens): ./amqp-frames.ts.
 */
export interface AmqpPeerOptions {
  maxDeliveryCount?: number;
  lockDurationMs?: number;
  /** When set, put-token requests must carry a SAS token signed with this key (as Service Bus checks). */
  sharedAccessKeyName?: string;
  sharedAccessKey?: string;
  duplicateDetection?: boolean;
}

interface Lock {
  token: string;
  entity: string;
  queued: QueuedMessage;
  delivery: Delivery | undefined;
  lockedUntil: Date;
  timer: NodeJS.Timeout;
}

const DEAD_LETTER = '/$deadletterqueue';
const MANAGEMENT = '/$management';

function entityKey(address: string): string {
  return address.toLowerCase();
}

export class AmqpPeer {
  readonly port: number;
  /** Every audience a put-token request was accepted for, in order. */
  readonly audiences: string[] = [];
  /** Every $management operation received, in order. */
  readonly operations: string[] = [];
  private readonly queues = new Map<string, QueuedMessage[]>();
  private readonly consumers = new Map<string, Sender[]>();
  private readonly locks = new Map<string, Lock>();
  private readonly replyLinks = new Map<string, Sender>();
  private readonly authorised = new WeakMap<Connection, Set<string>>();
  private readonly seenIds = new Map<string, Set<string>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sequence = 0;

  private constructor(
    private readonly container: Container,
    private readonly server: Server,
    private readonly options: Required<Omit<AmqpPeerOptions, 'sharedAccessKeyName' | 'sharedAccessKey'>> & AmqpPeerOptions,
  ) {
    this.port = (server.address() as AddressInfo).port;
  }

  /** Starts the peer on a free loopback port. */
  static async start(options: AmqpPeerOptions = {}): Promise<AmqpPeer> {
    const container = create_container({ id: 'amqp-test-peer' });
    const server = container.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    const peer = new AmqpPeer(container, server, {
      maxDeliveryCount: options.maxDeliveryCount ?? 10,
      lockDurationMs: options.lockDurationMs ?? 30_000,
      duplicateDetection: options.duplicateDetection ?? true,
      sharedAccessKeyName: options.sharedAccessKeyName,
      sharedAccessKey: options.sharedAccessKey,
    });
    peer.wire();
    return peer;
  }

  /** The connection string the SDK (and SERVICEBUS) takes: plain AMQP on loopback, as with the emulator. */
  get connectionString(): string {
    return (
      `Endpoint=sb://127.0.0.1:${this.port};SharedAccessKeyName=${this.options.sharedAccessKeyName ?? 'x'};` +
      `SharedAccessKey=${this.options.sharedAccessKey ?? 'y'};UseDevelopmentEmulator=true`
    );
  }

  /** The messages waiting in an entity (`jobs`, `jobs/$DeadLetterQueue`), locked ones excluded. */
  waiting(entity: string): QueuedMessage[] {
    return [...(this.queues.get(entityKey(entity)) ?? [])];
  }

  /** Messages currently locked by a receiver. */
  locked(entity: string): QueuedMessage[] {
    return [...this.locks.values()].filter((lock) => lock.entity === entityKey(entity)).map((lock) => lock.queued);
  }

  async stop(): Promise<void> {
    for (const lock of this.locks.values()) clearTimeout(lock.timer);
    for (const timer of this.timers) clearTimeout(timer);
    this.locks.clear();
    this.timers.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private wire(): void {
    const c = this.container;
    c.on('connection_open', (context: EventContext) => this.authorised.set(context.connection, new Set()));
    c.on('receiver_open', (context: EventContext) => this.onReceiverOpen(context));
    c.on('sender_open', (context: EventContext) => this.onSenderOpen(context));
    c.on('message', (context: EventContext) => this.onMessage(context));
    c.on('sendable', (context: EventContext) => this.pump(this.addressOf(context.sender)));
    c.on('sender_draining', (context: EventContext) => {
      const sender = context.sender;
      if (!sender) return;
      this.pump(this.addressOf(sender));
      sender.set_drained(true);
    });
    c.on('accepted', (context: EventContext) => this.onOutcome(context, 'complete'));
    c.on('released', (context: EventContext) => this.onOutcome(context, 'abandon'));
    c.on('rejected', (context: EventContext) => this.onOutcome(context, 'deadletter'));
    c.on('sender_close', (context: EventContext) => this.forgetSender(context.sender));
    c.on('connection_close', () => this.dropClosedSenders());
    c.on('disconnected', () => this.dropClosedSenders());
    c.on('error', () => undefined);
  }

  private addressOf(link: Sender | Receiver | undefined): string {
    if (!link) return '';
    const terminus = link.is_sender() ? link.source : link.target;
    return entityKey(String(terminus?.address ?? ''));
  }

  /** The entity a token must cover: a queue for itself and its sub-queues and $management node. */
  private isAuthorised(connection: Connection, address: string): boolean {
    const audiences = this.authorised.get(connection) ?? new Set<string>();
    return [...audiences].some((audience) => {
      const path = entityKey(audience.replace(/^[a-z]+:\/\/[^/]+\//i, ''));
      return address === path || address.startsWith(`${path}/`);
    });
  }

  private onReceiverOpen(context: EventContext): void {
    const receiver = context.receiver;
    if (!receiver) return;
    const address = String(receiver.target?.address ?? '');
    receiver.set_target({ address });
    const key = entityKey(address);
    if (key === '$cbs' || key.endsWith(MANAGEMENT)) return;
    if (!this.isAuthorised(context.connection, key)) {
      receiver.close({ condition: 'amqp:unauthorized-access', description: `No token for '${address}' was put on $cbs.` });
    }
  }

  private onSenderOpen(context: EventContext): void {
    const sender = context.sender;
    if (!sender) return;
    const address = String(sender.source?.address ?? '');
    sender.set_source({ address });
    const key = entityKey(address);
    if (key === '$cbs' || key.endsWith(MANAGEMENT)) {
      // Replies go to the link whose target (or name) the request's `reply_to` names.
      const replyTo = String(sender.target?.address ?? sender.name);
      this.replyLinks.set(replyTo, sender);
      this.replyLinks.set(sender.name, sender);
      return;
    }
    if (!this.isAuthorised(context.connection, key)) {
      sender.close({ condition: 'amqp:unauthorized-access', description: `No token for '${address}' was put on $cbs.` });
      return;
    }
    this.consumers.set(key, [...(this.consumers.get(key) ?? []), sender]);
    this.pump(key);
  }

  private forgetSender(sender: Sender | undefined): void {
    if (!sender) return;
    for (const [key, list] of this.consumers) this.consumers.set(key, list.filter((s) => s !== sender));
  }

  private dropClosedSenders(): void {
    for (const [key, list] of this.consumers) this.consumers.set(key, list.filter((s) => s.is_open()));
  }

  private onMessage(context: EventContext): void {
    const receiver = context.receiver;
    const delivery = context.delivery;
    if (!receiver || !delivery) return;
    const key = this.addressOf(receiver);
    if (key === '$cbs') return this.onPutToken(context);
    if (key.endsWith(MANAGEMENT)) return this.onManagement(context, key.slice(0, -MANAGEMENT.length));
    const raw: unknown = context.message;
    const messages = delivery.format === BATCH_FORMAT && Buffer.isBuffer(raw) ? unbatch(raw) : [context.message as Message];
    for (const message of messages) this.enqueue(key, message);
  }

  private enqueue(key: string, message: Message, deliveryCount = 0): void {
    if (this.options.duplicateDetection && message.message_id !== undefined && !key.endsWith(DEAD_LETTER)) {
      const seen = this.seenIds.get(key) ?? new Set<string>();
      this.seenIds.set(key, seen);
      const id = String(message.message_id);
      if (seen.has(id)) return;
      seen.add(id);
    }
    const availableAt = scheduledTime(message) ?? Date.now();
    const queued: QueuedMessage = { message, sequenceNumber: ++this.sequence, enqueuedAt: new Date(), deliveryCount, availableAt };
    this.insert(key, queued);
    if (availableAt > Date.now()) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.pump(key);
      }, availableAt - Date.now());
      this.timers.add(timer);
    }
    this.pump(key);
  }

  private insert(key: string, queued: QueuedMessage): void {
    const list = this.queues.get(key) ?? [];
    list.push(queued);
    list.sort((a, b) => a.sequenceNumber - b.sequenceNumber);
    this.queues.set(key, list);
  }

  /** Hands due messages to consumers with credit, round robin. */
  private pump(key: string): void {
    const list = this.queues.get(key) ?? [];
    const consumers = (this.consumers.get(key) ?? []).filter((sender) => sender.is_open());
    let progress = true;
    while (progress) {
      progress = false;
      for (const sender of consumers) {
        if (!sender.sendable()) continue;
        const index = list.findIndex((queued) => queued.availableAt <= Date.now());
        if (index < 0) return;
        const [queued] = list.splice(index, 1);
        if (!queued) return;
        this.deliver(key, sender, queued);
        progress = true;
      }
    }
  }

  private deliver(key: string, sender: Sender, queued: QueuedMessage): void {
    const tag = randomBytes(16);
    const lockedUntil = new Date(Date.now() + this.options.lockDurationMs);
    const delivery = sender.send(deliveredMessage(queued, lockedUntil), tag);
    if (sender.snd_settle_mode === 1) return; // receive-and-delete: settled on sending
    const token = lockTokenOf(tag);
    const lock: Lock = { token, entity: key, queued, delivery, lockedUntil, timer: this.lockTimer(token) };
    this.locks.set(token, lock);
  }

  private lockTimer(token: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.settle(token, 'abandon'), this.options.lockDurationMs);
    timer.unref();
    return timer;
  }

  private onOutcome(context: EventContext, outcome: 'complete' | 'abandon' | 'deadletter'): void {
    const delivery = context.delivery;
    if (!delivery || !context.sender) return;
    const tag = bytesOf(delivery.tag);
    const token = tag && tag.length === 16 ? lockTokenOf(tag) : '';
    const state = delivery.remote_state as { error?: { condition?: string; info?: Record<string, unknown> } } | undefined;
    const info = state?.error?.info ?? {};
    const found = this.settle(token, outcome, deadLetterFields(info.DeadLetterReason, info.DeadLetterErrorDescription));
    // Settle our side echoing the outcome; a lock that expired meanwhile is reported as lost, as Service Bus does.
    delivery.update(true, found ? echoedOutcome(outcome) : lockLost());
  }

  /** Applies a settlement to a locked message; false when the lock is unknown (expired, settled). */
  private settle(token: string, outcome: 'complete' | 'abandon' | 'deadletter', deadLetter: { reason?: string; description?: string } = {}): boolean {
    const lock = this.locks.get(token);
    if (!lock) return false;
    clearTimeout(lock.timer);
    this.locks.delete(token);
    const { queued, entity } = lock;
    if (outcome === 'abandon') {
      queued.deliveryCount += 1;
      if (queued.deliveryCount >= this.options.maxDeliveryCount && !entity.endsWith(DEAD_LETTER)) {
        this.deadLetter(entity, queued, 'MaxDeliveryCountExceeded', `Message could not be consumed after ${this.options.maxDeliveryCount} delivery attempts.`);
      } else {
        this.insert(entity, queued);
        this.pump(entity);
      }
    } else if (outcome === 'deadletter') {
      this.deadLetter(entity, queued, deadLetter.reason, deadLetter.description);
    }
    return true;
  }

  private deadLetter(entity: string, queued: QueuedMessage, reason: string | undefined, description: string | undefined): void {
    const target = entity.endsWith(DEAD_LETTER) ? entity : `${entity}${DEAD_LETTER}`;
    const message = deadLetteredMessage(queued.message, entity, reason, description);
    this.insert(target, { ...queued, message, sequenceNumber: ++this.sequence, availableAt: Date.now() });
    this.pump(target);
  }

  private reply(request: Message, status: number, description: string, body?: unknown): void {
    const link = this.replyLinks.get(String(request.reply_to));
    link?.send({ correlation_id: request.message_id, application_properties: statusProperties(status, description), body } as Message);
  }

  private onPutToken(context: EventContext): void {
    const request = context.message as Message;
    const properties = (request.application_properties ?? {}) as Record<string, unknown>;
    if (properties.operation !== 'put-token') return this.reply(request, 400, 'Only put-token is supported.');
    const audience = String(properties.name ?? '');
    if (!validSasToken(String(request.body ?? ''), audience, { name: this.options.sharedAccessKeyName, value: this.options.sharedAccessKey })) return this.reply(request, 401, 'InvalidSignature: the token is not valid.');
    this.audiences.push(audience);
    this.authorised.get(context.connection)?.add(audience);
    this.reply(request, 202, 'Accepted');
  }

  private onManagement(context: EventContext, entity: string): void {
    const request = context.message as Message;
    const properties = (request.application_properties ?? {}) as Record<string, unknown>;
    const operation = String(properties.operation ?? '');
    const body = (request.body ?? {}) as Record<string, unknown>;
    this.operations.push(operation);
    if (!this.isAuthorised(context.connection, entity)) return this.reply(request, 401, 'Unauthorized: no token for this entity.');
    switch (operation) {
      case 'com.microsoft:renew-lock': {
        const expirations: Date[] = [];
        for (const token of lockTokensOf(body)) {
          const lock = this.locks.get(token);
          if (!lock) return this.reply(request, 410, 'com.microsoft:message-lock-lost');
          clearTimeout(lock.timer);
          lock.lockedUntil = new Date(Date.now() + this.options.lockDurationMs);
          lock.timer = this.lockTimer(token);
          expirations.push(lock.lockedUntil);
        }
        return this.reply(request, 200, 'OK', { expirations });
      }
      case 'com.microsoft:update-disposition': {
        const status = String(body['disposition-status'] ?? '');
        const outcome = status === 'completed' ? 'complete' : status === 'suspended' ? 'deadletter' : 'abandon';
        for (const token of lockTokensOf(body)) {
          const lock = this.locks.get(token);
          if (!lock) return this.reply(request, 410, 'com.microsoft:message-lock-lost');
          this.settle(token, outcome, deadLetterFields(body['deadletter-reason'], body['deadletter-description']));
          lock.delivery?.update(true, echoedOutcome('complete'));
        }
        return this.reply(request, 200, 'OK');
      }
      case 'com.microsoft:peek-message': {
        const from = toNumber(body['from-sequence-number']);
        const count = toNumber(body['message-count']) || 1;
        const all = [...(this.queues.get(entity) ?? []), ...this.locked(entity)]
          .filter((queued) => queued.sequenceNumber >= from)
          .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
          .slice(0, count);
        if (all.length === 0) return this.reply(request, 204, 'No messages');
        const messages = all.map(encodePeeked);
        return this.reply(request, 200, 'OK', { messages });
      }
      default:
        return this.reply(request, 501, `The test peer does not implement ${operation}.`);
    }
  }
}
