// The worker's and the poller's floor: builds the clients those functions have (DynamoDB document
// client, SQS client, an undici Agent for outbound HTTPS) at import, and does nothing else.
import { Agent } from 'undici';
import { documentClient, queueClient } from './aws.js';

const clients = { db: documentClient(), sqs: queueClient(), agent: new Agent({ connect: { timeout: 5_000 } }) };

export async function handler(): Promise<{ batchItemFailures: [] }> {
  void clients;
  return { batchItemFailures: [] };
}
