/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
// The original Data API page, verbatim (vite inlines it: workerd has no file system).
import SEED_PAGE from "../../../shared/seed/000_418f19e887f3e8a4.txt?raw";
import { ADMIN_TOKEN, admin, call, createDataset, EXAMPLE_RECORD, EXAMPLE_SCHEMA, expectProblem } from "../helpers";

const D04 = "http://json-schema.org/draft-04/schema#";
const D06 = "http://json-schema.org/draft-06/schema#";
const D07 = "http://json-schema.org/draft-07/schema#";
const D2019 = "https://json-schema.org/draft/2019-09/schema";
const D2020 = "https://json-schema.org/draft/2020-12/schema";
const SUPPORTED = [D04, D06, D07, D2019, D2020];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MIB = 1024 * 1024;

/**
 * The example schema exactly as the seed page prints it (copied from
 * ../shared/seed/000_418f19e887f3e8a4.txt, between "An example of a schema…" and "Endpoints"),
 * trailing comma after `"flow_bbl_d": 7.5` included.
 */
const SEED_SCHEMA_TEXT = `{
"$schema": "http://json-schema.org/draft-06/schema#",
"examples": [
{
"date": "2023-05-04",
"well-name": "ExampleWell 10 #1",
"flow_bbl_d": 7.5,
}
],
"properties": {
"date": {
"type": "string"
},
"well-name": {
"type": "string"
},
"flow_bbl_d": {
"type": "number"
}
},
"required": [
"date",
"well-name",
"flow_bbl_d"
]
}`;

/** A fresh company per test keeps lists independent of what other tests stored. */
function company(): string {
  return `co-${crypto.randomUUID().slice(0, 8)}`;
}

function datasetBody(overrides: Record<string, unknown> = {}) {
  return { company_id: company(), name: "wells", format: "json", schema: EXAMPLE_SCHEMA, ...overrides };
}

function post(json: unknown, init: RequestInit = {}) {
  return admin("/admin/datasets", { method: "POST", json, ...init });
}

function postText(body: BodyInit, contentType = "application/json") {
  return admin("/admin/datasets", { method: "POST", body, headers: { "Content-Type": contentType } });
}

function putSchema(datasetId: string, schema: unknown, query = "") {
  return admin(`/admin/datasets/${datasetId}/schema${query}`, { method: "PUT", json: { schema } });
}

/** Asserts the success envelope, X-Request-Id included, and returns `data`. */
async function expectEnvelope<T = Record<string, any>>(res: Response, status: number, type: string): Promise<T[]> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  expect(Object.keys(body).sort()).toEqual(["data", "meta"]);
  expect(Object.keys(body.meta).sort()).toEqual(["transaction_id", "type"]);
  expect(body.meta.type).toBe(type);
  expect(body.meta.transaction_id).toMatch(UUID);
  expect(res.headers.get("X-Request-Id")).toBe(body.meta.transaction_id);
  expect(Array.isArray(body.data)).toBe(true);
  return body.data;
}

async function expectDataset(res: Response, status: number) {
  const data = await expectEnvelope(res, status, "Dataset");
  expect(data).toHaveLength(1);
  return data[0]!;
}

/** Registers a schema and returns the problem body of its 400 (or fails if it registered). */
async function refused(schema: unknown): Promise<Record<string, any>> {
  return expectProblem(await post(datasetBody({ schema })), 400);
}

