import { beforeAll } from 'vitest';
import { type OutgoingMessage, provideDevelopmentHostQueue } from '../../shared/azure/queue';
import { useStackSettings } from './stack-env';

/**
 * For integration tests that drive the job worker themselves: before the file's tests, points the
 * SDKs at the stack and gives the services a queue that captures what they send instead of
 * delivering it (each test plays the queue). Call once at the top of the file; the array fills as
 * jobs are submitted. `refuse` makes a send fail while it answers true (the queue is down).
 *
 * @example const sent = captureJobMessages();
 */
export function captureJobMessages(options: { refuse?: () => boolean } = {}): OutgoingMessage[] {
  const sent: OutgoingMessage[] = [];
  beforeAll(() => {
    useStackSettings();
    provideDevelopmentHostQueue({
      async send(_queue, message) {
        if (options.refuse?.()) throw new Error('queue down');
        sent.push(message);
      },
      async check() {},
    });
  });
  return sent;
}
