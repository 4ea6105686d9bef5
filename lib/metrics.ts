// Operational metrics as CloudWatch Embedded Metric Format lines: CloudWatch turns each such line
// of the function's log into metrics, with no API call and no extra latency. Every line carries
// the `service` dimension; the others are few and bounded (a handful of values each), since each
// combination is a metric. Off unless METRICS_NAMESPACE is set (serverless.yml sets it), so local
// runs print none.
import type { HttpTransport } from './ims/http.js';

const MetricUnit = { Count: 'Count', Milliseconds: 'Milliseconds', Seconds: 'Seconds' } as const;
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

const SERVICE = 'ims-transfer';

/** One EMF line on stdout: these values under these dimensions. Synchronous, so lines never mix. */
function emit(dimensions: Record<string, string>, values: [name: string, unit: Unit, value: number][]): void {
  const namespace = process.env.METRICS_NAMESPACE;
  if (!namespace) return;
  const tagged = { service: SERVICE, ...dimensions };
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [Object.keys(tagged)], Metrics: values.map(([Name, Unit]) => ({ Name, Unit })) }],
    },
    ...tagged,
    ...Object.fromEntries(values.map(([name, , value]) => [name, value])),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export type IntakeOutcome = 'created' | 'replayed' | 'invalid' | 'forbidden' | 'rate-limited' | 'no-project' | 'conflict' | 'unavailable';

/** A request offered at intake (HTTP, chat or queue): accepted, or refused and why. */
export function countIntake(via: 'http' | 'chat' | 'queue', outcome: IntakeOutcome): void {
  if (outcome === 'created') emit({ via }, [['RequestsAccepted', MetricUnit.Count, 1]]);
  else emit({ reason: outcome }, [['RequestsRefused', MetricUnit.Count, 1]]);
}

/** The IMS (and IAM) transport, counting each attempt by its result: `ok`, the HTTP status, or the network failure's code. */
export function measuredTransport(transport: HttpTransport): HttpTransport {
  return {
    close: () => transport.close(),
    async send(origin, request) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const answer = await transport.send(origin, request);
        const result = answer.status < 400 ? 'ok' : String(answer.status);
        emit({ result }, [['ImsCalls', MetricUnit.Count, 1], ['ImsCallDuration', MetricUnit.Milliseconds, elapsed()]]);
        return answer;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        emit({ result: typeof code === 'string' ? code : 'network' }, [['ImsCalls', MetricUnit.Count, 1], ['ImsCallDuration', MetricUnit.Milliseconds, elapsed()]]);
        throw error;
      }
    },
  };
}

/** A request ended: how long its IMS job took, from the submission to the recorded outcome. */
export function recordJobEnd(record: { status: string; kind: string; submitted_at: string | null; completed_at: string | null }): void {
  if (!record.submitted_at || !record.completed_at) return;
  const seconds = (Date.parse(record.completed_at) - Date.parse(record.submitted_at)) / 1000;
  emit({ kind: record.kind, outcome: record.status }, [['JobDuration', MetricUnit.Seconds, seconds]]);
}

/** A webhook attempt: delivered (with the lag since the outcome), to be retried, or failed for good. */
export function recordWebhook(result: 'delivered' | 'pending' | 'failed', completedAt: string | null, now: Date): void {
  const lag: [string, Unit, number][] =
    result === 'delivered' && completedAt ? [['NotificationLag', MetricUnit.Seconds, (now.getTime() - Date.parse(completedAt)) / 1000]] : [];
  emit({ result }, [['WebhookDeliveries', MetricUnit.Count, 1], ...lag]);
}

/** A request found no free IMS slot for its project and waits in the queue. */
export function countSlotWait(): void {
  emit({}, [['ImsSlotWaits', MetricUnit.Count, 1]]);
}
