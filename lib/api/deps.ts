// What the HTTP routes and the chat route run with, built once per container (runtime/api.ts).
import type { ChatSettings } from '../chatops/verify.js';
import type { IntakeQueue } from '../queue/intake.js';
import type { Placement } from '../requests/intake.js';
import type { LifecycleTimings } from '../requests/lifecycle.js';
import { REQUEST_ID } from '../requests/ids.js';
import type { StoredRequest } from '../requests/record.js';
import type { DeliveryLog } from '../store/deliveries.js';
import type { RateLimiter } from '../store/rate-limit.js';
import type { RequestListing } from '../store/request-list.js';
import type { RequestStore } from '../store/requests.js';
import type { Tenant, TenantDirectory } from '../tenants.js';
import type { AddressPolicy } from '../webhooks/addresses.js';

export interface ApiDeps {
  tenants: TenantDirectory;
  store: RequestStore & RequestListing;
  queue: IntakeQueue;
  rateLimiter: RateLimiter;
  placement: Placement;
  timings: LifecycleTimings;
  now: () => Date;
  /** Cancels a queued request; anything else is refused (IMS has no cancel). */
  cancel: (record: StoredRequest, at: Date) => Promise<{ ok: true; record: StoredRequest } | { ok: false; status: StoredRequest['status']; reason: string }>;
  /** Slash commands: the Slack signing secret and this container's replay cache. */
  chat: ChatSettings;
  /** Which callback addresses deliveries may reach (intake refuses IP literals outside it). */
  webhookPolicy: AddressPolicy;
  /** The delivery log, read by GET /v1/requests/{id}/deliveries. */
  deliveries: Pick<DeliveryLog, 'list'>;
}

/** The tenant's own request; another tenant's is indistinguishable from one that does not exist. */
export async function ownRecord(deps: Pick<ApiDeps, 'store'>, tenant: Tenant, id: string): Promise<StoredRequest | null> {
  // Not an id we ever hand out (too long, wrong alphabet): nothing to look up, and nothing to send the store.
  if (!REQUEST_ID.test(id)) return null;
  const found = await deps.store.get(id);
  if (found instanceof Error) throw found;
  return found && found.tenant === tenant.id ? found : null;
}
