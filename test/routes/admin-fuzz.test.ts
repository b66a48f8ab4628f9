/**
 * Property tests: generated junk (bodies, content types, Authorization headers, ids and query
 * values) thrown at every admin dataset route. Whatever arrives, the answer is never a 5xx, every
 * 4xx is a well-formed problem+json, and every 2xx is the success envelope.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createDataset } from "../helpers";

const MIB = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOKEN = `Bearer ${ADMIN_TOKEN}`;

const DRAFT_URIS = [
  "http://json-schema.org/draft-04/schema#",
  "http://json-schema.org/draft-06/schema#",
  "http://json-schema.org/draft-07/schema#",
  "https://json-schema.org/draft/2019-09/schema",
  "https://json-schema.org/draft/2020-12/schema",
];

// ---------------------------------------------------------------------------------------------
// Generators

/** Header values must be ByteStrings or the *test's* Request constructor throws; workerd warns on non-ASCII. */
const HEADER_CHARS = [9, ...Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => 0x20 + i)].map((c) => String.fromCharCode(c));
const headerText = fc.string({ unit: fc.constantFrom(...HEADER_CHARS), maxLength: 80 });

const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string | undefined>(TOKEN) },
  { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 1, arbitrary: headerText },
  { weight: 1, arbitrary: headerText.map((s) => `Bearer ${s}`) },
  { weight: 1, arbitrary: headerText.map((s) => `Basic ${s}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`,
      `Bearer  ${ADMIN_TOKEN}`,
      `bearer ${ADMIN_TOKEN.toUpperCase()}`,
      `Bearer ${ADMIN_TOKEN.slice(1)}`,
      `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`,
      `Bearer ${"A".repeat(8000)}`,
      ADMIN_TOKEN,
    ),
  },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | undefined>(
      "application/json; charset=utf-8",
      "application/json; charset=latin1",
      "application/problem+json",
      "application/vnd.api+json",
      "APPLICATION/JSON",
      "application/json;;;=",
      "text/plain",
      "text/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=xyz",
      "application/octet-stream",
      "application/x-ndjson",
      "",
      ";",
      undefined,
    ),
  },
  { weight: 1, arbitrary: headerText },
);

const deep = {
  array: (n: number) => "[".repeat(n) + "]".repeat(n),
  object: (n: number) => `${'{"a":'.repeat(n)}0${"}".repeat(n)}`,
  unbalanced: (n: number) => "[".repeat(n),
};
const depth = fc.oneof(fc.constantFrom(10_000, 100_000), fc.integer({ min: 1, max: 20_000 }));

/** JSON text of pathologically nested values (10 000 deep and beyond). */
const deepJsonText = fc.oneof(depth.map(deep.array), depth.map(deep.object));

const KEYWORDS = [
  "$schema",
  "$id",
  "id",
  "$ref",
  "$anchor",
  "$defs",
  "definitions",
  "$comment",
  "type",
  "properties",
  "patternProperties",
  "additionalProperties",
  "items",
  "prefixItems",
  "additionalItems",
  "contains",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "required",
  "enum",
  "const",
  "examples",
  "default",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "dependencies",
  "dependentSchemas",
  "dependentRequired",
  "propertyNames",
  "unevaluatedProperties",
  "unevaluatedItems",
  "$recursiveRef",
  "$recursiveAnchor",
  "$dynamicRef",
  "$dynamicAnchor",
  "contentSchema",
  "contentMediaType",
  "contentEncoding",
  "minContains",
  "maxContains",
];

const oddStrings = fc.constantFrom(
  "#",
  "#/",
  "#/definitions/a",
  "#/$defs/a",
  "#a",
  "#/properties/a",
  "#/%",
  "%",
  "%zz",
  "#/definitions/a~2",
  "http://example.com/s.json",
  "https://json-schema.org/draft/2020-12/schema",
  "urn:x:y",
  "a.json",
  "//x",
  "\\\\x",
  "([",
  "(?<n>",
  "\\p{Lu}",
  "[z-a]",
  "a{2,1}",
  "^$",
  "\u0000",
  "\ud800",
  "date-time",
  "email",
  "uri",
  "regex",
  "object",
  "objekt",
  "string",
  "integer",
  "null",
  "any",
  ...DRAFT_URIS,
);