describe("the seed page's example", () => {
  it("is copied here verbatim", () => {
    const start = SEED_PAGE.indexOf("An example of a schema");
    const from = SEED_PAGE.indexOf("\n", start) + 1;
    const to = SEED_PAGE.indexOf("\nEndpoints", from);
    expect(start).toBeGreaterThan(-1);
    expect(SEED_PAGE.slice(from, to)).toBe(SEED_SCHEMA_TEXT);
  });

  it("as printed (trailing comma) gets 400 naming the line and column of the fault", async () => {
    // Line 1 of the body holds the other fields, line 2 opens the schema, so the schema's line n is
    // the body's line n + 1: the `}` after `"flow_bbl_d": 7.5,` is schema line 8, body line 9.
    const body = `{"company_id": "${company()}", "name": "wells", "format": "json",\n"schema": ${SEED_SCHEMA_TEXT}}`;
    expect(body.split("\n")[7]).toBe('"flow_bbl_d": 7.5,');
    expect(body.split("\n")[8]).toBe("}");
    const problem = await expectProblem(await postText(body), 400);
    expect(problem.line).toBe(9);
    expect(problem.column).toBe(1);
    expect(problem.detail).toContain("line 9, column 1");
    expect(problem.detail).toContain("trailing comma");
    expect(problem.type).toBe("urn:data-api:problem:bad_request");
  });

  it("gets the same position with CRLF line ends", async () => {
    const body = `{"company_id": "${company()}", "name": "wells", "format": "json",\r\n"schema": ${SEED_SCHEMA_TEXT.replace(/\n/g, "\r\n")}}`;
    const problem = await expectProblem(await postText(body), 400);
    expect([problem.line, problem.column]).toEqual([9, 1]);
  });

  it("corrected, registers (201) and GET …/schema returns it; the example record validates", async () => {
    const corrected = SEED_SCHEMA_TEXT.replace('"flow_bbl_d": 7.5,\n}', '"flow_bbl_d": 7.5\n}');
    expect(corrected).not.toBe(SEED_SCHEMA_TEXT);
    const schema = JSON.parse(corrected);
    expect(schema).toEqual(EXAMPLE_SCHEMA);
    expect(schema.examples[0]).toEqual(EXAMPLE_RECORD);

    const companyId = company();
    const res = await postText(`{"company_id": "${companyId}", "name": "wells", "format": "json",\n"schema": ${corrected}}`);
    const dataset = await expectDataset(res, 201);
    expect(dataset).toMatchObject({ company_id: companyId, name: "wells", format: "json", schema_version: 1 });

    const got = await expectEnvelope(await admin(`/admin/datasets/${dataset.dataset_id}/schema`), 200, "Schema");
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ dataset_id: dataset.dataset_id, schema_version: 1, schema });
  });
});

