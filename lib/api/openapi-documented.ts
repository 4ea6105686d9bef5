// How the OpenAPI document's words go onto the schemas: documented copies of the runtime schemas, made
// at build time only, so the schemas every function runs carry no descriptions and fill no registry at
// cold start. Used by lib/api/openapi-docs*.ts; like them, no function bundles it
// (test/unit/bundle-contents.test.ts keeps lib/api/openapi* out of every bundle).
import * as z from '../zod.js';

/** A description, or the metadata zod-openapi reads (description, example, format, id). */
type Meta = string | z.core.GlobalMeta;

const toMeta = (meta: Meta): z.core.GlobalMeta => (typeof meta === 'string' ? { description: meta } : meta);

/** Each documented copy and the runtime schema it copies, so a copy can only stand where its original stands. */
const originals = new WeakMap<z.core.$ZodType, z.core.$ZodType>();

/**
 * A copy of `schema` documented in the global registry, as classic zod's `.describe()` and `.meta()` make
 * it. A copy, because metadata belongs to one instance and one instance (`uuid`, `obsUrl`) stands in
 * several fields; not mini's `z.describe()` check, which travels with every schema derived from it.
 */
export function documented<T extends z.ZodMiniType>(schema: T, meta: Meta): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, toMeta(meta));
  originals.set(copy, schema);
  return copy;
}

const INSIDE = Symbol('inside');
interface Inside {
  [INSIDE]: Meta | z.ZodMiniType;
  outer: Meta | undefined;
}

/**
 * Documents what the field's optional, nullable, default and array wrappers hold (the field itself when it has
 * none): a description there (a header parameter, or one branch of a nullable's anyOf, shows it there), or a
 * documented copy of that schema (a component that must be the one instance named in the document). `outer`
 * describes the field as written too.
 */
export const inside = (what: Meta | z.ZodMiniType, outer?: Meta): Inside => ({ [INSIDE]: what, outer });

/** How a field is shown: its description (on the field as written), `inside(...)`, or null for none. */
type FieldDoc = Meta | Inside | null;

/** One entry for every field of the shape, so a field added or renamed in the runtime schema fails typecheck. */
export type FieldDocs<Shape extends z.core.$ZodShape> = { [K in keyof Shape]-?: FieldDoc };

type AnyObject = z.ZodMiniObject<z.core.$ZodShape, z.core.$ZodObjectConfig>;

const WRAPPED = { optional: 'innerType', nullable: 'innerType', default: 'innerType', array: 'element' } as const;

/**
 * `def` with `changes` laid over it, its getters kept (a default's value is computed on each read), as zod's
 * own copies do: z.core.util.mergeDefs, which reached through the namespace would bundle all of zod's core into the CLI.
 */
function withChanges<D extends object>(def: D, changes: Record<string, unknown>): D {
  return Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(def), ...Object.getOwnPropertyDescriptors(changes) }) as D;
}

/** `schema` with the schema its wrappers hold replaced by `replace(held)`. */
function rewrapped(schema: z.core.$ZodType, replace: (held: z.core.$ZodType) => z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const key = WRAPPED[def.type as keyof typeof WRAPPED] as string | undefined;
  if (key === undefined) return replace(schema);
  return (schema as z.ZodMiniType).clone(withChanges(def, { [key]: rewrapped(def[key] as z.core.$ZodType, replace) }));
}

/** A field's description wherever it was put: on the field as written, else on what its wrappers hold (`inside(...)`). */
export function descriptionOf(field: z.core.$ZodType): string | undefined {
  for (let schema: z.core.$ZodType | undefined = field; schema; ) {
    const text = z.globalRegistry.get(schema)?.description;
    if (text) return text;
    const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    const key = WRAPPED[def.type as keyof typeof WRAPPED] as string | undefined;
    schema = key === undefined ? undefined : (def[key] as z.core.$ZodType);
  }
  return undefined;
}

const isSchema = (what: Meta | z.ZodMiniType): what is z.ZodMiniType => typeof what === 'object' && '_zod' in what;

function documentedField(field: z.core.$ZodType, doc: FieldDoc, where: string): z.core.$ZodType {
  if (doc === null) return field;
  if (typeof doc === 'string' || !(INSIDE in doc)) return documented(field as z.ZodMiniType, doc);
  const what = doc[INSIDE];
  const held = rewrapped(field, (schema) => {
    if (!isSchema(what)) return documented(schema as z.ZodMiniType, what);
    if (originals.get(what) !== schema) throw new Error(`${where}: the documented schema given is not a copy of the one the field holds`);
    return what;
  });
  return doc.outer === undefined ? held : documented(held as z.ZodMiniType, doc.outer);
}

/** A copy of the object `schema` with each field documented as `fields` says, and the object itself by `meta`. */
export function documentedObject<S extends AnyObject>(name: string, schema: S, fields: FieldDocs<S['shape']>, meta?: Meta): S {
  const runtimeShape: z.core.$ZodShape = schema._zod.def.shape;
  // The types say the same; this catches a table spread from another (a field dropped from the schema).
  const stale = Object.keys(fields).filter((key) => !(key in runtimeShape));
  if (stale.length > 0) throw new Error(`${name}: descriptions of fields it does not have: ${stale.join(', ')}`);
  const docs: Record<string, FieldDoc | undefined> = fields;
  const shape = Object.fromEntries(
    Object.entries(runtimeShape).map(([key, field]) => {
      const doc = docs[key];
      if (doc === undefined) throw new Error(`${name}.${key} is in no description table`);
      return [key, documentedField(field, doc, `${name}.${key}`)];
    }),
  );
  const copy = schema.clone(withChanges(schema._zod.def, { shape }));
  originals.set(copy, schema);
  if (meta !== undefined) z.globalRegistry.add(copy, toMeta(meta));
  return copy;
}
