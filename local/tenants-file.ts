// LOCAL_TENANTS_FILE: tenants `npm start` serves besides its own tenant `local`, as a JSON array in the
// shape of the TENANTS setting. A problem names the file and the tenant's field, never a value (they
// hold key hashes and webhook secrets).
import { readFile } from 'node:fs/promises';
import { tenantsSchema, type Tenant } from '../lib/tenants.js';

export type TenantsFileResult = { ok: true; tenants: Tenant[] } | { ok: false; problem: string };

/** The tenants in `path`; `reservedIds` (tenant `local`) may not be among them. */
export async function readTenantsFile(path: string, reservedIds: readonly string[]): Promise<TenantsFileResult> {
  const problem = (what: string): TenantsFileResult => ({ ok: false, problem: `LOCAL_TENANTS_FILE ${path}: ${what}` });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return problem(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return problem('is not valid JSON (expected an array of tenants, as in the TENANTS setting)');
  }
  const parsed = tenantsSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => {
      const [index, ...field] = i.path;
      if (typeof index !== 'number') return `${i.message}${i.path.length ? ` (${i.path.join('.')})` : ''}`;
      const id = Array.isArray(raw) ? (raw[index] as { id?: unknown } | null)?.id : undefined;
      const tenant = typeof id === 'string' && /^[a-z0-9-]{1,63}$/.test(id) ? `tenant ${index} (${id})` : `tenant ${index}`;
      return `${tenant} ${field.join('.') || '(the tenant)'}: ${i.message}`;
    });
    return problem(where.join('; '));
  }
  const taken = parsed.data.filter((t) => reservedIds.includes(t.id));
  if (taken.length) return problem(`tenant id ${taken.map((t) => `"${t.id}"`).join(', ')} is npm start's own; give the tenant another id`);
  return { ok: true, tenants: parsed.data };
}
