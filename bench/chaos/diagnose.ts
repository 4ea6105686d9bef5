// Why a crash run left requests open, in its own words: for each open request its whole stored
// record (the internal bookkeeping included: lease, version, flags), what IMS (the simulator) shows
// of its job, image or object, and the stack's log lines that name it; then the queues and the
// run's timeline. Read straight from the stand-ins, since the API shows no internals.
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { request } from 'undici';
import { dynamoDocumentClient, sqsClient } from '../../lib/aws.js';
import { BY_TENANT_INDEX, DUE_INDEX, dueShard, requestPk, REQUEST_SK, tenantPk } from '../../lib/store/table.js';
import { imsToken, jobStatus, listImages, writtenObjects, type ApiRecord } from './harness.js';

/** Where the running stack's stand-ins listen, as `npm start` printed them. */
export interface StackEndpoints {
  simUrl: string;
  sqsEndpoint: string;
  dynamoEndpoint: string;
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
}

const REGION = 'eu-central-1';

async function queueDepths(sqsEndpoint: string, queueUrl: string): Promise<string> {
  const sqs = sqsClient({ endpoint: sqsEndpoint, region: REGION });
  const got = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = got.Attributes ?? {};
  return `${a.ApproximateNumberOfMessages ?? '?'} visible, ${a.ApproximateNumberOfMessagesNotVisible ?? '?'} in flight, ${a.ApproximateNumberOfMessagesDelayed ?? '?'} delayed`;
}

async function simCalls(simUrl: string): Promise<{ method: string; path: string; body: unknown; time: string }[]> {
  const res = await request(`${simUrl}/_sim/calls`);
  const body = (await res.body.json()) as unknown;
  return Array.isArray(body) ? (body as { method: string; path: string; body: unknown; time: string }[]) : [];
}

type Item = Record<string, unknown>;

/** Every item of one index partition (the crash run's table is small). */
async function indexItems(db: DynamoDBDocumentClient, tableName: string, index: string, keyName: string, key: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await db.send(
      new QueryCommand({ TableName: tableName, IndexName: index, KeyConditionExpression: '#k = :k', ExpressionAttributeNames: { '#k': keyName }, ExpressionAttributeValues: { ':k': key }, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** An item as the diagnosis compares its copies: version, status, next check, due key. */
const brief = (item: Item | undefined): string => {
  if (!item) return 'none';
  const internal = item.internal as { version?: number } | undefined;
  return `v${internal?.version ?? '?'} ${String(item.status)} next ${String(item.next_check_at)} due_sk ${String(item.due_sk ?? '(none)')}`;
};

const settle = async <T>(what: string, p: Promise<T>): Promise<T | string> => p.catch((error: unknown) => `(${what} unreadable: ${(error as Error).message})`);

/** Lines explaining every record in `open`; `log` is the stack's log (all its lives), `timeline` the run's own events. */
export async function diagnoseOpen(stack: StackEndpoints, open: ApiRecord[], log: readonly string[], timeline: readonly string[]): Promise<string[]> {
  const lines: string[] = [`diagnosis at ${new Date().toISOString()}: ${open.length} request(s) open`];
  const db = dynamoDocumentClient({ endpoint: stack.dynamoEndpoint, region: REGION });
  const token = await settle('IMS token', imsToken(stack.simUrl));
  const images = typeof token === 'string' && !token.startsWith('(') ? await settle('image list', listImages(stack.simUrl, token)) : token;
  const objects = await settle('objects', writtenObjects(stack.simUrl));
  // Calls since the last restart only: the simulator keeps its state, not its call log.
  const calls = await settle('call log', simCalls(stack.simUrl));
  for (const r of open) {
    lines.push(`-- ${r.id} (${r.kind}, ${r.status})`);
    const stored = await settle('record', db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: requestPk(r.id), sk: REQUEST_SK }, ConsistentRead: true })));
    lines.push(`   stored: ${typeof stored === 'string' ? stored : JSON.stringify(stored.Item ?? null)}`);
    // The indexes are kept apart from the item (dynalite writes them one by one): a kill between the writes shows here.
    const dueCopies = await settle('due index', indexItems(db, stack.tableName, DUE_INDEX, 'due_pk', dueShard(r.id)));
    const tenantCopies = await settle('by_tenant index', indexItems(db, stack.tableName, BY_TENANT_INDEX, 'tenant_pk', tenantPk('local') /* the crash run's one tenant */));
    const mine = (items: Item[] | string) => (typeof items === 'string' ? items : items.filter((i) => i.pk === requestPk(r.id)).map(brief).join(' | ') || 'none');
    lines.push(`   item ${typeof stored === 'string' ? stored : brief(stored.Item)}; due index: ${mine(dueCopies)}; by_tenant index: ${mine(tenantCopies)}`);
    if (r.ims_job_id && typeof token === 'string' && !token.startsWith('(')) lines.push(`   IMS job ${r.ims_job_id}: ${await settle('job', jobStatus(stack.simUrl, token, r.ims_job_id))}`);
    const name = typeof r.params.name === 'string' ? r.params.name : null;
    if (name && Array.isArray(images)) {
      const made = images.filter((i) => i.name === name);
      lines.push(`   IMS images named ${name}: ${made.length ? made.map((i) => `${i.id} ${i.status}`).join(', ') : 'none'}`);
    }
    const target = typeof r.params.bucket_url === 'string' ? r.params.bucket_url : null;
    if (r.kind === 'export' && target && objects instanceof Set) lines.push(`   OBS object ${target}: ${objects.has(target) ? 'complete' : 'absent'}`);
    if (Array.isArray(calls)) {
      const about = calls.filter((c) => (r.ims_job_id && c.path.includes(r.ims_job_id)) || (name && JSON.stringify(c.body ?? '').includes(JSON.stringify(name))) || (target && c.path.endsWith(`/${target.split(':')[1] ?? '\0'}`)));
      lines.push(`   IMS/OBS calls about it since the last start: ${about.length}${about.length ? ` (${about.slice(-6).map((c) => `${c.time.slice(11, 23)} ${c.method} ${c.path.slice(0, 60)}`).join('; ')})` : ''}`);
    }
    const mentions = log.filter((l) => l.includes(r.id));
    lines.push(`   log lines naming it: ${mentions.length}`, ...mentions.slice(-15).map((l) => `     ${l}`));
  }
  lines.push(`intake queue: ${await settle('queue', queueDepths(stack.sqsEndpoint, stack.queueUrl))}`);
  lines.push(`DLQ: ${await settle('DLQ', queueDepths(stack.sqsEndpoint, stack.dlqUrl))}`);
  lines.push('timeline:', ...timeline.map((t) => `  ${t}`));
  const loud = log.filter((l) => /\b(WARN|ERROR|CRITICAL)\b/.test(l));
  lines.push(`stack warnings and errors: ${loud.length}`, ...loud.slice(-30).map((l) => `  ${l}`));
  const polls = log.filter((l) => l.includes('poller done'));
  lines.push(`poller invocations logged: ${polls.length}; last: ${polls.slice(-3).join(' | ') || 'none'}`);
  return lines;
}
