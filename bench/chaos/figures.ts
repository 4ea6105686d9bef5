// Figures of a chaos or crash run, computed from what the API, IMS (the simulator) and the webhook
// receiver show after the run, and the goal line they are held to.
import { startWebhookReceiver, type RunningReceiver } from '../../local/webhook-receiver.js';
import { imsToken, jobStatus, listImages, listRecords, TERMINAL, writtenObjects, type Api, type ApiRecord, type PlannedRequest } from './harness.js';

/** One verified delivery the receiver accepted. */
export interface AcceptedDelivery { webhookId: string; requestId: string; type: string }

/** A webhook receiver verifying with `secret` that keeps each delivery it accepted, for the duplicate and missing counts. */
export async function startDeliveryCounter(secret: string): Promise<{ receiver: RunningReceiver; deliveries: AcceptedDelivery[] }> {
  const deliveries: AcceptedDelivery[] = [];
  const receiver = await startWebhookReceiver({
    port: 0,
    secret: () => secret,
    onDelivery: (d) => {
      const data = d.event?.data as { id?: string } | undefined;
      if (d.event && data?.id) deliveries.push({ webhookId: d.webhookId, requestId: data.id, type: d.event.type });
    },
  });
  return { receiver, deliveries };
}

export interface Figures {
  requests: number;
  accepted: number;
  rejected: number;
  /** Records in all, children of capture-then-export included. */
  records: number;
  terminal: number;
  succeeded: number;
  failed: number;
  lost: number;
  /** null when IMS forgot its state (crash run without a simulator state directory): nothing to check against. */
  duplicateImages: number | null;
  falseSuccesses: number | null;
  /** Requests a correct service fails (sim-fail) that ended otherwise, or valid ones that failed: shown, not a goal. */
  unexpectedOutcomes: number;
  webhooksMissing: number;
  webhooksDuplicate: number;
  dlq: number;
  imsCalls: number;
  faultsInjected: number;
  seconds: number;
  /** Ids and why, for the report's detail lines. */
  detail: string[];
}

export const GOALS = [
  ['lost', 'lost (never terminal)'],
  ['duplicateImages', 'duplicate images'],
  ['falseSuccesses', 'false successes'],
  ['webhooksMissing', 'missing webhooks'],
  ['webhooksDuplicate', 'duplicate webhooks'],
] as const satisfies readonly (readonly [keyof Figures, string])[];