describe("POST /admin/datasets", () => {
  it("201: the dataset in the envelope, with X-Request-Id = transaction_id", async () => {
    const companyId = company();
    const before = Date.now();
    const dataset = await expectDataset(await post(datasetBody({ company_id: companyId, format: "ndjson" })), 201);
    expect(dataset).toMatchObject({ company_id: companyId, name: "wells", format: "ndjson", schema_version: 1 });
    expect(dataset.dataset_id).toMatch(UUID);
    expect(Date.parse(dataset.created_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(dataset.created_at).toISOString()).toBe(dataset.created_at);
  });

  it("201 for every format; each gets its own id", async () => {
    const ids = new Set<string>();
    for (const format of ["json", "ndjson", "csv"]) {
      const dataset = await expectDataset(await post(datasetBody({ format })), 201);
      expect(dataset.format).toBe(format);
      ids.add(dataset.dataset_id);
    }
    expect(ids.size).toBe(3);
  });

  it("400 for each invalid field, naming it", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ company_id: undefined }, "company_id"],
      [{ company_id: "" }, "company_id"],
      [{ company_id: "a".repeat(65) }, "company_id"],
      [{ company_id: "acme corp" }, "company_id"],
      [{ company_id: "acme/../x" }, "company_id"],
      [{ company_id: 42 }, "company_id"],
      [{ name: undefined }, "name"],
      [{ name: "  " }, "name"],
      [{ name: "n".repeat(201) }, "name"],
      [{ name: ["wells"] }, "name"],
      [{ format: undefined }, "format"],
      [{ format: "xml" }, "format"],
      [{ format: "JSON" }, "format"],
      [{ schema: undefined }, "schema"],
    ];
    for (const [overrides, field] of cases) {
      const body = datasetBody(overrides);
      for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete (body as Record<string, unknown>)[k];
      const problem = await expectProblem(await post(body), 400);
      expect(problem.field, JSON.stringify(overrides)).toBe(field);
      expect(problem.detail).toContain(field);
    }
  });

  it("accepts a company_id of exactly 64 characters of the allowed alphabet", async () => {
    const companyId = `A-z_0${"9".repeat(59)}`;
    expect(companyId).toHaveLength(64);
    expect((await expectDataset(await post(datasetBody({ company_id: companyId })), 201)).company_id).toBe(companyId);
  });

  it("400 when the schema is not a JSON object", async () => {
    for (const schema of [null, [], "{}", 7, true]) {
      const problem = await refused(schema);
      expect(problem.detail).toContain("JSON Schema object");
    }
  });

  it("400 when the body is not a JSON object, is empty, or is not UTF-8", async () => {
    for (const body of ["[]", '"text"', "42", "null"]) {
      expect((await expectProblem(await postText(body), 400)).detail).toContain("JSON object");
    }
    for (const body of ["", "   \n"]) {
      expect((await expectProblem(await postText(body), 400)).detail).toContain("empty");
    }
    const latin1 = new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]); // {"é":1} in Latin-1
    expect((await expectProblem(await postText(latin1), 400)).detail).toContain("UTF-8");
  });

  it("400 with line and column for malformed JSON", async () => {
    const problem = await expectProblem(await postText('{\n  "company_id": "acme",\n  "name": \'wells\'\n}'), 400);
    expect([problem.line, problem.column]).toEqual([3, 11]);
    expect(problem.detail).toMatch(/line 3, column 11/);
  });

  it("415 for a body that is not declared as JSON", async () => {
    const json = JSON.stringify(datasetBody());
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"]) {
      const problem = await expectProblem(await postText(json, type), 415);
      expect(problem.type).toBe("urn:data-api:problem:unsupported_media_type");
    }
    const missing = await admin("/admin/datasets", { method: "POST", body: new TextEncoder().encode(json) });
    await expectProblem(missing, 415);
  });

  it("accepts application/json with parameters and +json types", async () => {
    await expectDataset(await postText(JSON.stringify(datasetBody()), "application/json; charset=utf-8"), 201);
    await expectDataset(await postText(JSON.stringify(datasetBody()), "Application/JSON"), 201);
  });

  it("413 for a body over 1 MiB, declared or streamed", async () => {
    const big = JSON.stringify(datasetBody({ name: "x".repeat(MIB) }));
    const declared = await expectProblem(await postText(big), 413);
    expect(declared.limit_bytes).toBe(MIB);
    expect(declared.type).toBe("urn:data-api:problem:payload_too_large");

    // No Content-Length: the limit must hold while reading.
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 2 * MIB) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const streamed = await admin("/admin/datasets", {
      method: "POST",
      body: stream,
      headers: { "Content-Type": "application/json" },
      // @ts-expect-error: workerd accepts `duplex` for streamed bodies
      duplex: "half",
    });
    await expectProblem(streamed, 413);
  });

  it("a body of exactly 1 MiB is not refused for its size", async () => {
    const base = JSON.stringify(datasetBody({ name: "n" }));
    const padded = base.replace('"name":"n"', `"name":"n"${" ".repeat(MIB - base.length)}`);
    expect(new TextEncoder().encode(padded).byteLength).toBe(MIB);
    await expectDataset(await postText(padded), 201);
  });
});

