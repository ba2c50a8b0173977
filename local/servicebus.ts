import type { OutgoingMessage, QueueSender } from '../shared/azure/queue';

/**
 * The development host's queues, with the delivery semantics of Service Bus that the app relies on:
 * at-least-once (a handler that throws gets the message again), `deliveryCount` rising with each
 * delivery, the dead-letter queue `<queue>/$deadletterqueue` after `maxDeliveryCount`, scheduled
 * messages, and duplicate detection by `messageId` (as the Bicep queue is configured).
 */
export interface DeliveredMessage {
  messageId: string;
  body: unknown;
  contentType: string;
  subject: string | undefined;
  deliveryCount: number;
  sequenceNumber: number;
  enqueuedTimeUtc: Date;
  scheduledEnqueueTimeUtc: Date | undefined;
  deadLetterReason?: string;
  deadLetterErrorDescription?: string;
}

export type MessageHandler = (message: DeliveredMessage) => Promise<void>;

interface Consumer {
  handler: MessageHandler;
  maxConcurrentCalls: number;
}

interface Queue {
  active: DeliveredMessage[];
  deadLettered: DeliveredMessage[];
  inFlight: number;
  completed: number;
  sent: number;
  consumer: Consumer | undefined;
  recentIds: Map<string, number>;
}

export interface QueueStats {
  /** Messages ever enqueued (duplicates dropped by duplicate detection not counted): only ever rises. */
  sent: number;
  active: number;
  inFlight: number;
  completed: number;
  deadLettered: number;
  deadLetters: DeliveredMessage[];
}

export const DEAD_LETTER_SUFFIX = '/$deadletterqueue';

export class LocalServiceBus implements QueueSender {
  private readonly queues = new Map<string, Queue>();
  private sequence = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly maxDeliveryCount: number,
    private readonly duplicateDetectionWindowMs: number,
  ) {}

  private queue(name: string): Queue {
    const key = name.toLowerCase();
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { active: [], deadLettered: [], inFlight: 0, completed: 0, sent: 0, consumer: undefined, recentIds: new Map() };
      this.queues.set(key, queue);
    }
    return queue;
  }

  async send(name: string, message: OutgoingMessage): Promise<void> {
    if (this.stopped) throw new Error('the development host is stopping');
    const queue = this.queue(name);
    const now = Date.now();
    for (const [id, at] of queue.recentIds) if (now - at > this.duplicateDetectionWindowMs) queue.recentIds.delete(id);
    if (queue.recentIds.has(message.messageId)) return;
    queue.recentIds.set(message.messageId, now);
    queue.sent += 1;
    queue.active.push({
      messageId: message.messageId,
      body: structuredClone(message.body),
      contentType: 'application/json',
      subject: message.subject,
      deliveryCount: 0,
      sequenceNumber: ++this.sequence,
      enqueuedTimeUtc: new Date(now),
      scheduledEnqueueTimeUtc: message.scheduledEnqueueTimeUtc,
    });
    this.pump(name);
  }

  async check(): Promise<void> {}

  subscribe(name: string, handler: MessageHandler, maxConcurrentCalls: number): void {
    const queue = this.queue(name);
    if (queue.consumer) throw new Error(`Queue '${name}' already has a trigger`);
    queue.consumer = { handler, maxConcurrentCalls };
    this.pump(name);
  }

  stats(name: string): QueueStats {
    const queue = this.queue(name);
    const dead = this.queue(`${name}${DEAD_LETTER_SUFFIX}`);
    return {
      sent: queue.sent,
      active: queue.active.length,
      inFlight: queue.inFlight,
      completed: queue.completed,
      deadLettered: dead.active.length + dead.deadLettered.length + dead.completed + dead.inFlight,
      deadLetters: [...dead.active, ...dead.deadLettered],
    };
  }

  /** Resolves once no queue has a deliverable message or a delivery in progress. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private isIdle(): boolean {
    const now = Date.now();
    return [...this.queues.values()].every(
      (q) => q.inFlight === 0 && (!q.consumer || !q.active.some((m) => isDue(m, now))),
    );
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((resolve) => resolve());
  }

  private pump(name: string): void {
    if (this.stopped) return;
    const queue = this.queue(name);
    const consumer = queue.consumer;
    if (!consumer) return;
    const now = Date.now();
    while (queue.inFlight < consumer.maxConcurrentCalls) {
      const index = queue.active.findIndex((m) => isDue(m, now));
      if (index < 0) break;
      const [message] = queue.active.splice(index, 1);
      if (!message) break;
      message.deliveryCount += 1;
      queue.inFlight += 1;
      void this.deliver(name, queue, consumer, message);
    }
    const next = queue.active
      .map((m) => m.scheduledEnqueueTimeUtc?.getTime() ?? now)
      .filter((t) => t > now)
      .sort((a, b) => a - b)[0];
    if (next !== undefined) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.pump(name);
      }, next - now);
      timer.unref();
      this.timers.add(timer);
    }
  }

  private async deliver(name: string, queue: Queue, consumer: Consumer, message: DeliveredMessage): Promise<void> {
    try {
      await consumer.handler(structuredClone(message));
      queue.completed += 1;
    } catch {
      // Abandon: back to the queue, or to the dead-letter queue once the delivery count is spent.
      if (message.deliveryCount >= this.maxDeliveryCount) {
        if (name.endsWith(DEAD_LETTER_SUFFIX)) {
          queue.deadLettered.push(message);
        } else {
          const deadLetter: DeliveredMessage = {
            ...message,
            deliveryCount: 0,
            deadLetterReason: 'MaxDeliveryCountExceeded',
            deadLetterErrorDescription: `Message could not be consumed after ${this.maxDeliveryCount} delivery attempts.`,
          };
          const dlq = this.queue(`${name}${DEAD_LETTER_SUFFIX}`);
          dlq.active.push(deadLetter);
          setImmediate(() => this.pump(`${name}${DEAD_LETTER_SUFFIX}`));
        }
      } else {
        queue.active.unshift(message);
      }
    } finally {
      queue.inFlight -= 1;
      setImmediate(() => {
        this.pump(name);
        this.notifyIdle();
      });
    }
  }
}

function isDue(message: DeliveredMessage, now: number): boolean {
  return !message.scheduledEnqueueTimeUtc || message.scheduledEnqueueTimeUtc.getTime() <= now;
}
