// What the OpenAPI document says about the record, its webhook, the other answers, the list query and the
// chat form, with the request bodies (openapi-docs-requests.ts): the documented copies lib/api/openapi.ts
// builds the document from. Build time only: no function bundles it, so no bundle carries the text and no
// cold start registers it.
//
// Each table names every field of its schema (FieldDocs is keyed by the schema's shape): a field added to
// or renamed in a runtime schema fails typecheck here until it is described (or marked null, shown bare).
import { slashCommandForm, slashCommandReply } from '../chatops/schemas.js';
import { requestError, requestRecord } from '../requests/record.js';
import { deliveryAttempt } from '../store/deliveries.js';
import { webhookEventData, webhookEventPayload } from '../webhooks/event-schema.js';
import { documentedRequestSchemas } from './openapi-docs-requests.js';
import { documentedObject, inside, type FieldDocs } from './openapi-documented.js';
import { PROBLEM_TYPES, problemDetails } from './problems.js';
import { deliveryList, healthStatus, listQuery, requestList } from './schemas.js';

// ---- the record and its webhook (lib/requests/record.ts, lib/webhooks/event.ts) ----

const requestErrorDocs = documentedObject('RequestError', requestError, {
  code: 'IMS\'s own code (e.g. IMG.0070) when IMS gave one, else one of ours',
  message: null,
  source: null,
  hint: 'what to do about it, in one or two sentences',
});

const isoTime = { format: 'date-time', description: 'ISO 8601 UTC timestamp' };

const requestRecordFields: FieldDocs<typeof requestRecord.shape> = {
  id: null,
  kind: null,
  status: null,
  tenant: null,
  client_ref: null,
  params: 'the request fields of its kind, as accepted',
  region: null,
  project_id: null,
  ims_job_id: null,
  image_id: 'the image made by an import or capture (or exported)',
  progress: null,
  error: inside(requestErrorDocs),
  last_error: inside(requestErrorDocs, 'the latest transient error while the request waits to be submitted again; null once IMS took it or it ended'),
  attempts: 'IMS submissions made',
  parent_id: null,
  child_id: null,
  created_at: isoTime,
  submitted_at: inside(isoTime),
  updated_at: isoTime,
  completed_at: inside(isoTime),
  next_check_at: inside(isoTime),
  webhook: null,
  evidence:
    'what OBS could or could not show about the request: after an answer from IMS was lost, the evidence the outcome waits for (an export\'s object in OBS) or why it cannot be looked for (no OBS credentials); or that the OBS checks before submission were skipped. Absent or null otherwise',
};

const requestRecordDocs = documentedObject('RequestRecord', requestRecord, requestRecordFields, { id: 'RequestRecord', description: 'a request and where it stands' });

const { webhook: _deliveryState, ...endedRecordFields } = requestRecordFields;

const webhookEventDataDocs = documentedObject(
  'WebhookEventData',
  webhookEventData,
  {
    ...endedRecordFields,
    next_check_at: 'always null: an ended request is not checked again',
    updated_at: { format: 'date-time', description: 'when the request ended (its completed_at)' },
  },
  { id: 'WebhookEventData', description: 'the request record as it stood when the request ended (without its webhook state)' },
);

const webhookEventPayloadDocs = documentedObject(
  'WebhookEvent',
  webhookEventPayload,
  {
    type: null,
    timestamp: { format: 'date-time', description: 'when the request reached its outcome' },
    data: inside(webhookEventDataDocs),
  },
  { id: 'WebhookEvent', description: 'the body of a completion webhook (Standard Webhooks)' },
);

// ---- the other answers and the list query (lib/api/schemas.ts, lib/api/problems.ts, lib/store/deliveries.ts) ----

const listQueryDocs = documentedObject('listQuery', listQuery, {
  status: 'only requests in this status',
  kind: 'only requests of this kind',
  limit: 'page size, 1–100 (default 20)',
  cursor: 'next_cursor of the previous page',
});

const requestListDocs = documentedObject(
  'RequestList',
  requestList,
  {
    items: inside(requestRecordDocs, 'requests, newest first'),
    next_cursor: 'cursor of the next page; null on the last page',
  },
  { id: 'RequestList', description: 'one page of the tenant\'s requests' },
);

const healthStatusDocs = documentedObject('healthStatus', healthStatus, { status: null }, 'the service is ready');

const problemDetailsDocs = documentedObject(
  'ProblemDetails',
  problemDetails,
  {
    type: `problem type URI: ${Object.entries(PROBLEM_TYPES)
      .map(([type, { status, title }]) => `${type} (${status}, "${title}")`)
      .join(', ')}`,
    title: 'short summary of the problem type; the same for every occurrence',
    status: 'HTTP status code',
    detail: 'what went wrong in this occurrence, for humans',
    errors: inside(documentedRequestSchemas.fieldError, 'validation failures, one per field that breaks a rule'),
    instance: 'this occurrence (request path or correlation id)',
  },
  { id: 'ProblemDetails', description: 'RFC 9457 problem details (application/problem+json)' },
);

const deliveryAttemptDocs = documentedObject(
  'DeliveryAttempt',
  deliveryAttempt,
  {
    event_id: 'the `webhook-id` sent (webhooks), or the id of the chat message',
    type: 'the webhook event type (e.g. image.export.succeeded), or `chat`',
    attempt: 'the how-many-th attempt of this event_id, from 1',
    at: { format: 'date-time', description: 'RFC 3339 time the attempt started' },
    url_origin: 'scheme, host and port of the target only: paths and queries may carry tokens',
    status_code: 'the HTTP status the receiver answered; null when none came',
    error: 'why the attempt failed; null on success',
    duration_ms: null,
  },
  { id: 'DeliveryAttempt' },
);

const deliveryListDocs = documentedObject('deliveryList', deliveryList, { items: inside(deliveryAttemptDocs, 'oldest first, at most the latest 50') });

// ---- chat (lib/chatops/schemas.ts) ----

const slashCommandFormDocs = documentedObject(
  'slashCommandForm',
  slashCommandForm,
  {
    command: 'the slash command, e.g. /ims',
    text: 'what followed the command: export, import, capture, status, list or help with their arguments',
    team_id: 'workspace (Slack) or team (Mattermost); mapped to a tenant in configuration',
    user_id: 'who ran the command',
    user_name: 'their display name',
    channel_id: 'where it was run',
    response_url: 'where the outcome is posted later',
    trigger_id: 'Slack interaction trigger',
    token: 'Mattermost verification token (Slack requests are signed instead)',
  },
  'slash command form body; further fields the platform sends are ignored',
);

const slashCommandReplyDocs = documentedObject(
  'slashCommandReply',
  slashCommandReply,
  {
    response_type: 'who sees the reply',
    text: 'the reply, in Slack/Mattermost markdown',
  },
  'immediate answer to a slash command',
);

/** The runtime schemas the document shows, as documented copies: the same rules, with what the document says of them. */
export const documentedSchemas = {
  ...documentedRequestSchemas,
  requestRecord: requestRecordDocs,
  webhookEventPayload: webhookEventPayloadDocs,
  listQuery: listQueryDocs,
  requestList: requestListDocs,
  healthStatus: healthStatusDocs,
  problemDetails: problemDetailsDocs,
  deliveryList: deliveryListDocs,
  slashCommandForm: slashCommandFormDocs,
  slashCommandReply: slashCommandReplyDocs,
};
