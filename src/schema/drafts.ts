import type { SchemaDraft } from "@cfworker/json-schema";
import d2019Applicator from "ajv/dist/refs/json-schema-2019-09/meta/applicator.json";
import d2019Content from "ajv/dist/refs/json-schema-2019-09/meta/content.json";
import d2019Core from "ajv/dist/refs/json-schema-2019-09/meta/core.json";
import d2019Format from "ajv/dist/refs/json-schema-2019-09/meta/format.json";
import d2019MetaData from "ajv/dist/refs/json-schema-2019-09/meta/meta-data.json";
import d2019Validation from "ajv/dist/refs/json-schema-2019-09/meta/validation.json";
import d2019 from "ajv/dist/refs/json-schema-2019-09/schema.json";
import d2020Applicator from "ajv/dist/refs/json-schema-2020-12/meta/applicator.json";
import d2020Content from "ajv/dist/refs/json-schema-2020-12/meta/content.json";
import d2020Core from "ajv/dist/refs/json-schema-2020-12/meta/core.json";
import d2020Format from "ajv/dist/refs/json-schema-2020-12/meta/format-annotation.json";
import d2020MetaData from "ajv/dist/refs/json-schema-2020-12/meta/meta-data.json";
import d2020Unevaluated from "ajv/dist/refs/json-schema-2020-12/meta/unevaluated.json";
import d2020Validation from "ajv/dist/refs/json-schema-2020-12/meta/validation.json";
import d2020 from "ajv/dist/refs/json-schema-2020-12/schema.json";
import draft06 from "ajv/dist/refs/json-schema-draft-06.json";
import draft07 from "ajv/dist/refs/json-schema-draft-07.json";
// The official meta-schemas, as shipped by ajv (draft-04 by ajv-draft-04). Bundled at build time:
// nothing a schema names is ever fetched at run time.
import draft04Official from "ajv-draft-04/dist/refs/json-schema-draft-04.json";

export type DraftName = "draft-04" | "draft-06" | "draft-07" | "2019-09" | "2020-12";

export interface Draft {
  name: DraftName;
  /** The `$schema` URI that names it. */
  uri: string;
  /**
   * The mode @cfworker/json-schema validates instances with. It has no draft-06 mode: draft-06 runs
   * in draft-07 mode after `if`/`then`/`else` (the only draft-07 assertions draft-06 lacks) are
   * removed from the schema, see `toDraft06Semantics`.
   */
  mode: SchemaDraft;
  metaSchema: object;
  /** Vocabulary meta-schemas the main one refers to. */
  vocabularies: object[];
  /** Whether the schema's identifier keyword is `id` (draft-04) rather than `$id`. */
  legacyId: boolean;
}

/**
 * The draft-04 meta-schema gives `id` the format "uri", yet draft-04 itself uses relative ids
 * ("#foo", "d.json"), and cfworker asserts formats: "uri-reference", as draft-06 corrected it.
 */
const draft04 = { ...draft04Official, properties: { ...draft04Official.properties, id: { type: "string", format: "uri-reference" } } };

const DRAFTS: Draft[] = [
  { name: "draft-04", uri: "http://json-schema.org/draft-04/schema#", mode: "4", metaSchema: draft04, vocabularies: [], legacyId: true },
  { name: "draft-06", uri: "http://json-schema.org/draft-06/schema#", mode: "7", metaSchema: draft06, vocabularies: [], legacyId: false },
  { name: "draft-07", uri: "http://json-schema.org/draft-07/schema#", mode: "7", metaSchema: draft07, vocabularies: [], legacyId: false },
  {
    name: "2019-09",
    uri: "https://json-schema.org/draft/2019-09/schema",
    mode: "2019-09",
    metaSchema: d2019,
    vocabularies: [d2019Core, d2019Applicator, d2019Validation, d2019MetaData, d2019Format, d2019Content],
    legacyId: false,
  },
  {
    name: "2020-12",
    uri: "https://json-schema.org/draft/2020-12/schema",
    mode: "2020-12",
    metaSchema: d2020,
    vocabularies: [d2020Core, d2020Applicator, d2020Unevaluated, d2020Validation, d2020MetaData, d2020Format, d2020Content],
    legacyId: false,
  },
];

export const DEFAULT_DRAFT = DRAFTS[2]!;
export const SUPPORTED_DRAFT_URIS = DRAFTS.map((d) => d.uri);

/** `http`/`https` and a trailing `#` or empty fragment are not significant in a `$schema` URI. */
function normaliseUri(uri: string): string {
  return uri
    .trim()
    .replace(/^https?:\/\//, "")
    .replace(/#$/, "");
}

const BY_URI = new Map(DRAFTS.map((d) => [normaliseUri(d.uri), d]));

/** The draft a `$schema` value selects; `undefined` for one we do not support. Absent means draft-07. */
export function draftFor(schemaUri: unknown): Draft | undefined {
  if (schemaUri === undefined) return DEFAULT_DRAFT;
  if (typeof schemaUri !== "string") return undefined;
  return BY_URI.get(normaliseUri(schemaUri));
}
