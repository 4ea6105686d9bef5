// Tenant `local`'s credentials for `npm start`, kept in <LOCAL_DATA_DIR>/credentials.json (mode 0600)
// beside the data they go with, so the key and secrets stay the same across restarts.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { newApiKey, newWebhookSecret } from '../lib/tenants.js';

export const CREDENTIALS_FILE = 'credentials.json';

const credentialsSchema = z.object({
  api_key: z.string().min(16),
  webhook_secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{24,}$/),
  slack_signing_secret: z.string().min(16),
});
export type LocalCredentials = z.infer<typeof credentialsSchema>;

export function credentialsPath(dataDir: string): string {
  return join(dataDir, CREDENTIALS_FILE);
}

/** The stored credentials, or null when there are none yet; a damaged file is an error naming the file (never its content). */
export async function readLocalCredentials(dataDir: string): Promise<LocalCredentials | null> {
  const path = credentialsPath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path} is damaged (expected api_key, webhook_secret and slack_signing_secret); delete it to make new credentials`);
  return parsed.data;
}

/** The stored credentials, made and stored on first use. */
export async function loadOrCreateLocalCredentials(dataDir: string): Promise<{ credentials: LocalCredentials; created: boolean }> {
  const existing = await readLocalCredentials(dataDir);
  const path = credentialsPath(dataDir);
  if (existing) {
    // Older files or a copy may be readable by others; the key and secrets are for this user only.
    await chmod(path, 0o600);
    return { credentials: existing, created: false };
  }
  const credentials: LocalCredentials = {
    api_key: newApiKey(),
    webhook_secret: newWebhookSecret(),
    slack_signing_secret: randomBytes(32).toString('hex'),
  };
  await mkdir(dataDir, { recursive: true });
  try {
    // `wx`: two stacks starting at once on one data directory must not each write their own.
    await writeFile(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readLocalCredentials(dataDir);
    if (!winner) throw error;
    return { credentials: winner, created: false };
  }
  return { credentials, created: true };
}
