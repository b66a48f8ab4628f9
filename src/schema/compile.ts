import { type OutputUnit, Validator } from "@cfworker/json-schema";
import { type Draft, draftFor } from "./drafts";
import { mapSchemas, type SchemaObject } from "./walk";

/** One validation failure, in the shape API.md gives for record errors (without `record`). */
export interface SchemaError {
  /** JSON Pointer into the instance ("" is the whole instance). */
  path: string;
  keyword: string;
  message: string;
}

export interface CompiledSchema {
  draft: Draft;
  validate(instance: unknown): SchemaError[];
}

/**
 * Draft-06 lacks `if`/`then`/`else`; in a draft-06 schema they are unknown keywords and must be
 * ignored. Everything else draft-07 added is annotation only, so a draft-06 schema without those
 * three keywords validates identically in draft-07 mode.
 */
export function toDraft06Semantics(schema: SchemaObject): SchemaObject {
  return mapSchemas(schema, (node) => {
    if (!("if" in node || "then" in node || "else" in node)) return node;
    const { if: _if, then: _then, else: _else, ...rest } = node;
    return rest;
  });
}

/** Compiles a registered (already checked) schema. @cfworker/json-schema interprets, never `eval`s. */
export function compileSchema(schema: SchemaObject): CompiledSchema {
  const draft = draftFor(schema.$schema);
  if (!draft) throw new Error(`unsupported $schema ${String(schema.$schema)}`);
  const effective = draft.name === "draft-06" ? toDraft06Semantics(schema) : schema;
  const validator = new Validator(effective as object, draft.mode, false);
  return { draft, validate: (instance) => toSchemaErrors(validator.validate(instance).errors) };
}

/** A validator for schemas of one draft: the draft's meta-schema with its vocabularies. */
export function metaValidator(draft: Draft): Validator {
  const mainId = (draft.metaSchema as { $id?: unknown }).$id;
  const prepare = (schema: object) => (typeof mainId === "string" ? staticMetaRefs(schema, mainId) : schema) as object;
  const validator = new Validator(prepare(draft.metaSchema), draft.mode, false);
  for (const vocabulary of draft.vocabularies) validator.addSchema(prepare(vocabulary));
  return validator;
}

/**
 * The 2019-09/2020-12 meta-schemas reach subschemas through `$recursiveRef: "#"` / `$dynamicRef:
 * "#meta"`. cfworker has no `$dynamicRef` and resolves that `$recursiveRef` within the vocabulary,
 * so nested subschemas (`properties/a`, `items/0`) would escape meta-validation. Only the official
 * meta-schemas are used, so the dynamic scope always ends at the draft's main meta-schema: the
 * references are made static `$ref`s to it, which is what they resolve to.
 */
function staticMetaRefs(node: unknown, mainId: string): unknown {
  if (Array.isArray(node)) return node.map((item) => staticMetaRefs(item, mainId));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === "$dynamicRef" && value === "#meta") || (key === "$recursiveRef" && value === "#")) out.$ref = mainId;
    else out[key] = staticMetaRefs(value, mainId);
  }
  return out;
}

/**
 * cfworker reports every level of a failure (`properties`, then the `type` inside it); a client wants
 * the innermost ones, which say what is actually wrong.
 */
export function toSchemaErrors(units: OutputUnit[]): SchemaError[] {
  // A `false` subschema (e.g. `additionalProperties: false`) reports "False boolean schema." after
  // the unit of the keyword that applied it, with its *instance* location as `keywordLocation`
  // (at the root that is "#", which would look like the parent of every unit). Each such unit is
  // judged by, and becomes one error with, the nearest preceding non-`false` unit, at its own path.
  const parentOf = new Map<number, number>();
  let lastReal = -1;
  units.forEach((unit, i) => {
    if (unit.keyword !== "false") lastReal = i;
    else if (lastReal >= 0) parentOf.set(i, lastReal);
  });
  const mergedParents = new Set(parentOf.values());
  const out: SchemaError[] = [];
  const seen = new Set<string>();
  units.forEach((unit, i) => {
    if (mergedParents.has(i)) return;
    const source = units[parentOf.get(i) ?? i]!;
    const prefix = `${source.keywordLocation}/`;
    if (units.some((other, j) => j !== i && other.keyword !== "false" && other.keywordLocation.startsWith(prefix))) return;
    const error = { path: pointer(unit.instanceLocation), keyword: source.keyword, message: source.error };
    const key = JSON.stringify(error);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(error);
  });
  // Never turn a failed validation into an empty list: callers treat "no errors" as valid.
  if (out.length === 0 && units.length > 0) {
    const first = units[0]!;
    out.push({ path: pointer(first.instanceLocation), keyword: first.keyword, message: first.error });
  }
  return out;
}

function pointer(location: string): string {
  return location.startsWith("#") ? location.slice(1) : location;
}
