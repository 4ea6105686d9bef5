// `npm run receiver`: a webhook receiver for trying ims-transfer locally. It listens where
// LOCAL_WEBHOOK_URL points (http://127.0.0.1:9000/webhook, npm start's default), verifies every
// delivery with the Standard Webhooks reference library and prints one line for each. It also stands
// in for a chat's response_url: chat posts (Slack or Mattermost JSON, which carry no signature) are
// printed as chat messages, labelled as such, and never taken for verified webhooks.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import * as z from 'zod';
import { credentialsPath, readLocalCredentials } from './credentials.js';

const MAX_BODY_BYTES = 1024 * 1024;

const webhookEvent = z.object({
  type: z.string(),
  data: z.looseObject({
    id: z.string(),
    status: z.string(),
    client_ref: z.string().nullish(),
    image_id: z.string().nullish(),
    error: z.looseObject({ code: z.string().nullish(), message: z.string() }).nullish(),
  }),
});
export type WebhookEvent = z.infer<typeof webhookEvent>;

/** The Standard Webhooks headers: a POST with any of them is a webhook delivery and must verify. */
const WEBHOOK_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];

/** What ims-transfer posts to a response_url or incoming webhook: Slack (blocks) or Mattermost (attachments) JSON. */
const chatPostBody = z.looseObject({
  text: z.string(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  blocks: z.array(z.unknown()).optional(),
  attachments: z.array(z.unknown()).optional(),
});

export interface ReceivedChatPost {
  path: string;
  /** Mattermost when the post has attachments (its shape for cards), else Slack. */
  platform: 'slack' | 'mattermost';
  responseType: 'ephemeral' | 'in_channel' | null;
  /** The message's plain text (the summary both platforms show in notifications). */
  text: string;
}

export interface ReceivedDelivery {
  /** The `webhook-id` header: the event id, the same on every retry. */
  webhookId: string;
  path: string;
  /** The verified event; null when the signature (or the body) did not check out. */
  event: WebhookEvent | null;
  /** Why it was not verified. */
  problem: string | null;
  /** The status it was answered with. */
  status: number;
}

export interface WebhookReceiverOptions {
  port: number;
  host?: string;
  /** The current `whsec_` secret, read for each delivery (npm start may write it after the receiver starts); null when unknown. */
  secret: () => Promise<string | null> | string | null;
  onDelivery?: (delivery: ReceivedDelivery) => void;
  /** A chat post (no Standard Webhooks headers, a chat message's JSON): answered 200, as Slack and Mattermost do. */
  onChatPost?: (post: ReceivedChatPost) => void;
  /** A status to answer instead, without looking at the delivery (a receiver that is down); null to receive. */
  unavailable?: () => number | null;
}

export interface RunningReceiver {
  url: string;
  port: number;
  close(): Promise<void>;
}

function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]])));
}

/** The chat post in a request without webhook headers, or null when it is not one. */
function chatPostOf(body: string, headers: Record<string, string>, path: string): ReceivedChatPost | null {
  if (WEBHOOK_HEADERS.some((h) => h in headers)) return null;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  const post = chatPostBody.safeParse(json);
  if (!post.success) return null;
  return { path, platform: post.data.attachments ? 'mattermost' : 'slack', responseType: post.data.response_type ?? null, text: post.data.text };
}

async function verify(body: string, headers: Record<string, string>, secret: string | null): Promise<Pick<ReceivedDelivery, 'event' | 'problem'>> {
  if (secret === null) return { event: null, problem: 'no webhook secret known' };
  let payload: unknown;
  try {
    // Throws unless webhook-id, webhook-timestamp (within 5 minutes) and one v1 signature check out.
    payload = new Webhook(secret).verify(body, headers);
  } catch (error) {
    return { event: null, problem: (error as Error).message || 'signature does not verify' };
  }
  const event = webhookEvent.safeParse(payload);
  return event.success ? { event: event.data, problem: null } : { event: null, problem: 'signed, but not an ims-transfer event' };
}

