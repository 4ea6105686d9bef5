// The intake queue as the rest of the code needs it: send a JSON message.
// A body that cannot be sent comes back as an IntakeQueueError value; a failing SQS is thrown as kind 'unavailable'.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const MAX_MESSAGE_BYTES = 256 * 1024;
export const MAX_DELAY_SECONDS = 900;

export type IntakeQueueErrorKind = 'too-large' | 'not-json' | 'unavailable';

export class IntakeQueueError extends Error {
  override readonly name = 'IntakeQueueError';
  constructor(
    readonly kind: IntakeQueueErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface IntakeQueue {
  /** Sends `body` as JSON; delaySeconds is capped at SQS's 900 s. */
  send(body: unknown, options?: { delaySeconds?: number }): Promise<{ messageId: string } | IntakeQueueError>;
}

export function createIntakeQueue({ client, queueUrl }: { client: SQSClient; queueUrl: string }): IntakeQueue {
  async function send(body: unknown, options: { delaySeconds?: number } = {}): Promise<{ messageId: string } | IntakeQueueError> {
    const json = toJson(body);
    if (json === null) return new IntakeQueueError('not-json', 'message body is not JSON-serialisable');
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_MESSAGE_BYTES) {
      return new IntakeQueueError('too-large', `message body is ${bytes} bytes; SQS takes at most ${MAX_MESSAGE_BYTES}`);
    }
    const res = await callSqs('SendMessage', () =>
      client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: json,
          DelaySeconds: clampSeconds(options.delaySeconds ?? 0, MAX_DELAY_SECONDS),
        }),
      ),
    );
    if (!res.MessageId) throw new IntakeQueueError('unavailable', 'SQS SendMessage answered without a MessageId');
    return { messageId: res.MessageId };
  }

  return { send };
}

function toJson(body: unknown): string | null {
  try {
    return JSON.stringify(body) ?? null;
  } catch {
    return null;
  }
}

function clampSeconds(seconds: number, max: number): number {
  if (Number.isNaN(seconds)) return 0;
  return Math.min(max, Math.max(0, Math.floor(seconds)));
}

async function callSqs<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const name = err instanceof Error ? err.name : 'unknown error';
    throw new IntakeQueueError('unavailable', `SQS ${what} failed: ${name}`, { cause: err });
  }
}
