// Submitting a claimed request to IMS: IMS answers and errors become lifecycle events, so every
// decision stays in the pure core.
import type { ImsClient, ImsTarget } from '../ims/client.js';
import type { ImsAuth } from '../ims/settings.js';
import { isImsError, type ImsError } from '../ims/errors.js';
import type { ImsImage } from '../ims/answers.js';
import { imsCallOf } from './ims-call.js';
import type { Evidence, LifecycleEvent } from './lifecycle.js';
import { preflightExport } from './preflight.js';
import type { StoredRequest } from './record.js';

/** IMS answers these with 400, but they say "not now", not "never" (error_codes.rst). */
const RETRYABLE_REFUSALS = new Set(['IMG.0060']);

/** Images created by an earlier attempt were created after the request; allow for clock skew. */
const ORIGIN_SKEW_MS = 10 * 60_000;

/** Where the record's IMS calls go; `auth` is its tenant's own credentials, when it has them. */
export function imsTargetOf(record: StoredRequest, auth: ImsAuth | null = null): ImsTarget {
  return { region: record.region, projectId: record.project_id, ...(auth ? { auth } : {}) };
}

/** `__data_origin` of the image this request makes: `file,bucket:object` or `instance,<id>`. */
export function expectedOrigin(record: StoredRequest): string | null {
  if (record.kind === 'import' && typeof record.params.image_url === 'string') return `file,${record.params.image_url}`;
  if (record.kind === 'capture' && typeof record.params.instance_id === 'string') return `instance,${record.params.instance_id}`;
  return null;
}

/** Which of our images decides: a live one over a killed one, then the newest. */
const STATUS_RANK: Record<string, number> = { active: 0, queued: 1, saving: 1, killed: 2, deleted: 2 };

/**
 * An image an earlier, unanswered submission of this request made, told apart from namesakes by its
 * origin and age, in any status: a killed one is evidence too (submitting again would make a second image).
 */
export async function findEarlierImage(ims: ImsClient, record: StoredRequest, auth: ImsAuth | null = null): Promise<ImsImage | null> {
  const origin = expectedOrigin(record);
  const name = record.params.name;
  if (origin === null || typeof name !== 'string') return null;
  const notBefore = Date.parse(record.created_at) - ORIGIN_SKEW_MS;
  const images = await ims.findImages(imsTargetOf(record, auth), { name });
  const ours = images.filter(
    (img) => img.name === name && img.__data_origin === origin && (!img.created_at || Date.parse(img.created_at) >= notBefore),
  );
  const rank = (img: ImsImage) => STATUS_RANK[img.status ?? ''] ?? 1;
  return ours.sort((a, b) => rank(a) - rank(b) || Date.parse(b.created_at ?? '') - Date.parse(a.created_at ?? ''))[0] ?? null;
}

/** An image of ours as evidence: done, still being made, or failed for good. */
export function imageEvidence(image: ImsImage): Extract<Evidence, { found: 'image' }> {
  const status = image.status === 'active' ? 'active' : image.status === 'killed' || image.status === 'deleted' ? 'killed' : 'making';
  return { found: 'image', imageId: image.id, status };
}

function errorEvent(error: ImsError, at: Date): LifecycleEvent {
  const message = error.code ? `${error.code}: ${error.message}` : error.message;
  switch (error.kind) {
    case 'refused':
      if (error.code && RETRYABLE_REFUSALS.has(error.code)) return { type: 'ims-unavailable', at, message, code: error.code };
      // No status: the client's own rules refused the call before it was sent.
      if (error.status === null) return { type: 'ims-refused', at, code: 'VALIDATION', message: error.message, source: 'validation' };
      return { type: 'ims-refused', at, code: error.code ?? `HTTP.${error.status}`, message: error.message };
    case 'retryable':
      return {
        type: 'ims-unavailable',
        at,
        message,
        code: error.code,
        retryAfterSeconds: error.retryAfterMs === null ? null : Math.ceil(error.retryAfterMs / 1000),
      };
    case 'unknown-outcome':
      return { type: 'ims-outcome-unknown', at, message };
    case 'auth':
      // Credentials or a project IAM/IMS refuse are an operator's fix: retrying cannot help.
      return { type: 'ims-refused', at, code: error.code ?? 'AUTH_FAILED', message: `IMS refused the credentials or project: ${error.message}`, source: 'auth' };
  }
}

/** Submits the request (looking first for an earlier attempt's image when asked) and says what happened. */
export async function submitToIms(
  ims: ImsClient,
  record: StoredRequest,
  lookFirst: boolean,
  now: () => Date,
  auth: ImsAuth | null = null,
): Promise<LifecycleEvent> {
  const target = imsTargetOf(record, auth);
  try {
    if (lookFirst) {
      const earlier = await findEarlierImage(ims, record, auth);
      if (earlier) {
        const seen = imageEvidence(earlier);
        if (seen.status === 'killed') return { type: 'image-killed', at: now(), imageId: earlier.id, status: earlier.status ?? 'killed' };
        return { type: 'image-found', at: now(), imageId: earlier.id, active: seen.status === 'active' };
      }
    }
    const call = imsCallOf(record.kind, record.params);
    if (call.op === 'export') {
      // IMS's documented refusals that the image's details show: no submission for them.
      const refusal = await preflightExport(ims, target, call.imageId, { is_quick_export: call.body.is_quick_export });
      if (refusal) return { type: 'ims-refused', at: now(), code: refusal.code, message: refusal.message, source: 'precheck' };
    }
    const job =
      call.op === 'export'
        ? await ims.exportImage(target, call.imageId, call.body)
        : call.op === 'capture'
          ? await ims.captureImage(target, call.body)
          : call.disk === 'system'
            ? await ims.importImage(target, 'system', call.body)
            : call.disk === 'data'
              ? await ims.importImage(target, 'data', call.body)
              : await ims.importImage(target, 'quick', call.body);
    return { type: 'ims-accepted', at: now(), jobId: job.jobId };
  } catch (error) {
    if (isImsError(error)) return errorEvent(error, now());
    throw error;
  }
}
