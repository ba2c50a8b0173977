import { randomUUID } from 'node:crypto';
import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusReceiver } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeQueueSender, queueSender } from '../../shared/azure/queue';
import { config } from '../../shared/config';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runInferenceJob } from '../../shared/inference/inference.job';
import { parseIrisCsv, trainIris } from '../../shared/inference/models/iris.model';
import { useIrisParameters } from '../../shared/inference/runtime/builtin.runtime';
import { findJob, submitJob } from '../../shared/jobs/job.service';
import { handlersOf } from '../../shared/jobs/job.handlers';
import { processJobMessage } from '../../shared/jobs/job.worker';
import { inferencePayload } from '../support/job-payloads';
import { AmqpPeer } from '../support/amqp-peer';
import { useStackSettings } from '../support/stack-env';

/**
 * The Service Bus path for real: the app's sender (shared/azure/queue.ts, `@azure/service-bus` with a
 * connection string) and the SDK's own receiver, against an AMQP 1.0 peer on loopback. Proves the
 * message the `jobsWorker` trigger reads: message id = job id, JSON content type, body `{ jobId, kind }`.
 */
let peer: AmqpPeer;
let client: ServiceBusClient;
const QUEUE = 'jobs';

beforeAll(async () => {
  peer = await AmqpPeer.start({ sharedAccessKeyName: 'app', sharedAccessKey: 'not-a-real-key', maxDeliveryCount: 4, lockDurationMs: 20_000 });
  useStackSettings({ SERVICEBUS: peer.connectionString, JOBS_QUEUE: QUEUE });
  await disposeQueueSender();
  client = new ServiceBusClient(peer.connectionString, { retryOptions: { maxRetries: 1, retryDelayInMs: 50, timeoutInMs: 10_000 } });
});

afterAll(async () => {
  await disposeQueueSender();
  await client?.close();
  await peer?.stop();
});

async function receiveOne(receiver: ServiceBusReceiver, maxWaitTimeInMs = 5_000): Promise<ServiceBusReceivedMessage> {
  const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs });
  if (!message) throw new Error('no message arrived');
  return message;
}

async function submitted(): Promise<string> {
  const job = await submitJob({ kind: 'inference.run', owner: `owner-${randomUUID()}`, input: inferencePayload() });
  return job.id;
}

