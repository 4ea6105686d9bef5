// The CloudWatch dashboard's body (AWS::CloudWatch::Dashboard wants one JSON string), built from the stage's
// names: `DashboardBody: ${file(./deploy/dashboard.cjs):body}` in serverless.yml. One row per question an
// operator asks: are the functions healthy, is the queue draining, did anything fail for good, is IMS failing.
'use strict';

const FUNCTIONS = ['intake', 'chatops', 'worker', 'poller'];

function lambdaMetric(metric, fn, functionName, stat, label = fn) {
  return ['AWS/Lambda', metric, 'FunctionName', functionName(fn), { label, stat }];
}

function widget(x, y, title, metrics, extra = {}) {
  return { type: 'metric', x, y, width: 8, height: 6, properties: { title, metrics, view: 'timeSeries', stacked: false, period: 60, ...extra } };
}

module.exports.body = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable('self:provider.region');
  const queueName = await resolveVariable('self:custom.queueName');
  const pollerFailuresQueueName = await resolveVariable('self:custom.pollerFailuresQueueName');
  const namespace = `${service}/${stage}`;
  const functionName = (fn) => `${service}-${stage}-${fn}`;
  const base = { region };
  const sqs = (metric, queue, label, stat = 'Maximum') => ['AWS/SQS', metric, 'QueueName', queue, { label, stat }];
  const custom = (metric, label) => [namespace, metric, { label, stat: 'Sum' }];

  const widgets = [
    widget(0, 0, 'Invocations', FUNCTIONS.map((fn) => lambdaMetric('Invocations', fn, functionName, 'Sum')), base),
    widget(8, 0, 'Errors and throttles', [
      ...FUNCTIONS.map((fn) => lambdaMetric('Errors', fn, functionName, 'Sum', `${fn} errors`)),
      ...FUNCTIONS.map((fn) => lambdaMetric('Throttles', fn, functionName, 'Sum', `${fn} throttles`)),
    ], base),
    widget(16, 0, 'Duration p95 (ms)', FUNCTIONS.map((fn) => lambdaMetric('Duration', fn, functionName, 'p95')), base),
    widget(0, 6, 'Intake queue depth', [
      sqs('ApproximateNumberOfMessagesVisible', queueName, 'waiting'),
      sqs('ApproximateNumberOfMessagesNotVisible', queueName, 'in flight'),
    ], base),
    widget(8, 6, 'Age of the oldest intake message (s)', [sqs('ApproximateAgeOfOldestMessage', queueName, 'oldest')], {
      ...base,
      annotations: { horizontal: [{ label: 'alarm', value: 900 }] },
    }),
    widget(16, 6, 'Worker concurrency (bounded by the SQS maximumConcurrency)', [lambdaMetric('ConcurrentExecutions', 'worker', functionName, 'Maximum')], base),
    widget(0, 12, 'Failed for good: DLQ and poller failures', [
      sqs('ApproximateNumberOfMessagesVisible', `${queueName}-dlq`, 'intake DLQ'),
      sqs('ApproximateNumberOfMessagesVisible', pollerFailuresQueueName, 'poller failures'),
    ], base),
    widget(8, 12, 'Webhooks failed after all retries', [custom('WebhookFailures', 'webhooks failed')], base),
    widget(16, 12, 'IMS: requests failed by IMS, requests ended, IMS call errors', [
      custom('ImsFailedRequests', 'failed by IMS'),
      custom('RequestsEnded', 'ended'),
      custom('ImsCallErrors', 'IMS call errors (5xx, 429, unreachable)'),
    ], base),
  ];
  return JSON.stringify({ widgets });
};
