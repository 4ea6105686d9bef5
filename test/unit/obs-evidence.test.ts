// Whose AK/SK reads OBS for a request: its tenant's own when its IMS credentials are AK/SK (the
// tenant's IMS user wrote the object), else the service's, else none (and then nothing is inferred).
import { describe, expect, it } from 'vitest';
import { obsSettings } from '../../lib/obs/settings.js';
import { createObsEvidence } from '../../lib/requests/evidence.js';
import { hashSecret, newWebhookSecret, parseTenants, tenantDirectory } from '../../lib/tenants.js';
import { storedRequestFixture } from '../helpers/records.js';
import { registerSecret } from '../helpers/secrets.js';

const tenantSk = registerSecret('tenant-obs-secret-0001');
const serviceSk = registerSecret('service-obs-secret-0001');
const whsec = registerSecret(newWebhookSecret());
const tenants = tenantDirectory(
  parseTenants(
    JSON.stringify([
      { id: 'own-aksk', api_key_sha256: [hashSecret('k1')], webhook_secrets: [whsec], ims_credentials: { ak: 'AKTENANT0001', sk: tenantSk } },
      { id: 'own-password', api_key_sha256: [hashSecret('k2')], webhook_secrets: [whsec], ims_credentials: { user: 'u', password: registerSecret('tenant-pw-0001'), domain: 'd' } },
      { id: 'plain', api_key_sha256: [hashSecret('k3')], webhook_secrets: [whsec] },
    ]),
  ),
);
const settings = obsSettings.parse({});
const recordOf = (tenant: string) => storedRequestFixture({ id: `req_${tenant}`, tenant });

describe('the OBS key of a request', () => {
  it("is the tenant's own AK/SK, else the service's", async () => {
    const obs = createObsEvidence(settings, { ak: 'AKSERVICE', sk: serviceSk }, tenants);
    expect(obs.keyFor(recordOf('own-aksk'))).toEqual({ ak: 'AKTENANT0001', sk: tenantSk });
    expect(obs.keyFor(recordOf('own-password'))).toEqual({ ak: 'AKSERVICE', sk: serviceSk });
    expect(obs.keyFor(recordOf('plain'))).toEqual({ ak: 'AKSERVICE', sk: serviceSk });
    await obs.client.close();
  });

  it('is none without either, so OBS is not read', async () => {
    const obs = createObsEvidence(settings, null, tenants);
    expect(obs.keyFor(recordOf('plain'))).toBeNull();
    expect(obs.keyFor(recordOf('own-password'))).toBeNull();
    expect(obs.keyFor(recordOf('own-aksk'))).toEqual({ ak: 'AKTENANT0001', sk: tenantSk });
    await obs.client.close();
  });
});
