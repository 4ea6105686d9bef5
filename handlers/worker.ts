// worker: takes intake-queue batches (SQS event source mapping with ReportBatchItemFailures)
// and submits each request to IMS exactly once.
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logInvocation, logger } from '../lib/log.js';
import { processIntakeMessage, type WorkerDeps } from '../lib/requests/worker.js';
import { workerDeps } from '../lib/runtime/jobs.js';

export function createWorkerHandler(deps: () => WorkerDeps | Promise<WorkerDeps>) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(logInvocation())
    .handler(async (event) => {
      const resolved = await deps();
      const outcomes = await Promise.all(
        event.Records.map(async (message) => {
          try {
            return await processIntakeMessage(message.body, message.messageId, resolved);
          } catch (error) {
            logger.error('message failed; it will be redelivered', { messageId: message.messageId, error: (error as Error).message });
            return 'retry' as const;
          }
        }),
      );
      // Only the failed messages return to the queue; the rest are deleted by Lambda.
      return {
        batchItemFailures: event.Records.filter((_, i) => outcomes[i] === 'retry').map((m) => ({ itemIdentifier: m.messageId })),
      };
    });
}

export const handler = createWorkerHandler(workerDeps);
