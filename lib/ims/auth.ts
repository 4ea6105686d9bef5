// IAM password tokens, project-scoped: fetched once per (IAM endpoint, project, credentials), shared
// by every concurrent caller (one refresh in flight), renewed ahead of expiry, and dropped on a 401.
import { createHash } from 'node:crypto';
import * as z from '../zod.js';
import { logger } from '../log.js';
import { ImsError, parseErrorBody } from './errors.js';
import { TransportFailure, type HttpTransport } from './http.js';
import type { ImsSettings } from './settings.js';

export type PasswordAuth = Extract<ImsSettings['auth'], { kind: 'password' }>;

/** What a token is valid for: one IAM endpoint, one project, one set of credentials. */
export interface TokenScope {
  iamOrigin: string;
  projectId: string;
  auth: PasswordAuth;
}

export interface ProjectToken {
  token: string;
  /** ms since epoch */
  expiresAt: number;
}

const tokenAnswer = z.looseObject({ token: z.looseObject({ expires_at: z.string() }) });

/** POST {iam}/v3/auth/tokens, scoped to the project. The password goes only into this body. */
export async function requestProjectToken(
  transport: HttpTransport,
  iamOrigin: string,
  auth: PasswordAuth,
  projectId: string,
): Promise<ProjectToken> {
  const operation = 'iam.token';
  const body = JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: auth.user, password: auth.password, domain: { name: auth.domain } } },
      },
      scope: { project: { id: projectId } },
    },
  });
  let answer;
  const started = Date.now();
  try {
    answer = await transport.send(iamOrigin, {
      method: 'POST',
      path: '/v3/auth/tokens',
      headers: { 'content-type': 'application/json;charset=utf8', accept: 'application/json' },
      body,
    });
  } catch (err) {
    // Asking for a token twice is harmless, so even a lost answer is just retryable.
    const code = err instanceof TransportFailure ? err.code : 'UND_ERR';
    throw new ImsError({ kind: 'retryable', operation, status: null, code, message: 'IAM could not be reached' });
  }
  logger.info('iam call', { operation, status: answer.status, durationMs: Date.now() - started });
  if (answer.status !== 201 && answer.status !== 200) {
    const { code, message } = parseErrorBody(answer.body);
    const kind = answer.status === 429 || answer.status >= 500 ? 'retryable' : 'auth';
    throw new ImsError({
      kind,
      operation,
      status: answer.status,
      code,
      message: kind === 'auth' ? `IAM refused the credentials (${answer.status})` : (message ?? `IAM answered ${answer.status}`),
    });
  }
  const token = answer.headers['x-subject-token'];
  const parsed = tokenAnswer.safeParse(safeJson(answer.body));
  const expiresAt = parsed.success ? Date.parse(parsed.data.token.expires_at) : Number.NaN;
  if (!token || Number.isNaN(expiresAt))
    throw new ImsError({ kind: 'retryable', operation, status: answer.status, code: null, message: 'IAM answered without a usable token' });
  return { token, expiresAt };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface TokenCache {
  /** A token valid for the scope, fetched or refreshed if needed. */
  get(scope: TokenScope): Promise<string>;
  /** Forget `token` (IMS answered 401 to it); a newer token already cached is kept. */
  invalidate(scope: TokenScope, token: string): void;
}

export interface TokenCacheDeps {
  fetchToken: (scope: TokenScope) => Promise<ProjectToken>;
  now: () => number;
  /** Refresh this long before expiry, but never earlier than at 90 % of the token's lifetime. */
  refreshAheadMs: number;
}

interface CachedToken extends ProjectToken {
  refreshAt: number;
}

export function createTokenCache(deps: TokenCacheDeps): TokenCache {
  const cached = new Map<string, CachedToken>();
  const inFlight = new Map<string, Promise<CachedToken>>();
  // The credentials are part of the key (hashed, so the map holds no password), so that one
  // tenant's token is never handed to another tenant's call.
  const keyOf = ({ iamOrigin, projectId, auth }: TokenScope) =>
    `${iamOrigin}\n${projectId}\n${createHash('sha256').update(JSON.stringify([auth.domain, auth.user, auth.password])).digest('hex')}`;

  function refresh(key: string, scope: TokenScope): Promise<CachedToken> {
    const running = inFlight.get(key);
    if (running) return running;
    const obtainedAt = deps.now();
    const promise = deps
      .fetchToken(scope)
      .then((fresh) => {
        const lifetime = Math.max(0, fresh.expiresAt - obtainedAt);
        const entry = { ...fresh, refreshAt: fresh.expiresAt - Math.min(deps.refreshAheadMs, lifetime * 0.1) };
        cached.set(key, entry);
        return entry;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
    return promise;
  }

  async function get(scope: TokenScope): Promise<string> {
    const key = keyOf(scope);
    const entry = cached.get(key);
    const now = deps.now();
    if (entry && now < entry.refreshAt) return entry.token;
    try {
      return (await refresh(key, scope)).token;
    } catch (err) {
      // IAM hiccup during an early refresh: the old token still works until it expires.
      if (entry && deps.now() < entry.expiresAt && !(err instanceof ImsError && err.kind === 'auth')) return entry.token;
      throw err;
    }
  }

  function invalidate(scope: TokenScope, token: string): void {
    const key = keyOf(scope);
    if (cached.get(key)?.token === token) cached.delete(key);
  }

  return { get, invalidate };
}
