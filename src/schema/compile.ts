import { Validator, type OutputUnit } from "@cfworker/json-schema";
import { draftFor, type Draft } from "./drafts";
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
  const validator = new Validator(draft.metaSchema as object, draft.mode, false);
  for (const vocabulary of draft.vocabularies) validator.addSchema(vocabulary as object);
  return validator;
}

/**
 * cfworker reports every level of a failure (`properties`, then the `type` inside it); a client wants
 * the innermost ones, which say what is actually wrong.
 */
export function toSchemaErrors(units: OutputUnit[]): SchemaError[] {
  // A `false` subschema (e.g. `additionalProperties: false`) reports "False boolean schema." right
  // after its parent unit, which names the keyword: the two become one error at the child's path.
  const mergedParents = new Set<number>();
  units.forEach((unit, i) => {
    if (unit.keyword === "false" && i > 0) mergedParents.add(i - 1);
  });
  const out: SchemaError[] = [];
  units.forEach((unit, i) => {
    if (mergedParents.has(i)) return;
    const prefix = `${unit.keywordLocation}/`;
    if (units.some((other, j) => j !== i && other.keywordLocation.startsWith(prefix))) return;
    const source = unit.keyword === "false" && i > 0 ? units[i - 1]! : unit;
    out.push({ path: pointer(unit.instanceLocation), keyword: source.keyword, message: source.error });
  });
  return out;
}

function pointer(location: string): string {
  return location.startsWith("#") ? location.slice(1) : location;
}
