import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntakeQueueError, MAX_MESSAGE_BYTES, createIntakeQueue } from '../../lib/queue/intake.js';
import { startLocalServices } from '../../local/services.js';
import { occupyPort, startTestServices } from '../helpers/services.js';

type TestServices = Awaited<ReturnType<typeof startTestServices>>;

describe('intake queue', () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await startTestServices({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
  });
  afterAll(async () => {
    await t?.services.stop();
  });

  async function receive(queueUrl: string, waitSeconds = 0) {
    const res = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
    );
    return res.Messages ?? [];
  }

  async function drain(queueUrl: string): Promise<void> {
    for (const message of await receive(queueUrl)) {
      await t.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }

  it('delivers a sent body as the same JSON under the id send reported', async () => {
    const body = { kind: 'export', tenant: 'acme', request: { image_id: 'x', note: 'grüße' } };
    const sent = await t.queue.send(body);
    if (sent instanceof IntakeQueueError) throw sent;

    const [message, ...rest] = await receive(t.services.queueUrl, 1);
    expect(rest).toEqual([]);
    expect(message?.MessageId).toBe(sent.messageId);
    expect(JSON.parse(message?.Body ?? 'null')).toEqual(body);
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: t.services.queueUrl, ReceiptHandle: message?.ReceiptHandle }));
  });

  it('redelivers an undeleted message after its visibility timeout and moves it to the DLQ after maxReceiveCount', async () => {
    await drain(t.services.queueUrl);
    const sent = await t.queue.send({ poison: true });
    if (sent instanceof IntakeQueueError) throw sent;

    const [first] = await receive(t.services.queueUrl, 1);
    expect(first?.MessageId).toBe(sent.messageId);
    // Not deleted: it comes back once the 1 s visibility timeout lapses.
    const [second] = await receive(t.services.queueUrl, 3);
    expect(second?.MessageId).toBe(sent.messageId);

    // Making it visible at once ends the second receive; the third would exceed maxReceiveCount.
    await t.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: t.services.queueUrl, ReceiptHandle: second?.ReceiptHandle, VisibilityTimeout: 0 }));
    expect(await receive(t.services.queueUrl)).toEqual([]);
    const [dead] = await receive(t.services.dlqUrl, 1);
    expect(dead?.MessageId).toBe(sent.messageId);
    expect(JSON.parse(dead?.Body ?? 'null')).toEqual({ poison: true });
  });

  it('refuses a body over 256 KiB without sending it, and sends one of exactly 256 KiB', async () => {
    await drain(t.services.queueUrl);
    const overhead = JSON.stringify({ pad: '' }).length;
    const tooLarge = await t.queue.send({ pad: 'x'.repeat(MAX_MESSAGE_BYTES - overhead + 1) });
    expect(tooLarge).toBeInstanceOf(IntakeQueueError);
    expect((tooLarge as IntakeQueueError).kind).toBe('too-large');
    expect(await receive(t.services.queueUrl)).toEqual([]);

    const atLimit = await t.queue.send({ pad: 'x'.repeat(MAX_MESSAGE_BYTES - overhead) });
    expect(atLimit).not.toBeInstanceOf(IntakeQueueError);
    await drain(t.services.queueUrl);
  });

  it('counts multi-byte characters in bytes, not characters, against the limit', async () => {
    const overhead = JSON.stringify({ pad: '' }).length;
    const result = await t.queue.send({ pad: 'ü'.repeat((MAX_MESSAGE_BYTES - overhead) / 2 + 1) });
    expect((result as IntakeQueueError).kind).toBe('too-large');
  });

  it('refuses a body that has no JSON form', async () => {
    const result = await t.queue.send(10n);
    expect((result as IntakeQueueError).kind).toBe('not-json');
  });

  it('throws a send SQS refuses (an unknown queue) as an unavailable error', async () => {
    const bad = createIntakeQueue({ client: t.sqs, queueUrl: `${t.services.sqsEndpoint}/000000000000/no-such-queue` });
    await expect(bad.send({})).rejects.toMatchObject({ kind: 'unavailable' });
  });
});

describe('local services', () => {
  it('names the SQS port when it is already in use', async () => {
    const blocker = await occupyPort('0.0.0.0');
    try {
      await expect(startLocalServices({ sqsPort: blocker.port })).rejects.toThrow(`port ${blocker.port} is already in use`);
    } finally {
      await blocker.release();
    }
  });
});
