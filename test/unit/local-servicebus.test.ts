import { describe, expect, it } from 'vitest';
import { LocalServiceBus } from '../../local/servicebus';

function message(id: string, body: unknown = { id }) {
  return { messageId: id, body };
}

describe('the development host queue', () => {
  it('delivers each message once when the handler succeeds', async () => {
    const sut = new LocalServiceBus(10, 60_000);
    const seen: string[] = [];
    sut.subscribe('jobs', async (m) => void seen.push(m.messageId), 4);
    await sut.send('jobs', message('a'));
    await sut.send('jobs', message('b'));
    await sut.idle();
    expect(seen.sort()).toEqual(['a', 'b']);
    expect(sut.stats('jobs')).toMatchObject({ active: 0, completed: 2, deadLettered: 0 });
  });

  it('redelivers a failed message with a rising delivery count', async () => {
    const sut = new LocalServiceBus(10, 60_000);
    const counts: number[] = [];
    sut.subscribe('jobs', async (m) => {
      counts.push(m.deliveryCount);
      if (m.deliveryCount < 3) throw new Error('transient');
    }, 1);
    await sut.send('jobs', message('a'));
    await sut.idle();
    expect(counts).toEqual([1, 2, 3]);
  });

  it('dead-letters after maxDeliveryCount and hands the message to the dead-letter trigger', async () => {
    const sut = new LocalServiceBus(3, 60_000);
    const deadLetters: { reason?: string; body: unknown }[] = [];
    sut.subscribe('jobs', async () => {
      throw new Error('always');
    }, 1);
    sut.subscribe('jobs/$deadletterqueue', async (m) => void deadLetters.push({ reason: m.deadLetterReason, body: m.body }), 1);
    await sut.send('jobs', message('a', { jobId: 'a' }));
    await sut.idle();
    expect(deadLetters).toEqual([{ reason: 'MaxDeliveryCountExceeded', body: { jobId: 'a' } }]);
    expect(sut.stats('jobs')).toMatchObject({ active: 0, completed: 0, deadLettered: 1 });
  });

  it('drops a duplicate message id inside the detection window', async () => {
    const sut = new LocalServiceBus(10, 60_000);
    let deliveries = 0;
    sut.subscribe('jobs', async () => void deliveries++, 1);
    await sut.send('jobs', message('same'));
    await sut.send('jobs', message('same'));
    await sut.idle();
    expect(deliveries).toBe(1);
  });

  it('holds a scheduled message until its time', async () => {
    const sut = new LocalServiceBus(10, 60_000);
    const deliveredAt: number[] = [];
    sut.subscribe('jobs', async () => void deliveredAt.push(Date.now()), 1);
    const sentAt = Date.now();
    await sut.send('jobs', { ...message('later'), scheduledEnqueueTimeUtc: new Date(sentAt + 300) });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(deliveredAt[0]).toBeGreaterThanOrEqual(sentAt + 290);
  });

  it('never runs more handlers at once than maxConcurrentCalls', async () => {
    const sut = new LocalServiceBus(10, 60_000);
    let running = 0;
    let peak = 0;
    sut.subscribe('jobs', async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
    }, 3);
    await Promise.all(Array.from({ length: 20 }, (_, i) => sut.send('jobs', message(`m${i}`))));
    await sut.idle();
    expect(peak).toBe(3);
  });
});
