// Looking for the result of a submission whose answer (or job) IMS lost: an export's target object
// in OBS, or the image an import or capture made. What is found is evidence for the pure core to
// decide on; nothing found, or no way to look, is never taken as success.
import type { ImsClient } from '../ims/client.js';
import { isImsError } from '../ims/errors.js';
import type { ImsAuth } from '../ims/settings.js';
import { createObsClient, ObsError, splitBucketUrl, type ObsClient } from '../obs/client.js';
import type { ObsSettings } from '../obs/settings.js';
import type { SigningKey } from '../obs/sigv4.js';
import type { TenantDirectory } from '../tenants.js';
import type { Evidence } from './lifecycle.js';
import type { StoredRequest } from './record.js';
import { findEarlierImage, imageEvidence } from './submit.js';

/** OBS as the evidence of exports: the client, and the AK/SK to read a request's bucket with (null: none available). */
export interface ObsEvidence {
  client: ObsClient;
  keyFor(record: StoredRequest): SigningKey | null;
}

/**
 * OBS as evidence, read as the request's tenant when its IMS credentials are AK/SK (then its IMS
 * user wrote the object), else with the service's key (IMS_AK/IMS_SK, else OBS_AK/OBS_SK); null: none.
 */
export function createObsEvidence(settings: ObsSettings, serviceKey: SigningKey | null, tenants: Pick<TenantDirectory, 'byId'>, now?: () => Date): ObsEvidence {
  return {
    client: createObsClient(settings, now),
    keyFor(record) {
      const own = tenants.byId(record.tenant)?.ims_credentials;
      return own && 'ak' in own ? { ak: own.ak, sk: own.sk } : serviceKey;
    },
  };
}

export const NO_OBS_CREDENTIALS = 'no OBS credentials (AK/SK) are configured, so the object cannot be looked for';

/** The OBS target of a request's bucket: its region (a bucket IMS uses is in the request's region) and the key to sign with. */
export function obsTargetOf(obs: ObsEvidence | null, record: StoredRequest): { client: ObsClient; target: { region: string; key: SigningKey } } | null {
  const key = obs?.keyFor(record) ?? null;
  if (!obs || !key) return null;
  return { client: obs.client, target: { region: record.region, key } };
}

/** What OBS shows of an export's target object: complete (OBS lists an object only once its upload finished), not there, or unknown. */
export async function exportObjectEvidence(obs: ObsEvidence | null, record: StoredRequest): Promise<Evidence> {
  const place = typeof record.params.bucket_url === 'string' ? splitBucketUrl(record.params.bucket_url) : null;
  if (!place) return { found: 'unknown', reason: 'the request names no bucket_url' };
  const reader = obsTargetOf(obs, record);
  if (!reader) return { found: 'unknown', reason: NO_OBS_CREDENTIALS };
  try {
    const head = await reader.client.headObject(reader.target, place.bucket, place.object);
    // An empty object is no exported image.
    if (head.exists && head.size !== 0) return { found: 'object' };
    return { found: 'nothing', detail: head.exists ? 'the object is empty' : 'the object is not there (yet)' };
  } catch (error) {
    if (error instanceof ObsError) return { found: 'unknown', reason: error.message };
    throw error;
  }
}

/** The image a submission of this import or capture made, in any status, or that there is none. */
export async function madeImageEvidence(ims: ImsClient, record: StoredRequest, auth: ImsAuth | null = null): Promise<Evidence> {
  try {
    const image = await findEarlierImage(ims, record, auth);
    return image ? imageEvidence(image) : { found: 'nothing', detail: 'no image of the request\'s name and origin exists' };
  } catch (error) {
    if (isImsError(error)) return { found: 'unknown', reason: `IMS could not be asked for the image: ${error.message}` };
    throw error;
  }
}

/** The evidence of a request's result, by its kind. */
export function evidenceOf(deps: { ims: ImsClient; obs: ObsEvidence | null }, record: StoredRequest, auth: ImsAuth | null = null): Promise<Evidence> {
  return record.kind === 'export' ? exportObjectEvidence(deps.obs, record) : madeImageEvidence(deps.ims, record, auth);
}