const keywordValue = fc.oneof(
  oddStrings,
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(0, -1, 1e308, -0, 0.1, 2 ** 53 + 1, true, false, null, [], {}),
);

/** Schema-shaped junk: real keywords, recursive subschemas, odd refs, patterns and numbers. */
const { schema: schemaLike } = fc.letrec<{ schema: unknown; list: unknown; map: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.boolean(),
    fc.dictionary(fc.constantFrom(...KEYWORDS), fc.oneof(tie("schema"), tie("list"), tie("map"), keywordValue), { maxKeys: 6 }),
  ),
  list: fc.array(fc.oneof(tie("schema"), keywordValue), { maxLength: 3 }),
  map: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("a", "$ref", "__proto__", "constructor")), tie("schema"), {
    maxKeys: 3,
  }),
}));

/** A schema object holding one to four of the given keywords (a record of all of them grows exponentially). */
function keywordsOf(keywords: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(keywords).map(([key, value]) => value.map((v) => [key, v] as const));
  return fc.uniqueArray(fc.oneof(...entries), { minLength: 1, maxLength: 4, selector: ([key]) => key }).map((e) => Object.fromEntries(e));
}

/** Schemas that mostly pass the meta-schema, so the junk gets to $ref checks, compilation and examples. */
const { schema: plausibleSchema } = fc.letrec<{ schema: unknown; node: unknown }>((tie) => ({
  schema: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.boolean(), tie("node")),
  node: keywordsOf({
    $schema: fc.constantFrom(...DRAFT_URIS),
    $id: fc.constantFrom("#x", "https://example.com/root.json", "urn:x:y", "other.json", "#/a"),
    $anchor: fc.constantFrom("x", "a-b", "1"),
    $ref: fc.constantFrom(
      "#",
      "#/definitions/a",
      "#/$defs/a",
      "#x",
      "#/properties/a",
      "#/definitions/missing",
      "other.json",
      "urn:x:y",
      "#/items/0",
      "#/%25",
      "#/definitions/a~1b",
    ),
    $recursiveRef: fc.constant("#"),
    $dynamicRef: fc.constantFrom("#x", "#meta"),
    type: fc.oneof(
      fc.constantFrom("object", "array", "string", "number", "integer", "boolean", "null"),
      fc.uniqueArray(fc.constantFrom("object", "string", "null"), { minLength: 1 }),
    ),
    properties: fc.dictionary(fc.constantFrom("a", "b", "a/b", "date", "__proto__"), tie("schema"), { maxKeys: 3 }),
    patternProperties: fc.dictionary(fc.constantFrom("^a", "(", "\\d+", "[", ".*"), tie("schema"), { maxKeys: 2 }),
    additionalProperties: tie("schema"),
    definitions: fc.dictionary(fc.constantFrom("a", "a/b", "x"), tie("schema"), { maxKeys: 2 }),
    $defs: fc.dictionary(fc.constantFrom("a", "x"), tie("schema"), { maxKeys: 2 }),
    items: fc.oneof(tie("schema"), fc.array(tie("schema"), { minLength: 1, maxLength: 2 })),
    prefixItems: fc.array(tie("schema"), { minLength: 1, maxLength: 2 }),
    contains: tie("schema"),
    allOf: fc.array(tie("schema"), { minLength: 1, maxLength: 2 }),
    anyOf: fc.array(tie("schema"), { minLength: 1, maxLength: 2 }),
    oneOf: fc.array(tie("schema"), { minLength: 1, maxLength: 2 }),
    not: tie("schema"),
    if: tie("schema"),
    // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here
    then: tie("schema"),
    else: tie("schema"),
    dependencies: fc.dictionary(fc.constantFrom("a", "b"), fc.oneof(tie("schema"), fc.constant(["a"])), { maxKeys: 2 }),
    required: fc.uniqueArray(fc.constantFrom("a", "b", "date"), { maxLength: 2 }),
    enum: fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 3 }),
    const: fc.jsonValue({ maxDepth: 2 }),
    pattern: fc.constantFrom("^a", "(", "[z-a]", "\\p{Lu}", "(?<n>a)\\k<n>", "a{2,1}", "(a+)+$", "\\"),
    format: fc.constantFrom("date", "date-time", "email", "uri", "regex", "ipv4", "uuid", "duration", "unknown-format", "json-pointer"),
    minimum: fc.double({ noNaN: true }),
    maximum: fc.double({ noNaN: true }),
    exclusiveMinimum: fc.oneof(fc.boolean(), fc.double({ noNaN: true })),
    multipleOf: fc.oneof(fc.constantFrom(0.1, 1e-308, 3, 1e308), fc.double({ min: 1e-10, noNaN: true })),
    minLength: fc.nat(5),
    maxItems: fc.nat(5),
    uniqueItems: fc.boolean(),
    propertyNames: tie("schema"),
    unevaluatedProperties: tie("schema"),
    examples: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }),
    default: fc.jsonValue({ maxDepth: 2 }),
  }),
}));