/** Answers 204 to each verified delivery and 400 otherwise (so the sender retries, as it would with a real receiver). */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<RunningReceiver> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      void (async () => {
        const headers = headerRecord(req.headers);
        const path = new URL(req.url ?? '/', 'http://receiver').pathname;
        const down = options.unavailable?.() ?? null;
        const body = Buffer.concat(chunks).toString('utf8');
        const chat = down === null && req.method === 'POST' && size <= MAX_BODY_BYTES ? chatPostOf(body, headers, path) : null;
        if (chat) {
          options.onChatPost?.(chat);
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
        }
        const result =
          down !== null
            ? { event: null, problem: `answered ${down}, as if down` }
            : req.method !== 'POST'
              ? { event: null, problem: `${req.method ?? '?'} is not a delivery` }
              : size > MAX_BODY_BYTES
                ? { event: null, problem: 'body over 1 MiB' }
                : await verify(body, headers, await Promise.resolve(options.secret()).catch(() => null));
        const status = down ?? (result.event ? 204 : 400);
        options.onDelivery?.({ webhookId: headers['webhook-id'] ?? '', path, ...result, status });
        res.writeHead(status).end();
      })();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** One line per delivery: time, event type, request id, status (and IMS error or image), verified or why not. */
export function describeDelivery(d: ReceivedDelivery, at = new Date()): string {
  const time = at.toTimeString().slice(0, 8);
  if (!d.event) return `${time}  NOT VERIFIED  webhook-id ${d.webhookId || '(none)'}  ${d.path}: ${d.problem ?? 'unknown problem'}`;
  const r = d.event.data;
  const details = [
    r.client_ref ? `client_ref ${r.client_ref}` : '',
    r.image_id ? `image ${r.image_id}` : '',
    r.error ? `error ${[r.error.code, r.error.message].filter(Boolean).join(' ')}` : '',
  ].filter(Boolean);
  return `${time}  ${d.event.type}  ${r.id}  ${r.status}${details.length ? `  (${details.join(', ')})` : ''}  signature verified`;
}

/** One line per chat post, labelled so it is never mistaken for a verified webhook. */
export function describeChatPost(p: ReceivedChatPost, at = new Date()): string {
  const time = at.toTimeString().slice(0, 8);
  const audience = p.responseType === 'in_channel' ? ', in channel' : p.responseType === 'ephemeral' ? ', ephemeral' : '';
  return `${time}  CHAT MESSAGE (${p.platform}${audience}, unsigned as chat posts are)  ${p.path}: ${p.text.replace(/\s+/g, ' ')}`;
}

async function main(): Promise<void> {
  const env = z
    .object({
      LOCAL_WEBHOOK_URL: z.url({ protocol: /^http$/ }).default('http://127.0.0.1:9000/webhook'),
      LOCAL_WEBHOOK_SECRET: z.string().regex(/^whsec_/, 'must be a whsec_ secret').optional(),
      LOCAL_DATA_DIR: z.string().min(1).default('.local'),
    })
    .safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== '')));
  if (!env.success) {
    process.stderr.write(`npm run receiver: invalid settings: ${env.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}\n`);
    process.exit(1);
  }
  const { LOCAL_WEBHOOK_URL, LOCAL_WEBHOOK_SECRET, LOCAL_DATA_DIR } = env.data;
  const target = new URL(LOCAL_WEBHOOK_URL);
  const dataDir = resolve(LOCAL_DATA_DIR);
  const secretSource = LOCAL_WEBHOOK_SECRET ? 'LOCAL_WEBHOOK_SECRET' : credentialsPath(dataDir);
  const secret = async () => LOCAL_WEBHOOK_SECRET ?? (await readLocalCredentials(dataDir))?.webhook_secret ?? null;

  let receiver: RunningReceiver;
  try {
    receiver = await startWebhookReceiver({
      port: Number(target.port || 80),
      host: target.hostname.replace(/^\[|\]$/g, ''),
      secret,
      onDelivery: (d) => process.stdout.write(`${describeDelivery(d)}\n`),
      onChatPost: (p) => process.stdout.write(`${describeChatPost(p)}\n`),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `npm run receiver: port ${target.port} is already in use; point LOCAL_WEBHOOK_URL (here and for npm start) at a free one\n`
        : `npm run receiver: could not listen on ${target.host}: ${(error as Error).message}\n`,
    );
    process.exit(1);
  }
  const known = await secret().catch((error: unknown) => {
    process.stderr.write(`npm run receiver: ${(error as Error).message}\n`);
    return null;
  });
  process.stdout.write(
    `Webhook receiver on ${receiver.url}${target.pathname} (any path is accepted), verifying webhooks with the secret from ${secretSource}` +
      `${known ? '' : ' (not there yet: start `npm start` once, or set LOCAL_WEBHOOK_SECRET)'}` +
      ` and printing chat posts (a slash command's response_url pointed here). Ctrl-C stops it.\n`,
  );
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
