// The poller's read of a running request: what IMS says of its job (or of the image an earlier
// attempt made), as a lifecycle event for the pure core to decide on.
import type { ImsClient } from '../ims/client.js';
import { isImsError } from '../ims/errors.js';
import { jobResult } from '../ims/schemas.js';
import type { LifecycleEvent } from './lifecycle.js';
import type { StoredRequest } from './record.js';
import type { ImsAuth } from '../ims/settings.js';
import { imsTargetOf } from './submit.js';

/**
 * What IMS says of a running request now: its job, or (when an earlier attempt's image was found
 * without its job) the image itself. Null when IMS could not be asked this time.
 */
export async function observeJob(ims: ImsClient, record: StoredRequest, now: () => Date, auth: ImsAuth | null = null): Promise<LifecycleEvent | null> {
  const target = imsTargetOf(record, auth);
  try {
    if (record.ims_job_id) {
      const job = await ims.getJob(target, record.ims_job_id);
      return { type: 'job-status', at: now(), status: job.status, jobId: record.ims_job_id, progress: job.progress, ...jobResult(job) };
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
