// A local stand-in for Lambda's SQS event source mapping: long-poll the queue, hand the handler a
// real SQSEvent, delete what it did not report as failed; the rest reappears after the visibility
// timeout and, after maxReceiveCount receives, the queue itself moves it to the DLQ.
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { lambdaContext } from './http-gateway.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface SqsRunnerOptions {
  client: SQSClient;
  queueUrl: string;
  region: string;
  handler: SqsHandler;
  /** Lambda's batch size; SQS hands out at most 10 per receive. */
  batchSize?: number;
  /** Long-poll wait; stop() aborts it, so a long wait does not slow shutdown. */
  waitTimeSeconds?: number;
  functionName?: string;
  /** The function's timeout, as its context reports it. */
  timeoutMs?: number;
  /** Receive, handler and delete failures; the loop keeps going after each. */
  onError?: (error: unknown) => void;
}

export interface SqsRunner {
  stop(): Promise<void>;
}

/** Which messages of a batch to delete, as Lambda decides it from the handler's outcome. */
export function messagesToDelete(
  records: readonly Pick<SQSRecord, 'messageId'>[],
  outcome: { threw: true } | { threw: false; response: SQSBatchResponse | void },
): string[] {
  if (outcome.threw) return [];
  const failures = outcome.response?.batchItemFailures ?? [];
  const ids = new Set(records.map((r) => r.messageId));
  // An empty or unknown itemIdentifier makes Lambda treat the whole batch as failed.
  if (failures.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier))) return [];
  const failed = new Set(failures.map((f) => f.itemIdentifier));
  return records.map((r) => r.messageId).filter((id) => !failed.has(id));
}

function lambdaMessageAttributes(attrs: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(attrs ?? {})) {
    out[name] = {
      dataType: (v.DataType ?? 'String') as SQSMessageAttributes[string]['dataType'],
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  return out;
}

export function sqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const a = message.Attributes ?? {};
  const now = String(Date.now());
  const attributes: SQSRecordAttributes = {
    ...(a as Partial<SQSRecordAttributes>),
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? now,
    SenderId: a.SenderId ?? '000000000000',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? now,
  };
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: lambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export async function startSqsRunner(options: SqsRunnerOptions): Promise<SqsRunner> {
  const { client, queueUrl, region, handler } = options;
  const batchSize = Math.min(10, Math.max(1, options.batchSize ?? 10));
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const functionName = options.functionName ?? 'worker';
  const onError = options.onError ?? (() => undefined);

  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn;
  if (!queueArn) throw new Error(`the queue ${queueUrl} reported no ARN`);

  const abort = new AbortController();
  let pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      pause = { timer: setTimeout(resolve, ms), resolve };
    });

  async function runBatch(messages: Message[]): Promise<void> {
    const records = messages.map((m) => sqsRecord(m, queueArn as string, region));
    let outcome: Parameters<typeof messagesToDelete>[1];
    try {
      outcome = { threw: false, response: await handler({ Records: records }, lambdaContext(functionName, options.timeoutMs)) };
    } catch (error) {
      onError(error);
      outcome = { threw: true };
    }
    const ids = new Set(messagesToDelete(records, outcome));
    const entries = records.filter((r) => ids.has(r.messageId)).map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle }));
    if (entries.length === 0) return;
    const out = await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    if (out.Failed?.length) onError(new Error(`could not delete ${out.Failed.length} processed message(s): ${out.Failed.map((f) => f.Code).join(', ')}`));
  }

  async function loop(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        const got = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        if (got.Messages?.length) await runBatch(got.Messages);
      } catch (error) {
        if (abort.signal.aborted) return;
        onError(error);
        // A dead endpoint would otherwise spin; Lambda's pollers back off too.
        await wait(1_000);
      }
    }
  }

  const running = loop();
  return {
    stop: async () => {
      abort.abort();
      if (pause) {
        clearTimeout(pause.timer);
        pause.resolve();
      }
      await running;
    },
  };
}
