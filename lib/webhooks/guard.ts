// SSRF guard for outbound HTTP (webhooks, chat replies): the address actually connected to is
// checked at connection time, so a name that resolves (or re-resolves) to a private address is refused.
import { isIP } from 'node:net';
import { promises as dns } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent, buildConnector } from 'undici';
import { isForbiddenAddress, type AddressPolicy } from './addresses.js';

export type GuardErrorKind = 'refused-address' | 'bad-url';

/** Thrown inside undici's connector (it needs an Error); `kind` lets callers turn it back into a value. */
export class OutboundRefusedError extends Error {
  readonly kind: GuardErrorKind;
  readonly code = 'ERR_OUTBOUND_REFUSED';
  constructor(kind: GuardErrorKind, message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
    this.kind = kind;
  }
}

export function isOutboundRefusedError(err: unknown): err is OutboundRefusedError {
  return err instanceof OutboundRefusedError;
}

/** Name resolution as the guard needs it: every address of the name. Injectable for tests. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

const resolveWithDns: ResolveHost = (hostname) => dns.lookup(hostname, { all: true });

export interface GuardedAgentOptions extends AddressPolicy {
  /** Refuse `http:` URLs (the cloud). `http:` is allowed only when this is false AND allowLoopback is true. */
  requireHttps: boolean;
  connectTimeoutMs?: number;
  resolveHost?: ResolveHost;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function refusedAddress(host: string): OutboundRefusedError {
  return new OutboundRefusedError('refused-address', `refused: ${host} is or resolves to a forbidden address`);
}

/** The `lookup` handed to net/tls.connect: resolves, refuses if ANY address is forbidden, else answers as asked. */
function guardedLookup(policy: AddressPolicy, resolveHost: ResolveHost) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolveHost(hostname).then(
      (resolved) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const addresses = resolved.filter((a) => wanted === 0 || a.family === wanted);
        const first = addresses[0];
        if (!first) {
          callback(Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' }), []);
          return;
        }
        if (resolved.some((a) => isForbiddenAddress(a.address, policy))) {
          callback(refusedAddress(hostname), []);
          return;
        }
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };
}

/**
 * An undici Agent for untrusted URLs: checks scheme and literal IPs before connecting, and checks the
 * resolved addresses of names inside the socket's own lookup, so the connection goes to a checked address.
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const policy: AddressPolicy = { allowLoopback: options.allowLoopback };
  const httpAllowed = !options.requireHttps && options.allowLoopback;
  const connectToChecked = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    lookup: guardedLookup(policy, options.resolveHost ?? resolveWithDns),
  });
  return new Agent({
    connect: (connectOptions, callback) => {
      const { protocol, hostname } = connectOptions;
      // Literal IPs never reach `lookup`, so they are judged here.
      if (isIP(hostname) !== 0 && isForbiddenAddress(hostname, policy)) {
        callback(refusedAddress(hostname), null);
        return;
      }
      if (protocol !== 'https:' && !(protocol === 'http:' && httpAllowed)) {
        callback(new OutboundRefusedError('bad-url', `refused: ${protocol} URLs are not allowed here`), null);
        return;
      }
      connectToChecked(connectOptions, callback);
    },
  });
}