/** Polls the record list until every record is terminal or nothing changed for `stallMs` (then the rest is stuck). */
export async function waitForTerminal(api: Api, expected: number, opts: { stallMs: number; deadlineMs: number; log?: (s: string) => void }): Promise<ApiRecord[]> {
  const started = Date.now();
  let lastChange = Date.now();
  let lastSignature = '';
  for (;;) {
    let records: ApiRecord[];
    try {
      records = await listRecords(api);
    } catch {
      // the API is restarting (crash run)
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    const open = records.filter((r) => !TERMINAL.has(r.status));
    const signature = records.map((r) => `${r.id}:${r.status}:${r.attempts}`).join(',');
    if (signature !== lastSignature) {
      lastSignature = signature;
      lastChange = Date.now();
    }
    opts.log?.(`  ${records.length - open.length}/${records.length} terminal (${expected} accepted)`);
    if (records.length >= expected && open.length === 0) return records;
    // Quiet is not lost while an open request has a check still to come (a re-queue after a message
    // died with the process, a lapsing claim): wait for it. Lost means nothing will look at it again.
    const comingCheck = open.some((r) => r.next_check_at !== null && Date.parse(r.next_check_at) + opts.stallMs > Date.now());
    if ((!comingCheck && Date.now() - lastChange > opts.stallMs) || Date.now() - started > opts.deadlineMs) return records;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Waits (at most `ms`) until every terminal record's webhook is delivered or given up. */
export async function waitForWebhooks(api: Api, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const records = await listRecords(api);
    if (records.every((r) => !TERMINAL.has(r.status) || r.webhook.status !== 'pending')) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function computeFigures(input: {
  api: Api;
  simUrl: string;
  plan: PlannedRequest[];
  answers: { status: number; id?: string }[];
  records: ApiRecord[];
  deliveries: AcceptedDelivery[];
  dlq: number;
  imsCalls: number;
  faultsInjected: number;
  seconds: number;
  /** False when IMS forgot what it did (then images and export objects cannot be checked). */
  evidence?: boolean;
}): Promise<Figures> {
  const { plan, answers, records, deliveries } = input;
  const evidence = input.evidence ?? true;
  const detail: string[] = [];
  const accepted = answers.filter((a) => a.status === 202 || a.status === 200).length;
  const rejected = answers.filter((a) => a.status >= 400 && a.status < 500).length;
  const byId = new Map(records.map((r) => [r.id, r]));
  const planned = new Map<string, PlannedRequest>();
  answers.forEach((a, i) => a.id && planned.set(a.id, plan[i] as PlannedRequest));

  // Requests accepted but never terminal (or missing from the list altogether).
  let lost = 0;
  for (const a of answers) {
    if (!a.id) continue;
    const r = byId.get(a.id);
    if (!r || !TERMINAL.has(r.status)) {
      lost++;
      detail.push(`lost: ${a.id} ${r ? `${r.kind} ${r.status} (attempts ${r.attempts}, next check ${r.next_check_at ?? 'none'})` : 'not listed'}`);
    }
  }
  for (const r of records) if (r.parent_id && !TERMINAL.has(r.status)) {
    lost++;
    detail.push(`lost: ${r.id} (child of ${r.parent_id}) ${r.status}`);
  }
  for (const a of answers) if (a.status >= 500) {
    lost++;
    detail.push(`intake answered ${a.status}`);
  }

  const token = await imsToken(input.simUrl);
  const images = await listImages(input.simUrl, token);
  const objects = await writtenObjects(input.simUrl);
  const imagesByName = new Map<string, typeof images>();
  for (const img of images) imagesByName.set(img.name, [...(imagesByName.get(img.name) ?? []), img]);

  // More than one image in IMS for one import or capture.
  let duplicateImages = 0;
  for (const r of records) {
    if (r.kind === 'export') continue;
    const name = String(r.params.name ?? '');
    const made = imagesByName.get(name) ?? [];
    if (evidence && made.length > 1) {
      duplicateImages++;
      detail.push(`duplicate image: ${r.id} ${r.kind} "${name}" has ${made.length} images (${made.map((i) => i.status).join(', ')}), ${r.attempts} submissions`);
    }
  }

  // `succeeded` without the result in IMS: the image active, the export's job SUCCESS and its object written.
  let falseSuccesses = 0;
  let unexpectedOutcomes = 0;
  for (const r of records) {
    const p = planned.get(r.id);
    if (p && TERMINAL.has(r.status) && r.status !== p.expect) {
      unexpectedOutcomes++;
      detail.push(`unexpected outcome: ${r.id} ${p.shape} ended ${r.status} (${r.error?.code ?? 'no error'}), expected ${p.expect}`);
    }
    if (r.status !== 'succeeded' || !evidence) continue;
    const why: string[] = [];
    if (r.kind === 'export') {
      if (r.ims_job_id) {
        const status = await jobStatus(input.simUrl, token, r.ims_job_id);
        if (status !== 'SUCCESS') why.push(`its IMS job is ${status}`);
      }
      if (!objects.has(String(r.params.bucket_url))) why.push(`its export object ${String(r.params.bucket_url)} is not in OBS`);
    } else {
      const made = images.find((i) => i.id === r.image_id);
      if (!made) why.push(`its image ${r.image_id ?? '(none)'} is not in IMS`);
      else if (made.status !== 'active') why.push(`its image is ${made.status}`);
    }
    if (why.length) {
      falseSuccesses++;
      detail.push(`false success: ${r.id} ${r.kind}: ${why.join('; ')}`);
    }
  }

  // Webhooks: one accepted delivery (one webhook-id, accepted once) per succeeded or failed record.
  let webhooksMissing = 0;
  let webhooksDuplicate = 0;
  const perRequest = new Map<string, AcceptedDelivery[]>();
  for (const d of deliveries) perRequest.set(d.requestId, [...(perRequest.get(d.requestId) ?? []), d]);
  for (const r of records) {
    if (r.status !== 'succeeded' && r.status !== 'failed') continue;
    const got = perRequest.get(r.id) ?? [];
    if (got.length === 0) {
      webhooksMissing++;
      detail.push(`missing webhook: ${r.id} ${r.kind} ${r.status} (webhook ${r.webhook.status}, ${r.webhook.attempts} attempts)`);
    } else if (got.length > 1) {
      webhooksDuplicate++;
      detail.push(`duplicate webhook: ${r.id} delivered ${got.length} times (${[...new Set(got.map((d) => d.webhookId))].length} webhook ids: ${got.map((d) => d.type).join(', ')})`);
    }
  }

  return {
    requests: plan.length,
    accepted,
    rejected,
    records: records.length,
    terminal: records.filter((r) => TERMINAL.has(r.status)).length,
    succeeded: records.filter((r) => r.status === 'succeeded').length,
    failed: records.filter((r) => r.status === 'failed').length,
    lost,
    duplicateImages: evidence ? duplicateImages : null,
    falseSuccesses: evidence ? falseSuccesses : null,
    unexpectedOutcomes,
    webhooksMissing,
    webhooksDuplicate,
    dlq: input.dlq,
    imsCalls: input.imsCalls,
    faultsInjected: input.faultsInjected,
    seconds: input.seconds,
    detail,
  };
}

export function goalLines(f: Figures): { label: string; value: number | null; met: boolean }[] {
  return GOALS.map(([key, label]) => ({ label, value: f[key], met: f[key] === 0 }));
}

/** The figures as a Markdown table plus the goal line. */
export function formatFigures(title: string, f: Figures): string {
  const rows: [string, string | number][] = [
    ['requests sent', f.requests],
    ['accepted (202) / rejected (4xx)', `${f.accepted} / ${f.rejected}`],
    ['records (children included)', f.records],
    ['terminal', f.terminal],
    ['succeeded / failed', `${f.succeeded} / ${f.failed}`],
    ['outcome other than expected (shown, not a goal)', f.unexpectedOutcomes],
    ['DLQ depth', f.dlq],
    ['IMS calls / faults injected', `${f.imsCalls} / ${f.faultsInjected}`],
    ['took', `${f.seconds} s`],
  ];
  const goals = goalLines(f);
  return [
    `### ${title}`,
    '',
    '| figure | value |',
    '|---|---:|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    ...goals.map((g) => `| **${g.label}** (goal 0) | ${g.value === null ? 'n/a (IMS forgot its state)' : `${g.value} ${g.met ? 'met' : '**missed**'}`} |`),
    '',
  ].join('\n');
}
