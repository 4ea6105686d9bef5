// A local stand-in for an EventBridge schedule: invokes a handler with a real ScheduledEvent every
// interval. Unlike the cloud it never overlaps itself; the next run waits for the previous one.
import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { lambdaContext } from './http-gateway.js';

export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface SchedulerOptions {
  handler: ScheduledHandler;
  intervalMs: number;
  functionName?: string;
  region?: string;
  /** The function's timeout as its context reports it; defaults to the interval. */
  timeoutMs?: number;
  onError?: (error: unknown) => void;
}

export interface Scheduler {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

export function scheduledEvent(ruleName: string, region: string, at = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/${ruleName}`],
    detail: {},
  };
}

export function startScheduler(options: SchedulerOptions): Scheduler {
  const functionName = options.functionName ?? 'poller';
  const region = options.region ?? 'eu-central-1';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    const started = Date.now();
    try {
      await options.handler(scheduledEvent(`${functionName}-schedule`, region), lambdaContext(functionName, options.timeoutMs ?? options.intervalMs));
    } catch (error) {
      options.onError?.(error);
    }
    if (!stopped) timer = setTimeout(run, Math.max(0, options.intervalMs - (Date.now() - started)));
  }

  function run(): void {
    current = tick();
  }

  timer = setTimeout(run, options.intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
