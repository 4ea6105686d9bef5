// The OBS checks before a submission: what IMS documents it will refuse about the buckets and
// objects of a request, read from OBS before anything is sent. An export's target object must not
// exist yet (IMS never overwrites one, and then a later IMG.0070 can only be about our own export),
// its bucket must be in the request's region and of the Standard class; an import's source object
// must exist (in a bucket of the request's region). Without OBS credentials the checks are skipped
// and the record says so; an OBS read that fails leaves the decision to IMS.
import { ObsError, splitBucketUrl } from '../obs/client.js';
import { NO_OBS_CREDENTIALS, obsTargetOf, type ObsEvidence } from './evidence.js';
import type { StoredRequest } from './record.js';

export type ObsPrecheck =
  /** Refused: IMS's code where it has one (IMG.0070, IMG.0058), else ours. */
  | { outcome: 'refused'; code: 'IMG.0070' | 'IMG.0058' | 'BUCKET_STORAGE_CLASS' | 'SOURCE_OBJECT_MISSING'; message: string }
  | { outcome: 'passed' }
  /** Not checked (no credentials, OBS not answering): IMS decides; `note` is what the record shows. */
  | { outcome: 'skipped'; note: string };

/** The OBS location a request reads or writes: an export's target, an import's source. */
function locationOf(record: StoredRequest): { bucket: string; object: string; role: 'target' | 'source' } | null {
  const url = record.kind === 'export' ? record.params.bucket_url : record.kind === 'import' ? record.params.image_url : undefined;
  const place = typeof url === 'string' ? splitBucketUrl(url) : null;
  return place && { ...place, role: record.kind === 'export' ? 'target' : 'source' };
}

export async function precheckObs(obs: ObsEvidence | null, record: StoredRequest): Promise<ObsPrecheck> {
  const place = locationOf(record);
  if (!place) return { outcome: 'passed' };
  const reader = obsTargetOf(obs, record);
  if (!reader) return { outcome: 'skipped', note: `OBS checks before submission skipped: ${NO_OBS_CREDENTIALS}` };
  const { client, target } = reader;
  const where = `${place.bucket}:${place.object}`;
  try {
    const region = await client.bucketRegion(target, place.bucket);
    if (region !== record.region) {
      return { outcome: 'refused', code: 'IMG.0058', message: `the bucket ${place.bucket} is in region ${region}, the request in ${record.region}` };
    }
    if (place.role === 'target') {
      const storageClass = await client.bucketStorageClass(target, place.bucket);
      if (storageClass !== 'STANDARD') {
        return { outcome: 'refused', code: 'BUCKET_STORAGE_CLASS', message: `the bucket ${place.bucket} is of the ${storageClass} storage class; IMS exports only to Standard buckets` };
      }
      const head = await client.headObject(target, place.bucket, place.object);
      if (head.exists) return { outcome: 'refused', code: 'IMG.0070', message: `the object ${where} already exists; IMS never overwrites one` };
      return { outcome: 'passed' };
    }
    const head = await client.headObject(target, place.bucket, place.object);
    if (!head.exists) return { outcome: 'refused', code: 'SOURCE_OBJECT_MISSING', message: `the object ${where} does not exist in OBS (or its upload has not finished)` };
    return { outcome: 'passed' };
  } catch (error) {
    if (!(error instanceof ObsError)) throw error;
    // An import's source in a bucket that does not exist is missing; for an export IMS decides (IMG.0069).
    if (error.kind === 'no-bucket' && place.role === 'source') {
      return { outcome: 'refused', code: 'SOURCE_OBJECT_MISSING', message: `the bucket ${place.bucket} does not exist` };
    }
    return { outcome: 'skipped', note: `OBS checks before submission skipped: ${error.message}` };
  }
}
