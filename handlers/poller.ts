// poller: every minute, checks the IMS jobs and webhooks that are due, sweeping again every few
// seconds until shortly before the invocation's timeout.
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logInvocation, logger } from '../lib/log.js';
import { sweepUntil, type PollerDeps } from '../lib/requests/sweep.js';
import { pollerDeps } from '../lib/runtime/jobs.js';

export function createPollerHandler(deps: () => PollerDeps | Promise<PollerDeps>) {
  return middy<ScheduledEvent, void, Error, Context>()
    .use(logInvocation())
    .handler(async (_event, context) => {
      const d = await deps();
      const reports = await sweepUntil(d, () => context.getRemainingTimeInMillis(), { pauseMs: d.pauseMs, reserveMs: d.reserveMs });
      const total = reports.reduce((sum, r) => ({ taken: sum.taken + r.taken, checked: sum.checked + r.checked }), { taken: 0, checked: 0 });
      logger.debug('poller done', { sweeps: reports.length, ...total });
    });
}

export const handler = createPollerHandler(pollerDeps);
