// The intake floor: an HTTP API handler that does intake's I/O (one conditional put of the record,
// one message to the intake queue) and nothing else: no validation, no auth, no rate limit, no
// middleware. Its clients are built at import, as a composition root builds them on first use.
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { documentClient, queueClient } from './aws.js';

const db = documentClient();
const sqs = queueClient();

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const params = JSON.parse(event.body ?? '{}') as Record<string, unknown>;
  const id = `req_${randomUUID()}`;
  const at = new Date().toISOString();
  // About the record intake stores (same attributes, keys and index keys), so the put costs the same.
  const record = {
    pk: `REQ#${id}`,
    sk: 'REQ',
    tenant_pk: 'TENANT#bench',
    tenant_sk: `${at}#${id}`,
    id,
    kind: 'export',
    status: 'queued',
    tenant: 'bench',
    client_ref: null,
    params,
    region: 'eu-de',
    project_id: '0123456789abcdef0123456789abcdef',
    ims_job_id: null,
    image_id: null,
    progress: null,
    error: null,
    attempts: 0,
    parent_id: null,
    child_id: null,
    created_at: at,
    submitted_at: null,
    updated_at: at,
    completed_at: null,
    next_check_at: null,
    // A queued record is in the sparse due index (the poller re-enqueues what the worker lost).
    due_pk: 'DUE#0',
    due_sk: `${at}#${id}`,
    webhook: { status: 'none', attempts: 0 },
    internal: { version: 0, body_hash: id, callback_url: null, lease_until: null, submit_uncertain: false, webhook_event_id: null, webhook_next_at: null, chat: null },
  };
  await db.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: record, ConditionExpression: 'attribute_not_exists(pk)' }));
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.INTAKE_QUEUE_URL, MessageBody: JSON.stringify({ id }) }));
  return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) };
}
