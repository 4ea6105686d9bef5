// The settings of `npm start` besides lib/config.ts's, read from the environment.
import * as z from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));

export const localEnv = z.object({
  PORT: port(3000),
  LOCAL_SQS_PORT: port(9324),
  LOCAL_DYNAMODB_PORT: port(8000),
  IMS_SIM_PORT: port(4010),
  LOCAL_API_KEY: z.string().min(16, 'must have at least 16 characters').optional(),
  LOCAL_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, 'must be a whsec_ secret (whsec_ + base64 of at least 18 bytes)').optional(),
  POLL_INTERVAL_SECONDS: z.coerce.number().positive().max(3600).default(2),
  SIM_JOB_SECONDS: z.coerce.number().min(0).max(86_400).default(5),
  ALLOW_LOOPBACK_WEBHOOKS: flag(true),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  LOCAL_SLACK_TEAM_ID: z.string().min(1).default('T0LOCAL'),
  /** A Mattermost slash-command token that acts for tenant `local` (stored as its hash); none by default. */
  LOCAL_MATTERMOST_TOKEN: z.string().min(8, 'must have at least 8 characters').max(512).optional(),
  /** A JSON file of further tenants, in the shape of the TENANTS setting. */
  LOCAL_TENANTS_FILE: z.string().min(1).optional(),
  /** Tenant `local`'s default webhook URL; `none` for no default. */
  LOCAL_WEBHOOK_URL: z.union([z.literal('none'), z.url({ protocol: /^https?$/ })]).default('http://127.0.0.1:9000/webhook'),
  LOCAL_DATA_DIR: z.string().min(1).default('.local'),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).optional(),
});
