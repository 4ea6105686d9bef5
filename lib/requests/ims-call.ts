// From a request's params to the IMS call it makes: which operation, and the body IMS is sent. Pure;
// shared by intake (which checks the body with the IMS schemas) and the worker (which sends it).
import type { CaptureBody, DataImportBody, ExportBody, QuickImportBody, SystemImportBody } from '../ims/schemas.js';
import type { RequestKind } from './record.js';

type Params = Record<string, unknown>;

function pick(params: Params, keys: readonly string[]): Params {
  return Object.fromEntries(keys.filter((k) => params[k] !== undefined).map((k) => [k, params[k]]));
}

const TAGGING = ['description', 'tags', 'image_tags'] as const;

export type ImsCall =
  | { op: 'export'; imageId: string; body: ExportBody }
  | { op: 'import'; disk: 'system'; body: SystemImportBody }
  | { op: 'import'; disk: 'data'; body: DataImportBody }
  | { op: 'import'; disk: 'quick'; body: QuickImportBody }
  | { op: 'capture'; body: CaptureBody };

/**
 * The IMS call a request of `kind` with these params makes. Intake builds it too, to check the body
 * with the IMS client's own schemas before the request is accepted, so the rules are read once.
 */
export function imsCallOf(kind: RequestKind, p: Params): ImsCall {
  switch (kind) {
    case 'export':
      return { op: 'export', imageId: String(p.image_id), body: pick(p, ['bucket_url', 'file_format', 'is_quick_export']) as ExportBody };
    case 'capture':
      return { op: 'capture', body: pick(p, ['name', 'instance_id', 'max_ram', 'min_ram', ...TAGGING]) as CaptureBody };
    case 'import': {
      const common = ['name', 'image_url', 'min_disk', ...TAGGING];
      if (p.quick === true) {
        const body = pick(p, [...common, 'os_version', 'type', 'os_type']);
        if (p.disk === 'data') body.type = 'DataImage';
        return { op: 'import', disk: 'quick', body: body as QuickImportBody };
      }
      if (p.disk === 'data') return { op: 'import', disk: 'data', body: pick(p, [...common, 'os_type', 'cmk_id']) as DataImportBody };
      const body = pick(p, [...common, 'os_version', 'is_config', 'is_config_init', 'cmk_id', 'type', 'max_ram', 'min_ram']);
      return { op: 'import', disk: 'system', body: body as SystemImportBody };
    }
  }
}