const fieldJunk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 70 }));

/** Mostly schema objects at the root (a boolean or junk root is refused early). */
const rootSchema = fc.oneof(
  { weight: 8, arbitrary: plausibleSchema.filter((x) => typeof x === "object") },
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...KEYWORDS), fc.oneof(schemaLike, keywordValue), { minKeys: 1, maxKeys: 8 }) },
  { weight: 1, arbitrary: schemaLike },
  { weight: 1, arbitrary: fc.jsonValue() },
);

/** A registration with valid fields, so the junk schema meets the registration rules. */
const registrationText = fc
  .record({
    company_id: fc.constantFrom("fuzz-co", "acme", "a".repeat(64)),
    name: fc.constant("wells"),
    format: fc.constantFrom("json", "ndjson", "csv"),
    schema: rootSchema,
  })
  .map((b) => JSON.stringify(b));

/** A body shaped like a registration, with any member junk, missing or right. */
const junkRegistrationText = fc
  .record(
    {
      company_id: fc.oneof(fc.constantFrom("acme", "fuzz-co", "a".repeat(65), ""), fieldJunk),
      name: fc.oneof(fc.constant("wells"), fieldJunk),
      format: fc.oneof(fc.constantFrom("json", "ndjson", "csv"), fieldJunk),
      schema: rootSchema,
    },
    { requiredKeys: [] },
  )
  .map((body) => JSON.stringify(body));

/** A registration whose schema holds a pathologically deep value somewhere. */
const deepInSchemaText = fc
  .tuple(fc.constantFrom("schema", "default", "const", "enum", "examples", "unknown", "properties", "items", "allOf"), deepJsonText)
  .map(([where, text]) => {
    const schema =
      where === "schema"
        ? text
        : where === "enum" || where === "examples" || where === "allOf"
          ? `{"${where}": [${text}]}`
          : where === "properties"
            ? `{"properties": {"p": ${text}}}`
            : `{"${where}": ${text}}`;
    return `{"company_id":"fuzz-co","name":"deep","format":"json","schema":${schema}}`;
  });

const hugeText = fc
  .constantFrom(MIB - 200, MIB + 1, 2 * MIB)
  .map((n) => JSON.stringify({ company_id: "fuzz-co", name: "huge", format: "json", schema: { description: "x".repeat(n) } }));

type Body = string | Uint8Array;
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 8, arbitrary: registrationText },
  { weight: 2, arbitrary: junkRegistrationText },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 300 }) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? "") },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: deepJsonText },
  { weight: 1, arbitrary: depth.map(deep.unbalanced) },
  { weight: 2, arbitrary: deepInSchemaText },
  { weight: 1, arbitrary: hugeText },
  { weight: 1, arbitrary: fc.constantFrom<Body>("", " ", "\ufeff{}", "{", "}", "null", '{"schema":', "\u0000") },
);

