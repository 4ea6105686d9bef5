// Slack signatures seen lately, so a captured request cannot be sent again while its timestamp is
// still fresh. Its own module: the API's composition root builds one without the chat schemas.

/** Slack refuses requests older than this, and so do we (in both directions, against clock games). */
export const SLACK_MAX_SKEW_MS = 5 * 60_000;

export interface ReplayGuard {
  /** True the first time a signature is offered (and remembers it); false for a replay. */
  firstSight(signature: string, timestampSeconds: number, now: Date): boolean;
}

export function createReplayGuard({ maxEntries = 10_000 }: { maxEntries?: number } = {}): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    firstSight(signature, timestampSeconds, now) {
      const nowMs = now.getTime();
      const expires = seen.get(signature);
      if (expires !== undefined && expires > nowMs) return false;
      // Insertion order is expiry order (give or take the skew), so sweeping from the front is enough.
      for (const [key, until] of seen) {
        if (until > nowMs && seen.size < maxEntries) break;
        seen.delete(key);
      }
      seen.set(signature, timestampSeconds * 1000 + SLACK_MAX_SKEW_MS);
      return true;
    },
  };
}