describe('the Service Bus sender (shared/azure/queue.ts) and the SDK receiver', () => {
  it('uses the connection string: Service Bus, not the development host', () => {
    expect(config().serviceBus.kind).toBe('connectionString');
  });

  it('sends a job message whose id is the job id, as JSON { jobId, kind }, after claims-based auth', async () => {
    const jobId = await submitted();
    expect((await findJob(jobId))?.status).toBe('queued');
    expect(peer.audiences).toContain(`sb://127.0.0.1:${peer.port}/${QUEUE}`);
    const receiver = client.createReceiver(QUEUE);
    try {
      const sut = await receiveOne(receiver);
      expect(sut.messageId).toBe(jobId);
      expect(sut.contentType).toBe('application/json');
      expect(sut.body).toEqual({ jobId, kind: 'inference.run' });
      expect(sut.deliveryCount).toBe(0);
      expect(sut.sequenceNumber?.toNumber()).toBeGreaterThan(0);
      expect(sut.lockedUntilUtc?.getTime()).toBeGreaterThan(Date.now());
      await receiver.completeMessage(sut);
      expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
      expect(peer.waiting(QUEUE)).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('redelivers an abandoned message with its delivery count one higher', async () => {
    const jobId = await submitted();
    const receiver = client.createReceiver(QUEUE);
    try {
      const first = await receiveOne(receiver);
      expect(first.messageId).toBe(jobId);
      await receiver.abandonMessage(first);
      const second = await receiveOne(receiver);
      expect(second.messageId).toBe(jobId);
      expect(second.deliveryCount).toBe((first.deliveryCount ?? 0) + 1);
      await receiver.completeMessage(second);
    } finally {
      await receiver.close();
    }
  });

  it('moves a dead-lettered message to the $deadletterqueue sub-queue with its reason', async () => {
    const jobId = await submitted();
    const receiver = client.createReceiver(QUEUE);
    const deadLetters = client.createReceiver(QUEUE, { subQueueType: 'deadLetter' });
    try {
      const message = await receiveOne(receiver);
      await receiver.deadLetterMessage(message, { deadLetterReason: 'BadJob', deadLetterErrorDescription: 'the job cannot run' });
      expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
      const sut = await receiveOne(deadLetters);
      expect(sut).toMatchObject({ messageId: jobId, deadLetterReason: 'BadJob', deadLetterErrorDescription: 'the job cannot run', deadLetterSource: QUEUE });
      expect(sut.body).toEqual({ jobId, kind: 'inference.run' });
      await deadLetters.completeMessage(sut);
      expect(peer.waiting(`${QUEUE}/$DeadLetterQueue`)).toEqual([]);
    } finally {
      await receiver.close();
      await deadLetters.close();
    }
  });

  it('dead-letters a message abandoned maxDeliveryCount times with MaxDeliveryCountExceeded', async () => {
    const jobId = await submitted();
    const receiver = client.createReceiver(QUEUE);
    const deadLetters = client.createReceiver(`${QUEUE}/$deadletterqueue`);
    try {
      for (let delivery = 0; delivery < 4; delivery++) {
        const message = await receiveOne(receiver);
        expect(message.deliveryCount).toBe(delivery);
        await receiver.abandonMessage(message);
      }
      const sut = await receiveOne(deadLetters);
      expect(sut).toMatchObject({ messageId: jobId, deadLetterReason: 'MaxDeliveryCountExceeded' });
      await deadLetters.completeMessage(sut);
    } finally {
      await receiver.close();
      await deadLetters.close();
    }
  });

  it('renews a message lock through the $management node', async () => {
    await submitted();
    const receiver = client.createReceiver(QUEUE, { maxAutoLockRenewalDurationInMs: 0 });
    try {
      const message = await receiveOne(receiver);
      const before = message.lockedUntilUtc?.getTime() ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const renewed = await receiver.renewMessageLock(message);
      expect(renewed.getTime()).toBeGreaterThan(before);
      expect(peer.operations).toContain('com.microsoft:renew-lock');
      await receiver.completeMessage(message);
    } finally {
      await receiver.close();
    }
  });

  it('checks the queue by peeking, and holds a scheduled message until it is due', async () => {
    await expect(queueSender().check(QUEUE)).resolves.toBeUndefined();
    expect(peer.operations).toContain('com.microsoft:peek-message');
    const messageId = randomUUID();
    const due = new Date(Date.now() + 1_000);
    await queueSender().send(QUEUE, { messageId, body: { jobId: messageId, kind: 'webhook.deliver', part: { attempt: 2 } }, scheduledEnqueueTimeUtc: due });
    const receiver = client.createReceiver(QUEUE);
    try {
      expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
      const sut = await receiveOne(receiver, 5_000);
      expect(Date.now()).toBeGreaterThanOrEqual(due.getTime() - 50);
      expect(sut).toMatchObject({ messageId, body: { jobId: messageId, kind: 'webhook.deliver', part: { attempt: 2 } } });
      await receiver.completeMessage(sut);
    } finally {
      await receiver.close();
    }
  });

  it('drops a message re-sent with the same id (duplicate detection), as the job framework relies on', async () => {
    const messageId = randomUUID();
    await queueSender().send(QUEUE, { messageId, body: { jobId: messageId, kind: 'inference.run' } });
    await queueSender().send(QUEUE, { messageId, body: { jobId: messageId, kind: 'inference.run' } });
    expect(peer.waiting(QUEUE).filter((m) => m.message.message_id === messageId)).toHaveLength(1);
    const receiver = client.createReceiver(QUEUE);
    try {
      await receiver.completeMessage(await receiveOne(receiver));
    } finally {
      await receiver.close();
    }
  });

  it('carries a job a worker reading with the SDK runs to success, then completes', async () => {
    // The worker side of the trigger: the body as the SDK decodes it, the delivery count 1-based as the host reports it.
    const csv = readFileSync(path.resolve(__dirname, '../../local/seed/data/iris.csv'), 'utf8');
    useIrisParameters(trainIris(parseIrisCsv(csv), { file: 'iris.csv', sha256: '' }));
    const job = await submitJob({
      kind: 'inference.run',
      owner: `owner-${randomUUID()}`,
      input: {
        model: { id: 'iris-classifier', version: 'test', runtime: { kind: 'builtin', name: 'iris-classifier' } },
        input: { sepal_length: 6.3, sepal_width: 3.3, petal_length: 6.0, petal_width: 2.5 },
      },
    });
    const receiver = client.createReceiver(QUEUE);
    try {
      const message = await receiveOne(receiver);
      expect(message.messageId).toBe(job.id);
      const handlers = handlersOf({ 'inference.run': runInferenceJob });
      await processJobMessage(message.body, { messageId: String(message.messageId), deliveryCount: (message.deliveryCount ?? 0) + 1, maxDeliveryCount: 10 }, handlers, () => {});
      await receiver.completeMessage(message);
      expect(await findJob(job.id)).toMatchObject({ status: 'succeeded', attempts: 1, result: { species: 'virginica' } });
      expect(peer.waiting(QUEUE)).toEqual([]);
      expect(peer.locked(QUEUE)).toEqual([]);
    } finally {
      useIrisParameters(undefined);
      await receiver.close();
    }
  });

  it('refuses a sender whose SAS key is wrong', async () => {
    const wrong = new ServiceBusClient(peer.connectionString.replace('SharedAccessKey=not-a-real-key', 'SharedAccessKey=wrong'), {
      retryOptions: { maxRetries: 0, timeoutInMs: 5_000 },
    });
    try {
      await expect(wrong.createSender(QUEUE).sendMessages({ body: 'x' })).rejects.toThrow();
    } finally {
      await wrong.close();
    }
  });
});