/** Path segments and query values: real ids, other UUIDs, and junk (raw or percent-encoded). */
function encodeLoosely(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s; // lone surrogates: the URL parser copes with them raw
  }
}
const junkSegment = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }).map(encodeLoosely),
  fc.string({ maxLength: 60 }),
  fc.constantFrom("..", ".", "%2e%2e", "%00", "%ff", "%", "00000000-0000-0000-0000-000000000000", "A".repeat(5000)),
);

// ---------------------------------------------------------------------------------------------
// Sending and checking

interface Sent {
  method: string;
  path: string;
  auth?: string;
  type?: string;
  body?: Body;
}

function send({ method, path, auth, type, body }: Sent): Promise<Response> {
  const headers = new Headers();
  if (auth !== undefined) headers.set("Authorization", auth);
  if (type !== undefined) headers.set("Content-Type", type);
  return call(path, { method, headers, body: method === "GET" ? undefined : body });
}

/** The invariant of every response, whatever was sent. Returns the status. */
async function wellFormed(res: Response, sent: Sent): Promise<number> {
  const what = `${sent.method} ${sent.path.slice(0, 120)}`;
  const text = await res.text();
  expect(res.status, `${what} → ${text.slice(0, 300)}`).toBeLessThan(500);
  const requestId = res.headers.get("X-Request-Id");
  expect(requestId, what).toMatch(UUID);
  const json = JSON.parse(text);
  if (res.status >= 400) {
    expect(res.headers.get("Content-Type"), what).toBe("application/problem+json");
    expect(json, what).toMatchObject({
      status: res.status,
      transaction_id: requestId,
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
    });
    if (res.status === 401) expect(res.headers.get("WWW-Authenticate"), what).toMatch(/^Bearer realm=/);
  } else {
    expect(res.status, what).toBeGreaterThanOrEqual(200);
    expect(res.headers.get("Content-Type"), what).toMatch(/^application\/json/);
    expect(json.meta, what).toEqual({ type: expect.any(String), transaction_id: requestId });
    expect(Array.isArray(json.data), what).toBe(true);
  }
  return res.status;
}

let datasetId = "";
beforeAll(async () => {
  ({ dataset_id: datasetId } = await createDataset({ company_id: "fuzz-co" }));
});

/** A real dataset id most of the time, so junk reaches the handler behind the lookup too. */
const datasetIdArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant("real").map(() => datasetId) },
  { weight: 1, arbitrary: fc.uuid().map(String) },
  { weight: 2, arbitrary: junkSegment },
);

const queryValue = fc.oneof(
  fc.constantFrom("1", "2", "0", "-1", "1.0", "1e2", "999999999", "9".repeat(400), "true", "false", "", "%", "%00"),
  junkSegment,
);

/** Mostly absent or meaningful, so the request gets past the query check often enough to test what follows. */
const forceValue = fc.oneof(
  { weight: 3, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 1, arbitrary: fc.constantFrom<string | undefined>("true", "false", "") },
  { weight: 2, arbitrary: queryValue },
);
const versionValue = fc.oneof(
  { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 1, arbitrary: fc.constant<string | undefined>("1") },
  { weight: 3, arbitrary: queryValue },
);

async function property(arbitrary: fc.Arbitrary<Sent>, numRuns: number): Promise<Set<number>> {
  const statuses = new Set<number>();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (sent) => {
      statuses.add(await wellFormed(await send(sent), sent));
    }),
    { numRuns, endOnFailure: true },
  );
  return statuses;
}