describe("admin authentication", () => {
  const routes = (id: string): Array<[string, string]> => [
    ["POST", "/admin/datasets"],
    ["GET", "/admin/datasets?company_id=acme"],
    ["GET", `/admin/datasets/${id}`],
    ["PUT", `/admin/datasets/${id}/schema`],
    ["GET", `/admin/datasets/${id}/schema?version=1`],
  ];

  it("401 with WWW-Authenticate and nothing else without a token, on every route", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    for (const [method, path] of routes(dataset_id)) {
      const body = method === "GET" ? undefined : JSON.stringify(datasetBody());
      const res = await call(path, { method, body, headers: body ? { "Content-Type": "application/json" } : {} });
      expect(res.headers.get("WWW-Authenticate"), `${method} ${path}`).toBe('Bearer realm="data-api-admin"');
      const problem = await expectProblem(res, 401);
      expect(problem.type).toBe("urn:data-api:problem:unauthorized");
    }
  });

  it("401 with error=invalid_token for a wrong token, on every route", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    for (const [method, path] of routes(dataset_id)) {
      for (const token of [`${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), "wrong", ADMIN_TOKEN.toUpperCase()]) {
        const res = await admin(path, {
          method,
          headers: { Authorization: `Bearer ${token}` },
          json: method === "GET" ? undefined : { ...datasetBody(), schema: EXAMPLE_SCHEMA },
        });
        expect(res.headers.get("WWW-Authenticate"), `${method} ${path}`).toBe('Bearer realm="data-api-admin", error="invalid_token"');
        await expectProblem(res, 401);
      }
    }
  });

  it("401 for a malformed Authorization header or another scheme", async () => {
    for (const header of [
      ADMIN_TOKEN,
      `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`,
      "Bearer",
      "Bearer ",
      `Token ${ADMIN_TOKEN}`,
      `Bearer ${ADMIN_TOKEN} extra`,
    ]) {
      const res = await admin("/admin/datasets?company_id=acme", { headers: { Authorization: header } });
      expect(res.headers.get("WWW-Authenticate"), header).toMatch(/^Bearer realm="data-api-admin"/);
      await expectProblem(res, 401);
    }
  });

  it("authentication comes before reading the body (no 413/415/400 leaks without a token)", async () => {
    const big = "x".repeat(MIB + 10);
    for (const init of [
      { body: big, headers: { "Content-Type": "application/json" } },
      { body: "{}", headers: { "Content-Type": "text/plain" } },
      { body: "{,", headers: { "Content-Type": "application/json" } },
    ]) {
      await expectProblem(await call("/admin/datasets", { method: "POST", ...init }), 401);
    }
  });

  it("accepts the scheme name case-insensitively", async () => {
    const res = await admin(`/admin/datasets?company_id=${company()}`, { headers: { Authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(await expectEnvelope(res, 200, "Dataset")).toEqual([]);
  });
});

describe("GET /admin/datasets?company_id=…", () => {
  it("200 lists exactly the datasets of that company", async () => {
    const mine = company();
    const other = company();
    const a = await createDataset({ company_id: mine, name: "a" });
    const b = await createDataset({ company_id: mine, name: "b", format: "csv" });
    await createDataset({ company_id: other, name: "c" });
    const data = await expectEnvelope(await admin(`/admin/datasets?company_id=${mine}`), 200, "Dataset");
    expect(data.map((d) => d.dataset_id).sort()).toEqual([a.dataset_id, b.dataset_id].sort());
    for (const d of data) expect(d).toMatchObject({ company_id: mine, schema_version: 1 });
  });

  it("200 with an empty list for a company without datasets", async () => {
    expect(await expectEnvelope(await admin(`/admin/datasets?company_id=${company()}`), 200, "Dataset")).toEqual([]);
  });

  it("does not confuse a company with another whose id it prefixes", async () => {
    const base = company();
    await createDataset({ company_id: `${base}-2` });
    expect(await expectEnvelope(await admin(`/admin/datasets?company_id=${base}`), 200, "Dataset")).toEqual([]);
  });

  it("400 without a valid company_id", async () => {
    for (const query of ["", "?company_id=", "?company_id=a%20b", `?company_id=${"a".repeat(65)}`, "?company=acme"]) {
      const problem = await expectProblem(await admin(`/admin/datasets${query}`), 400);
      expect(problem.field).toBe("company_id");
    }
  });
});

describe("GET /admin/datasets/{dataset_id}", () => {
  it("200 returns the dataset as created", async () => {
    const created = await createDataset({ company_id: company() });
    const got = await expectDataset(await admin(`/admin/datasets/${created.dataset_id}`), 200);
    expect(got).toMatchObject(created);
  });

  it("404 for an unknown UUID and for an id that is not a UUID", async () => {
    for (const id of [crypto.randomUUID(), "not-a-uuid", "1", "%2E%2E", `${crypto.randomUUID()}x`]) {
      const problem = await expectProblem(await admin(`/admin/datasets/${id}`), 404);
      expect(problem.type).toBe("urn:data-api:problem:not_found");
    }
  });
});

describe("PUT /admin/datasets/{dataset_id}/schema", () => {
  it("200 with schema_version 2 for a compatible schema, then 3", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    const looser = { ...EXAMPLE_SCHEMA, required: ["date"] };
    const v2 = await expectDataset(await putSchema(dataset_id, looser), 200);
    expect(v2).toMatchObject({ dataset_id, schema_version: 2 });
    const v3 = await expectDataset(await putSchema(dataset_id, { ...looser, required: [] }), 200);
    expect(v3.schema_version).toBe(3);
    expect((await expectDataset(await admin(`/admin/datasets/${dataset_id}`), 200)).schema_version).toBe(3);
  });

  it("409 when the registered example would no longer validate, listing it and why; ?force=true registers it", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    const stricter = { $schema: D06, properties: { flow_bbl_d: { type: "string" } }, required: ["flow_bbl_d", "operator"] };

    const problem = await expectProblem(await putSchema(dataset_id, stricter), 409);
    expect(problem.type).toBe("urn:data-api:problem:conflict");
    expect(problem.detail).toContain("?force=true");
    const incompatible = problem.incompatible as Array<{ source: string; index: number; errors: Array<Record<string, string>> }>;
    const example = incompatible.find((i) => i.source === "example");
    expect(example).toMatchObject({ source: "example", index: 0 });
    expect(example!.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "/flow_bbl_d", keyword: "type" }),
        expect.objectContaining({ path: "", keyword: "required" }),
      ]),
    );
    // Nothing changed.
    expect((await expectDataset(await admin(`/admin/datasets/${dataset_id}`), 200)).schema_version).toBe(1);

    const forced = await expectDataset(await putSchema(dataset_id, stricter, "?force=true"), 200);
    expect(forced).toMatchObject({ dataset_id, schema_version: 2 });
    const current = await expectEnvelope(await admin(`/admin/datasets/${dataset_id}/schema`), 200, "Schema");
    expect(current[0]).toMatchObject({ schema_version: 2, schema: stricter });
    const first = await expectEnvelope(await admin(`/admin/datasets/${dataset_id}/schema?version=1`), 200, "Schema");
    expect(first[0]).toMatchObject({ schema_version: 1, schema: EXAMPLE_SCHEMA });
  });

  it("?force=false still checks; a bad force value is 400", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    const stricter = { properties: { date: { type: "integer" } } };
    await expectProblem(await putSchema(dataset_id, stricter, "?force=false"), 409);
    const problem = await expectProblem(await putSchema(dataset_id, stricter, "?force=yes"), 400);
    expect(problem.field).toBe("force");
  });

  it("applies the registration rules to the new schema (400)", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    await expectProblem(await putSchema(dataset_id, { type: "objekt" }), 400);
    await expectProblem(await putSchema(dataset_id, { $ref: "http://example.com/s.json" }), 400);
    await expectProblem(await putSchema(dataset_id, { $schema: "http://json-schema.org/draft-03/schema#" }), 400);
    await expectProblem(await putSchema(dataset_id, { ...EXAMPLE_SCHEMA, examples: [{ date: 1 }] }), 400);
    await expectProblem(await putSchema(dataset_id, "not a schema"), 400);
    const missing = await expectProblem(await admin(`/admin/datasets/${dataset_id}/schema`, { method: "PUT", json: {} }), 400);
    expect(missing.field).toBe("schema");
    const bad = await admin(`/admin/datasets/${dataset_id}/schema`, {
      method: "PUT",
      body: '{"schema": {"type": "object",}}',
      headers: { "Content-Type": "application/json" },
    });
    expect(await expectProblem(bad, 400)).toMatchObject({ line: 1, column: 30 });
    expect((await expectDataset(await admin(`/admin/datasets/${dataset_id}`), 200)).schema_version).toBe(1);
  });

  it("404 for an unknown or non-UUID dataset", async () => {
    for (const id of [crypto.randomUUID(), "nope"]) {
      await expectProblem(await putSchema(id, EXAMPLE_SCHEMA), 404);
    }
  });

  it("415 and 413 as for POST", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    const path = `/admin/datasets/${dataset_id}/schema`;
    const json = JSON.stringify({ schema: EXAMPLE_SCHEMA });
    await expectProblem(await admin(path, { method: "PUT", body: json, headers: { "Content-Type": "text/plain" } }), 415);
    const big = JSON.stringify({ schema: { ...EXAMPLE_SCHEMA, description: "d".repeat(MIB) } });
    await expectProblem(await admin(path, { method: "PUT", body: big, headers: { "Content-Type": "application/json" } }), 413);
  });
});

describe("GET /admin/datasets/{dataset_id}/schema", () => {
  it("200 with the current schema document, and ?version=n for an earlier one", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    const v2 = { ...EXAMPLE_SCHEMA, description: "v2" };
    await expectDataset(await putSchema(dataset_id, v2), 200);

    const current = await expectEnvelope(await admin(`/admin/datasets/${dataset_id}/schema`), 200, "Schema");
    expect(current).toHaveLength(1);
    expect(current[0]).toMatchObject({ dataset_id, schema_version: 2, schema: v2 });
    expect(new Date(current[0]!.created_at).toISOString()).toBe(current[0]!.created_at);
    for (const [version, schema] of [
      [1, EXAMPLE_SCHEMA],
      [2, v2],
    ] as const) {
      const data = await expectEnvelope(await admin(`/admin/datasets/${dataset_id}/schema?version=${version}`), 200, "Schema");
      expect(data[0]).toMatchObject({ dataset_id, schema_version: version, schema });
    }
  });

  it("404 for a version that does not exist", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    for (const version of ["2", "99", "999999999"]) {
      const problem = await expectProblem(await admin(`/admin/datasets/${dataset_id}/schema?version=${version}`), 404);
      expect(problem.detail).toContain(`version ${version}`);
    }
  });

  it("400 for a version that is not a positive integer", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    for (const version of ["0", "-1", "1.5", "abc", "", "01", "1e3", "1234567890"]) {
      const problem = await expectProblem(await admin(`/admin/datasets/${dataset_id}/schema?version=${version}`), 400);
      expect(problem.field, version).toBe("version");
    }
  });

  it("404 for an unknown or non-UUID dataset", async () => {
    await expectProblem(await admin(`/admin/datasets/${crypto.randomUUID()}/schema`), 404);
    await expectProblem(await admin(`/admin/datasets/abc/schema?version=1`), 404);
  });
});

describe("schema registration rules", () => {
  const DRAFTS: Array<[string, string | undefined]> = [
    ["draft-04", D04],
    ["draft-06", D06],
    ["draft-07", D07],
    ["2019-09", D2019],
    ["2020-12", D2020],
    ["draft-07", undefined],
  ];
  const withDraft = (uri: string | undefined, schema: Record<string, unknown>) =>
    uri === undefined ? schema : { $schema: uri, ...schema };

  it("unsupported $schema: 400 naming every supported draft", async () => {
    for (const $schema of [
      "http://json-schema.org/draft-03/schema#",
      "http://json-schema.org/schema#",
      "https://json-schema.org/draft/next/schema",
      "https://example.com/my-meta-schema",
      "draft-07",
      "",
      7,
      null,
    ]) {
      const problem = await refused({ ...EXAMPLE_SCHEMA, $schema });
      expect(problem.supported_drafts, String($schema)).toEqual(SUPPORTED);
      for (const uri of SUPPORTED) expect(problem.detail).toContain(uri);
      expect(problem.detail).toContain("absent means draft-07");
    }
  });

  for (const [name, uri] of DRAFTS) {
    const label = uri === undefined ? "absent $schema (= draft-07)" : name;

    it(`${label}: a valid schema registers; its record validates`, async () => {
      const { $schema: _d06, ...plain } = EXAMPLE_SCHEMA;
      const schema = withDraft(uri, plain);
      const dataset = await expectDataset(await post(datasetBody({ schema })), 201);
      const stored = await expectEnvelope(await admin(`/admin/datasets/${dataset.dataset_id}/schema`), 200, "Schema");
      expect(stored[0]!.schema).toEqual(schema);
    });

    it(`${label}: a meta-schema-invalid schema gets 400 with the meta-schema's errors`, async () => {
      for (const [invalid, path] of [
        [{ type: "objekt" }, "/type"],
        [{ minLength: -1 }, "/minLength"],
        [{ properties: { date: { type: "string", maxLength: "10" } } }, "/properties/date/maxLength"],
      ] as const) {
        const problem = await refused(withDraft(uri, invalid));
        expect(problem.detail).toBe(`The schema is not a valid ${name} JSON Schema.`);
        expect(Array.isArray(problem.errors) && problem.errors.length > 0).toBe(true);
        expect(
          problem.errors.map((e: { path: string }) => e.path),
          JSON.stringify(invalid),
        ).toContain(path);
        for (const e of problem.errors)
          expect(e).toEqual({ path: expect.any(String), keyword: expect.any(String), message: expect.any(String) });
      }
    });

    it(`${label}: an example that fails gets 400 naming the example`, async () => {
      const { $schema: _d06, ...plain } = EXAMPLE_SCHEMA;
      const schema = withDraft(uri, { ...plain, examples: [EXAMPLE_RECORD, { ...EXAMPLE_RECORD, flow_bbl_d: "a lot" }] });
      const problem = await refused(schema);
      expect(problem.detail).toContain("examples[1]");
      expect(problem.errors).toEqual([{ example: 1, path: "/flow_bbl_d", keyword: "type", message: expect.any(String) }]);
    });
  }

  it("every failing example is listed, each by its index", async () => {
    const problem = await refused({ ...EXAMPLE_SCHEMA, examples: [{ date: "x" }, EXAMPLE_RECORD, { ...EXAMPLE_RECORD, date: 5 }] });
    expect(problem.detail).toContain("examples[0]");
    expect(problem.errors.map((e: { example: number }) => e.example)).toEqual(expect.arrayContaining([0, 2]));
    expect(problem.errors.map((e: { example: number }) => e.example)).not.toContain(1);
  });

  it("examples that are not at the root are data, not checked", async () => {
    await expectDataset(await post(datasetBody({ schema: { properties: { a: { type: "string", examples: [1, 2] } } } })), 201);
  });

  it("remote $ref (http, https, urn, relative, protocol-relative) gets 400", async () => {
    for (const ref of [
      "http://example.com/schema.json",
      "https://example.com/schema.json#/definitions/x",
      "urn:uuid:deadbeef-1234-0000-0000-4321feebdaed",
      "urn:example:schema",
      "other.json",
      "other.json#/definitions/x",
      "//example.com/s.json",
      "http://json-schema.org/draft-07/schema#",
    ]) {
      for (const schema of [{ $ref: ref }, { properties: { a: { $ref: ref } } }, { definitions: { x: { items: { $ref: ref } } } }]) {
        const problem = await refused(schema);
        expect(problem.detail, ref).toContain(JSON.stringify(ref));
        expect(problem.detail).toContain("remote references are not fetched");
        expect(problem.refs).toEqual([expect.objectContaining({ ref })]);
      }
    }
  });

  it("an internal $ref registers and is applied", async () => {
    const schema = {
      $schema: D07,
      definitions: { x: { type: "number", minimum: 0 } },
      properties: { flow_bbl_d: { $ref: "#/definitions/x" } },
      examples: [EXAMPLE_RECORD],
    };
    await expectDataset(await post(datasetBody({ schema })), 201);
    // The reference is followed when examples are checked.
    const problem = await refused({ ...schema, examples: [{ ...EXAMPLE_RECORD, flow_bbl_d: -1 }] });
    expect(problem.errors).toEqual([expect.objectContaining({ example: 0, path: "/flow_bbl_d", keyword: "minimum" })]);
  });

  it("internal references by $id, anchor, $defs and to the root register", async () => {
    const ok = [
      { $schema: D2020, $defs: { x: { $anchor: "num", type: "number" } }, properties: { a: { $ref: "#num" }, b: { $ref: "#/$defs/x" } } },
      { $schema: D2019, $defs: { x: { type: "number" } }, properties: { a: { $ref: "#/$defs/x" } } },
      {
        $id: "https://example.com/root.json",
        definitions: { x: { type: "number" } },
        properties: { a: { $ref: "https://example.com/root.json#/definitions/x" } },
      },
      {
        $id: "urn:example:root",
        definitions: { x: { $id: "urn:example:x", type: "number" } },
        properties: { a: { $ref: "urn:example:x" } },
      },
      { $schema: D04, definitions: { x: { id: "#x", type: "number" } }, properties: { a: { $ref: "#x" } } },
      { properties: { children: { type: "array", items: { $ref: "#" } } } },
      {
        definitions: { "a/b": { type: "string" }, "c~d": { type: "string" } },
        properties: { a: { $ref: "#/definitions/a~1b" }, c: { $ref: "#/definitions/c~0d" } },
      },
    ];
    for (const schema of ok) await expectDataset(await post(datasetBody({ schema })), 201);
  });

  it("an unresolvable internal $ref gets 400", async () => {
    for (const [schema, ref] of [
      [{ $ref: "#/definitions/missing", definitions: { x: { type: "string" } } }, "#/definitions/missing"],
      [{ properties: { a: { $ref: "#/properties/b" } } }, "#/properties/b"],
      [{ properties: { a: { $ref: "#nowhere" } } }, "#nowhere"],
      [{ $schema: D2020, properties: { a: { $ref: "#/$defs/missing" } } }, "#/$defs/missing"],
    ] as const) {
      const problem = await refused(schema);
      expect(problem.detail).toContain(JSON.stringify(ref));
      expect(problem.refs).toEqual([expect.objectContaining({ ref })]);
    }
  });

  it("draft-06: if/then/else are ignored, while the same schema as draft-07 is refused naming the example", async () => {
    const conditional = {
      ...EXAMPLE_SCHEMA,
      // Every record with a date would need an `operator`: the example has none.
      if: { required: ["date"] },
      // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here
      then: { required: ["operator"] },
    };
    const as06 = await expectDataset(await post(datasetBody({ schema: { ...conditional, $schema: D06 } })), 201);
    const stored = await expectEnvelope(await admin(`/admin/datasets/${as06.dataset_id}/schema`), 200, "Schema");
    expect(stored[0]!.schema).toEqual({ ...conditional, $schema: D06 });

    for (const $schema of [D07, undefined]) {
      const schema = $schema === undefined ? (({ $schema: _s, ...rest }) => rest)(conditional) : { ...conditional, $schema };
      const problem = await refused(schema);
      expect(problem.detail).toContain("examples[0]");
      expect(problem.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ example: 0, path: "", keyword: "required", message: expect.stringContaining("operator") }),
        ]),
      );
    }
  });

  it("draft-06: a 409 check ignores if/then/else in the new schema too", async () => {
    const { dataset_id } = await createDataset({ company_id: company() });
    const { examples: _e, ...noExamples } = EXAMPLE_SCHEMA;
    // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here
    const conditional = { ...noExamples, if: { required: ["date"] }, then: { required: ["operator"] } };
    await expectProblem(await putSchema(dataset_id, { ...conditional, $schema: D07 }), 409);
    expect((await expectDataset(await putSchema(dataset_id, { ...conditional, $schema: D06 }), 200)).schema_version).toBe(2);
  });

  it("a schema whose fault only shows while validating (a bad pattern) is a 400, not a 500", async () => {
    const problem = await refused({ ...EXAMPLE_SCHEMA, properties: { date: { type: "string", pattern: "([" } } });
    expect(problem.detail).toMatch(/not a valid|cannot be evaluated/);
  });

  it("an over-deep schema gets 400", async () => {
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 100; i++) deep = { properties: { a: deep } };
    expect((await refused(deep)).detail).toContain("nested too deeply");
  });
});
