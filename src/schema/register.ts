import { ApiError } from "../errors";
import { type CompiledSchema, compileSchema, metaValidator, type SchemaError, toSchemaErrors } from "./compile";
import { type Draft, type DraftName, draftFor, SUPPORTED_DRAFT_URIS } from "./drafts";
import { checkRefs } from "./refs";
import { isSchemaObject, type SchemaObject, SchemaTooDeep, walkSchemas } from "./walk";

export interface CheckedSchema {
  schema: SchemaObject;
  draft: Draft;
  compiled: CompiledSchema;
}

const metaValidators = new Map<DraftName, ReturnType<typeof metaValidator>>();

/**
 * Applies the schema registration rules of API.md, in order, to a schema an operator sent: a JSON
 * object, a supported draft, valid against its meta-schema, no reference outside the document, and
 * every root `example` valid against it. Each failure is a 400 saying what to fix.
 */
export function checkSchema(schema: unknown): CheckedSchema {
  if (!isSchemaObject(schema)) {
    throw new ApiError("bad_request", "`schema` must be a JSON Schema object.");
  }
  const draft = draftFor(schema.$schema);
  if (!draft) {
    throw new ApiError(
      "bad_request",
      `Unsupported $schema ${JSON.stringify(schema.$schema)}. Supported drafts: ${SUPPORTED_DRAFT_URIS.join(", ")} (absent means draft-07).`,
      { extra: { supported_drafts: SUPPORTED_DRAFT_URIS } },
    );
  }
  try {
    walkSchemas(schema, null, () => null);
  } catch (e) {
    if (e instanceof SchemaTooDeep) throw new ApiError("bad_request", "The schema is nested too deeply (over 64 levels).");
    throw e;
  }

  let meta = metaValidators.get(draft.name);
  if (!meta) {
    meta = metaValidator(draft);
    metaValidators.set(draft.name, meta);
  }
  const metaResult = guard(() => meta.validate(schema));
  if (!metaResult.valid) {
    throw new ApiError("bad_request", `The schema is not a valid ${draft.name} JSON Schema.`, {
      extra: { errors: toSchemaErrors(metaResult.errors) },
    });
  }

  const refProblems = checkRefs(schema, draft);
  if (refProblems.length > 0) {
    const first = refProblems[0]!;
    throw new ApiError("bad_request", `The schema's $ref ${JSON.stringify(first.ref)} ${first.reason}.`, {
      extra: { refs: refProblems },
    });
  }

  const compiled = guard(() => compileSchema(schema));
  const examples = schema.examples;
  if (Array.isArray(examples)) {
    const failures = examples.flatMap((example, index) => guard(() => compiled.validate(example)).map((e) => ({ example: index, ...e })));
    if (failures.length > 0) {
      const first = failures[0]!;
      throw new ApiError("bad_request", `examples[${first.example}] does not validate against the schema: ${first.message}`, {
        extra: { errors: failures },
      });
    }
  }
  return { schema, draft, compiled };
}

/** Records (examples, recent records) that would be refused under the new schema. */
export function incompatibilities(
  compiled: CompiledSchema,
  candidates: Array<{ source: string; index: number; record: unknown }>,
): Array<{ source: string; index: number; errors: SchemaError[] }> {
  const out = [];
  for (const { source, index, record } of candidates) {
    const errors = guard(() => compiled.validate(record));
    if (errors.length > 0) out.push({ source, index, errors });
  }
  return out;
}

/**
 * The validator interprets the schema lazily, so some faults (an invalid `pattern` regex, say)
 * only surface while validating: they are the operator's to fix, hence 400, not 500.
 */
function guard<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new ApiError("bad_request", `The schema cannot be evaluated: ${reason}`);
  }
}