describe("admin routes under generated junk: never 5xx, problem+json for every 4xx", () => {
  it("POST /admin/datasets", async () => {
    const statuses = await property(
      fc.record({ auth: authorization, type: contentType, body }).map((r) => ({ method: "POST", path: "/admin/datasets", ...r })),
      100,
    );
    // The junk reached every layer: auth, content type, size, parsing/rules.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([400, 401, 415]));
  });

  it("PUT /admin/datasets/{id}/schema", async () => {
    const putBody = fc.oneof(
      { weight: 1, arbitrary: body },
      { weight: 2, arbitrary: fc.record({ schema: rootSchema }, { requiredKeys: [] }).map((b) => JSON.stringify(b)) },
    );
    const statuses = await property(
      fc
        .record({ id: datasetIdArb, force: forceValue, auth: authorization, type: contentType, body: putBody })
        .map(({ id, force, ...r }) => ({
          method: "PUT",
          path: `/admin/datasets/${id}/schema${force === undefined ? "" : `?force=${force}`}`,
          ...r,
        })),
      100,
    );
    expect([...statuses].sort()).toEqual(expect.arrayContaining([400, 401, 404]));
  });

  it("GET /admin/datasets?company_id=…", async () => {
    const statuses = await property(
      fc.record({ company: fc.oneof(fc.constantFrom("fuzz-co", "acme"), junkSegment), auth: authorization }).map(({ company, auth }) => ({
        method: "GET",
        path: `/admin/datasets?company_id=${company}`,
        auth,
      })),
      60,
    );
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 401]));
  });

  it("GET /admin/datasets/{id}", async () => {
    const statuses = await property(
      fc.record({ id: datasetIdArb, auth: authorization }).map(({ id, auth }) => ({ method: "GET", path: `/admin/datasets/${id}`, auth })),
      60,
    );
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 401, 404]));
  });

  it("GET /admin/datasets/{id}/schema?version=…", async () => {
    const statuses = await property(
      fc.record({ id: datasetIdArb, version: versionValue, auth: authorization }).map(({ id, version, auth }) => ({
        method: "GET",
        path: `/admin/datasets/${id}/schema${version === undefined ? "" : `?version=${version}`}`,
        auth,
      })),
      100,
    );
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 401, 404]));
  });

  it("any method on any admin dataset path", async () => {
    await property(
      fc
        .record({
          method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
          path: fc.constantFrom(
            "/admin/datasets",
            "/admin/datasets/ID",
            "/admin/datasets/ID/schema",
            "/admin/datasets/ID/schema/x",
            "/admin/",
            "/admin",
          ),
          auth: authorization,
          type: contentType,
          body,
        })
        .map((r) => ({ ...r, path: r.path.replace("ID", datasetId) })),
      50,
    );
  });
});

describe("pathological bodies, each sent once", () => {
  const registration = (schema: string) => `{"company_id":"fuzz-co","name":"deep","format":"json","schema":${schema}}`;
  const cases: Array<[string, string]> = [
    ["[[[…]]] 10 000 deep as the body", deep.array(10_000)],
    ["{a:{a:…}} 10 000 deep as the body", deep.object(10_000)],
    ["500 000 unclosed [ as the body", deep.unbalanced(500_000)],
    ["[[[…]]] 10 000 deep as the schema", registration(deep.array(10_000))],
    ["10 000 deep properties chain as the schema", registration(`${'{"properties":{"a":'.repeat(10_000)}{}${"}}".repeat(10_000)}`)],
    ["10 000 deep under an unknown keyword", registration(`{"x-note": ${deep.object(10_000)}}`)],
    ["10 000 deep in default", registration(`{"default": ${deep.array(10_000)}}`)],
    ["10 000 deep in const and examples", registration(`{"const": ${deep.array(10_000)}, "examples": [${deep.array(10_000)}]}`)],
    ["10 000 deep in an example", registration(`{"type": "array", "items": {"type": "array"}, "examples": [${deep.array(10_000)}]}`)],
    ["100 000 deep in enum", registration(`{"enum": [${deep.array(100_000)}]}`)],
    ["a 1 MiB string in the schema", registration(JSON.stringify({ description: "x".repeat(MIB - 200) }))],
    ["a 1 MiB + 1 body", registration(JSON.stringify({ description: "x".repeat(MIB) }))],
    ["a 300 000-member enum", registration(`{"enum": [${"0,".repeat(300_000)}0]}`)],
  ];

  for (const [label, text] of cases) {
    it(label, async () => {
      for (const [method, path] of [
        ["POST", "/admin/datasets"],
        ["PUT", `/admin/datasets/${datasetId}/schema`],
      ] as const) {
        const sent = { method, path, auth: TOKEN, type: "application/json", body: text };
        const status = await wellFormed(await send(sent), sent);
        expect([200, 201, 400, 409, 413]).toContain(status);
      }
    });
  }
});
