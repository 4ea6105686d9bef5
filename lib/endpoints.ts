// Regional endpoints of the cloud's services (IAM, IMS, OBS), written as templates: `{region}`
// is replaced by the region a call is for, so a region served elsewhere needs only an override.
import * as z from './zod.js';

/** An http(s) origin, optionally with `{region}`, without path or query. */
export const endpointTemplate = z.string().check(
  z.minLength(1),
  z.refine((s) => {
    try {
      const u = new URL(s.replaceAll('{region}', 'eu-de'));
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.pathname.replace(/\/+$/, '') === '' && !u.search;
    } catch {
      return false;
    }
  }, 'must be an http(s) origin, optionally with {region}, without path or query'),
);
