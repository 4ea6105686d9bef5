// The poller's read of a running request: what IMS says of its job (or of the image an earlier
// attempt made), or what OBS shows of an export awaiting evidence, as a lifecycle event for the
// pure core to decide on.
import type { ImsClient } from '../ims/client.js';
import { isImsError } from '../ims/errors.js';
import { jobResult } from '../ims/answers.js';
import { evidenceOf, exportObjectEvidence, type ObsEvidence } from './evidence.js';
import { awaitingEvidence, jobNotFoundSettles, type LifecycleEvent, type LifecycleTimings } from './lifecycle.js';
import type { StoredRequest } from './record.js';
import type { ImsAuth } from '../ims/settings.js';
import { imsTargetOf } from './submit.js';

export interface ObserveDeps {
  ims: ImsClient;
  obs?: ObsEvidence | null;
  timings: Pick<LifecycleTimings, 'jobNotFoundLimit'>;
  now: () => Date;
}

/**
 * What IMS (or OBS) says of a running request now: its job; the image an earlier attempt made
 * when it was found without its job; an export's object when the export awaits evidence. Null
 * when IMS could not be asked this time.
 */
export async function observeJob(deps: ObserveDeps, record: StoredRequest, auth: ImsAuth | null = null): Promise<LifecycleEvent | null> {
  const { ims, now } = deps;
  const obs = deps.obs ?? null;
  const target = imsTargetOf(record, auth);
  if (awaitingEvidence(record)) return { type: 'evidence-checked', at: now(), evidence: await exportObjectEvidence(obs, record) };
  try {
    if (record.ims_job_id) {
      const jobId = record.ims_job_id;
      try {
        const job = await ims.getJob(target, jobId);
        return { type: 'job-status', at: now(), status: job.status, jobId, progress: job.progress, ...jobResult(job) };
      } catch (error) {
        // A 404 for a job IMS gave us: counted by the core; at its limit the evidence decides.
        if (!isImsError(error) || error.status !== 404) throw error;
        if (!jobNotFoundSettles(record, deps.timings)) return { type: 'job-not-found', at: now(), jobId };
        return { type: 'job-not-found', at: now(), jobId, evidence: await evidenceOf({ ims, obs }, record, auth) };
      }
    }
    if (record.image_id) {
      const image = await ims.getImage(target, record.image_id);
      const status = image?.status;
      if (status === 'active') return { type: 'job-status', at: now(), status: 'SUCCESS', imageId: record.image_id };
      if (!image || status === 'killed' || status === 'deleted') {
        return {
          type: 'job-status',
          at: now(),
          status: 'FAIL',
          errorCode: 'IMAGE_NOT_ACTIVE',
          failReason: `image ${record.image_id} is ${status ?? 'gone'}`,
        };
      }
      return { type: 'job-status', at: now(), status: 'RUNNING' };
    }
    return { type: 'deadline-passed', at: now() };
  } catch (error) {
    if (isImsError(error)) return null;
    throw error;
  }
}
