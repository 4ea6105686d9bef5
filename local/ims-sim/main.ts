// `npm run sim`: the IMS simulator alone on IMS_SIM_PORT, configured from the environment.
import * as z from 'zod';
import { SIM_DEFAULTS } from './defaults.js';
import { simAccountSchema, startImsSimulator } from './server.js';

/** IMS_SIM_EXTRA_CREDENTIALS: a JSON array of accounts, each with its own projects. */
const extraCredentials = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(simAccountSchema));

const simEnv = z.object({
  IMS_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  IMS_SIM_AK: z.string().min(1).default(SIM_DEFAULTS.ak),
  IMS_SIM_SK: z.string().min(1).default(SIM_DEFAULTS.sk),
  IMS_SIM_DOMAIN: z.string().min(1).default(SIM_DEFAULTS.domain),
  IMS_SIM_USER: z.string().min(1).default(SIM_DEFAULTS.user),
  IMS_SIM_PASSWORD: z.string().min(1).default(SIM_DEFAULTS.password),
  IMS_SIM_PROJECT_ID: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex characters, like an IAM project id')
    .default(SIM_DEFAULTS.projectId),
  SIM_JOB_SECONDS: z.coerce.number().min(0).max(86_400).default(5),
  IMS_SIM_EXTRA_CREDENTIALS: extraCredentials.optional(),
  IMS_SIM_STATE_DIR: z.string().min(1).optional(),
  IMS_SIM_UNIQUE_NAMES: z.enum(['true', 'false']).default('false'),
});

// Empty variables count as unset, as shells often export them empty.
const present = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
const parsed = simEnv.safeParse(present);
if (!parsed.success) {
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  process.stderr.write(`ims-sim: invalid environment: ${problems}\n`);
  process.exit(1);
}
const env = parsed.data;

try {
  const sim = await startImsSimulator({
    port: env.IMS_SIM_PORT,
    jobMs: env.SIM_JOB_SECONDS * 1000,
    credentials: {
      ak: env.IMS_SIM_AK,
      sk: env.IMS_SIM_SK,
      domain: env.IMS_SIM_DOMAIN,
      user: env.IMS_SIM_USER,
      password: env.IMS_SIM_PASSWORD,
      projectId: env.IMS_SIM_PROJECT_ID,
    },
    ...(env.IMS_SIM_EXTRA_CREDENTIALS ? { extraCredentials: env.IMS_SIM_EXTRA_CREDENTIALS } : {}),
    ...(env.IMS_SIM_STATE_DIR ? { stateDir: env.IMS_SIM_STATE_DIR } : {}),
    uniqueImageNames: env.IMS_SIM_UNIQUE_NAMES === 'true',
  });
  const extra = env.IMS_SIM_EXTRA_CREDENTIALS?.length ?? 0;
  process.stdout.write(
    `IMS simulator on ${sim.url} (IAM ${sim.url}/v3/auth/tokens; project ${env.IMS_SIM_PROJECT_ID}, ` +
      `region ${SIM_DEFAULTS.region}, user ${env.IMS_SIM_USER}@${env.IMS_SIM_DOMAIN}, AK ${env.IMS_SIM_AK}; ` +
      `jobs take ${env.SIM_JOB_SECONDS}s${extra ? `; ${extra} more account(s)` : ''}). ` +
      `OBS (path-style, SigV4) on ${sim.obsUrl}/{bucket}/{key}. ` +
      `${env.IMS_SIM_STATE_DIR ? `State kept in ${env.IMS_SIM_STATE_DIR}. ` : ''}Ctrl-C stops it.\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  process.stderr.write(
    code === 'EADDRINUSE'
      ? `ims-sim: port ${env.IMS_SIM_PORT} is already in use; set IMS_SIM_PORT to a free port\n`
      : `ims-sim: could not start: ${(err as Error).message}\n`,
  );
  process.exit(1);
}
