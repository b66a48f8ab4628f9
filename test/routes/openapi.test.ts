import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { newApp } from "../../src/app";
import { buildOpenApiDocument, documentSettings } from "../../src/openapi/document";
import type { Response as ApiResponse, OpenApiDocument, Schema } from "../../src/openapi/types";
import { metaValidator, toSchemaErrors } from "../../src/schema/compile";
import { draftFor } from "../../src/schema/drafts";
import { admin, basicAuth, call, createClient, createDataset, EXAMPLE_RECORD, EXAMPLE_SCHEMA, getToken } from "../helpers";
import { allRefs, allSchemas, deref, expectDocumented, operations, parametersOf, resolvePointer, toOpenApiPath } from "./openapi-support";

let doc: OpenApiDocument;

beforeAll(async () => {
  const res = await call("/openapi.json");
  expect(res.status).toBe(200);
  doc = await res.json<OpenApiDocument>();
});

const problemRef = { $ref: "#/components/schemas/Problem" };
const op = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

describe("GET /openapi.json", () => {
  it("answers the document without authentication, as JSON with X-Request-Id", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual(buildOpenApiDocument(documentSettings(env)));
  });

  it("states the limits and windows this deployment is configured with", () => {
    const limits = doc["x-limits"] as { push: Record<string, number>; admin_body_bytes: number };
    expect(limits.push).toMatchObject({
      max_body_bytes: Number(env.MAX_BODY_BYTES),
      max_json_body_bytes: Number(env.MAX_JSON_BODY_BYTES),
      max_records: Number(env.MAX_RECORDS),
      max_record_bytes: Number(env.MAX_RECORD_BYTES),
      max_depth: Number(env.MAX_DEPTH),
      max_errors: Number(env.MAX_ERRORS),
    });
    expect(doc["x-idempotency"]).toMatchObject({
      header: "Idempotency-Key",
      window_seconds: 24 * 3600,
      scope: ["client_id", "dataset_id"],
    });
    const push = doc.paths["/data/json"]!.post!;
    expect(push["x-idempotency"]).toMatchObject({ window_seconds: 86400, same_key_different_request: 422, same_key_in_flight: 409 });
    expect(push["x-dry-run"]).toEqual(expect.any(String));
    expect(push["x-partial"]).toEqual(expect.any(String));
    expect(doc["x-consistency"]).toMatchObject({ configuration: { data_path_cache_seconds: Number(env.CONFIG_CACHE_SECONDS) } });
    // A different deployment's settings change the document.
    const other = buildOpenApiDocument(documentSettings({ ...env, MAX_RECORDS: "12345" }));
    expect((other["x-limits"] as { push: { max_records: number } }).push.max_records).toBe(12345);
    expect(other.info.description).toContain("12345");
  });
});

describe("the document is OpenAPI 3.1 in shape", () => {
  it("declares OpenAPI 3.1.x with info, paths and components", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(doc.info.version).toEqual(expect.any(String));
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    for (const path of Object.keys(doc.paths)) expect(path).toMatch(/^\//);
  });

  it("resolves every $ref inside the document", () => {
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(50);
    const broken = refs.filter(({ ref }) => typeof ref !== "string" || !ref.startsWith("#/") || resolvePointer(doc, ref) === undefined);
    expect(broken).toEqual([]);
  });

  it("gives every operation a unique operationId, a summary, known tags and responses with descriptions", () => {
    const tags = new Set((doc.tags ?? []).map((t) => t.name));
    const ids = new Set<string>();
    for (const { path, method, operation } of operations(doc)) {
      const label = op(method, path);
      expect(operation.operationId, label).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      expect(ids.has(operation.operationId), `${label}: duplicate operationId ${operation.operationId}`).toBe(false);
      ids.add(operation.operationId);
      expect(operation.summary, label).toEqual(expect.any(String));
      for (const tag of operation.tags ?? []) expect(tags.has(tag), `${label}: undeclared tag ${tag}`).toBe(true);
      const statuses = Object.keys(operation.responses);
      expect(statuses.length, `${label} has responses`).toBeGreaterThan(0);
      expect(
        statuses.some((s) => /^2\d\d$/.test(s)),
        `${label} has a success response`,
      ).toBe(true);
      for (const status of statuses) {
        expect(status, `${label}: status ${status}`).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        const response = deref<ApiResponse>(doc, operation.responses[status]!);
        expect(typeof response?.description === "string" && response.description.length > 0, `${label} ${status} has a description`).toBe(
          true,
        );
      }
    }
  });

  it("declares exactly the path parameters each path template names, as required", () => {
    for (const entry of operations(doc)) {
      const label = op(entry.method, entry.path);
      const templated = [...entry.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!).sort();
      const params = parametersOf(doc, entry);
      const declared = params.filter((p) => p.in === "path");
      expect(declared.map((p) => p.name).sort(), label).toEqual(templated);
      for (const p of declared) expect(p.required, `${label}: path parameter ${p.name} is required`).toBe(true);
      for (const p of params) expect(p.schema, `${label}: parameter ${p.name} has a schema`).toBeDefined();
    }
  });

  it("uses only declared security schemes: adminBearer, clientBearer (JWT), clientBasic", () => {
    const schemes = doc.components.securitySchemes ?? {};
    expect(schemes.adminBearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(schemes.clientBearer).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
    expect(schemes.clientBasic).toMatchObject({ type: "http", scheme: "basic" });
    for (const { path, method, operation } of operations(doc)) {
      const label = op(method, path);
      expect(operation.security, `${label} states its security`).toBeDefined();
      for (const requirement of operation.security!) {
        for (const name of Object.keys(requirement)) expect(schemes[name], `${label}: scheme ${name}`).toBeDefined();
      }
      const names = operation.security!.flatMap((r) => Object.keys(r)).sort();
      if (path.startsWith("/admin/")) expect(names, label).toEqual(["adminBearer"]);
      else if (path.startsWith("/data/")) expect(names, label).toEqual(["clientBasic", "clientBearer"]);
    }
  });

  it("has only schemas that are valid JSON Schema 2020-12 (the OpenAPI 3.1 dialect)", () => {
    const validator = metaValidator(draftFor("https://json-schema.org/draft/2020-12/schema")!);
    const schemas = allSchemas(doc);
    expect(schemas.length).toBeGreaterThan(40);
    const invalid = schemas.flatMap(({ at, schema }) => {
      const result = validator.validate(schema);
      return result.valid ? [] : [{ at, errors: toSchemaErrors(result.errors) }];
    });
    expect(invalid).toEqual([]);
  });

  it("answers every 4xx and 5xx with the shared Problem schema (except the OAuth and S3-style errors)", () => {
    const uploadTarget = "PUT /uploads/{dataset_id}/{file_id}/{file_name}";
    // The two documented exceptions: the token endpoint's RFC 6749 errors, the upload target's S3 XML errors.
    const exception = (operation: string, status: string): { type: string; schema: string } | undefined => {
      if (operation === "POST /oauth/token" && (status === "400" || status === "401"))
        return { type: "application/json", schema: "OAuthError" };
      if (operation === uploadTarget) return { type: "application/xml", schema: "S3Error" };
      return undefined;
    };
    let problems = 0;
    const exceptions: string[] = [];
    for (const { path, method, operation } of operations(doc)) {
      for (const [status, raw] of Object.entries(operation.responses)) {
        if (!/^[45]/.test(status)) continue;
        const label = `${op(method, path)} ${status}`;
        const response = deref<ApiResponse>(doc, raw);
        const expected = exception(op(method, path), status);
        const type = expected?.type ?? "application/problem+json";
        const schema = expected ? { $ref: `#/components/schemas/${expected.schema}` } : problemRef;
        expect(Object.keys(response.content ?? {}), label).toEqual([type]);
        expect(response.content![type]!.schema, label).toEqual(schema);
        if (expected) exceptions.push(label);
        else problems++;
      }
    }
    expect(problems).toBeGreaterThan(60);
    // The exceptions are the routes the contract names, not a loophole.
    expect(exceptions).toEqual(expect.arrayContaining(["POST /oauth/token 400", "POST /oauth/token 401", `${uploadTarget} 403`]));
    expect(exceptions.every((label) => label.startsWith("POST /oauth/token") || label.startsWith(uploadTarget))).toBe(true);
  });

  it("defines the Problem schema with the RFC 9457 members and the API's extension members", () => {
    const problem = doc.components.schemas!.Problem!;
    expect(problem.required).toEqual(["type", "title", "status", "detail", "transaction_id"]);
    for (const member of [
      "errors",
      "errors_truncated",
      "records",
      "accepted",
      "rejected",
      "line",
      "column",
      "field",
      "incompatible",
      "supported_drafts",
      "refs",
      "invalid",
      "limit_bytes",
      "limit_records",
      "retry_after",
    ]) {
      expect(problem.properties, member).toHaveProperty(member);
    }
    const item = deref<Schema>(doc, problem.properties!.errors!.items!);
    expect(Object.keys(item.properties!)).toEqual(expect.arrayContaining(["record", "path", "keyword", "message"]));
    expect(doc.components.schemas!.OAuthError!.properties!.error!.enum).toEqual([
      "invalid_client",
      "invalid_request",
      "unsupported_grant_type",
    ]);
  });

  it("describes the envelopes and data types of the contract", () => {
    const schemas = doc.components.schemas!;
    for (const name of [
      "Dataset",
      "SchemaVersion",
      "Client",
      "ClientWithSecret",
      "DataSubmission",
      "SubmissionReceipt",
      "FileUploadUri",
      "FileStatus",
    ]) {
      expect(schemas[name], name).toBeDefined();
    }
    expect(schemas.FileStatus!.properties!.status!.enum).toEqual(["awaiting_upload", "processing", "succeeded", "failed"]);
    // Every JSON success of the admin and data routes is an envelope {meta: {type, transaction_id}, data: [...]}.
    for (const { path, method, operation } of operations(doc)) {
      if (!/^\/(admin|data)\//.test(path)) continue;
      for (const [status, raw] of Object.entries(operation.responses)) {
        const media = deref<ApiResponse>(doc, raw).content?.["application/json"];
        if (!/^2/.test(status) || !media) continue;
        const envelope = deref<Schema>(doc, media.schema!);
        expect(envelope.required, `${op(method, path)} ${status}`).toEqual(["meta", "data"]);
        expect(envelope.properties!.data!.type).toBe("array");
      }
    }
  });
});

describe("coverage: the document and the app's routes agree", () => {
  const appRoutes = () => {
    const routes = newApp().routes.filter((r) => r.method !== "ALL");
    return new Set(routes.map((r) => `${r.method.toUpperCase()} ${toOpenApiPath(r.path)}`));
  };
  const documented = () => new Set(operations(doc).map(({ path, method }) => op(method, path)));

  it("finds the app's routes (the check is not vacuous)", () => {
    const routes = appRoutes();
    expect(routes.size).toBeGreaterThan(15);
    expect(routes).toContain("POST /data/json");
    expect(routes).toContain("GET /admin/datasets/{dataset_id}/schema");
  });

  it("documents every route the app registers, with its method", () => {
    const missing = [...appRoutes()].filter((route) => !documented().has(route));
    expect(missing, "routes without documentation: add them to src/openapi/paths.ts").toEqual([]);
  });

  it("documents no operation the app does not have", () => {
    const routes = appRoutes();
    const phantom = [...documented()].filter((operation) => !routes.has(operation));
    expect(phantom, "documented operations with no route").toEqual([]);
  });
});

describe("contract: real responses are what the document says", () => {
  const company = () => `oa-${crypto.randomUUID().slice(0, 8)}`;

  it("for the admin routes", async () => {
    const c = company();
    let res = await admin("/admin/datasets", {
      method: "POST",
      json: { company_id: c, name: "wells", format: "csv", schema: EXAMPLE_SCHEMA },
    });
    const created = (await expectDocumented(doc, "post", "/admin/datasets", res)) as { data: Array<{ dataset_id: string }> };
    const datasetId = created.data[0]!.dataset_id;

    res = await admin("/admin/datasets", { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"company_id": "x",}' });
    expect(await expectDocumented(doc, "post", "/admin/datasets", res)).toMatchObject({ status: 400, line: 1 });
    res = await admin("/admin/datasets", {
      method: "POST",
      json: { company_id: c, name: "n", format: "json", schema: { $schema: "http://json-schema.org/draft-03/schema#" } },
    });
    expect(await expectDocumented(doc, "post", "/admin/datasets", res)).toMatchObject({ status: 400, supported_drafts: expect.any(Array) });
    res = await admin("/admin/datasets", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "{}" });
    await expectDocumented(doc, "post", "/admin/datasets", res);
    res = await call("/admin/datasets", { method: "POST" });
    expect(res.headers.get("WWW-Authenticate")).toBeTruthy();
    await expectDocumented(doc, "post", "/admin/datasets", res);

    await expectDocumented(doc, "get", "/admin/datasets", await admin(`/admin/datasets?company_id=${c}`));
    await expectDocumented(doc, "get", "/admin/datasets", await admin("/admin/datasets?company_id=a%20b"));
    await expectDocumented(doc, "get", "/admin/datasets/{dataset_id}", await admin(`/admin/datasets/${datasetId}`));
    await expectDocumented(doc, "get", "/admin/datasets/{dataset_id}", await admin(`/admin/datasets/${crypto.randomUUID()}`));
    await expectDocumented(doc, "get", "/admin/datasets/{dataset_id}/schema", await admin(`/admin/datasets/${datasetId}/schema?version=1`));
    await expectDocumented(doc, "get", "/admin/datasets/{dataset_id}/schema", await admin(`/admin/datasets/${datasetId}/schema?version=x`));

    const stricter = { ...EXAMPLE_SCHEMA, examples: [], properties: { ...EXAMPLE_SCHEMA.properties, flow_bbl_d: { type: "string" } } };
    res = await admin(`/admin/datasets/${datasetId}/schema`, { method: "PUT", json: { schema: { ...stricter, examples: undefined } } });
    // The current examples reject a string flow: 409 listing them.
    const conflict = await expectDocumented(doc, "put", "/admin/datasets/{dataset_id}/schema", res);
    expect(conflict).toMatchObject({ status: 409, incompatible: [{ source: "example", index: 0 }] });
    res = await admin(`/admin/datasets/${datasetId}/schema?force=true`, { method: "PUT", json: { schema: EXAMPLE_SCHEMA } });
    expect(await expectDocumented(doc, "put", "/admin/datasets/{dataset_id}/schema", res)).toMatchObject({ data: [{ schema_version: 2 }] });

    res = await admin("/admin/clients", { method: "POST", json: { company_id: c, name: "client", dataset_ids: [datasetId] } });
    const client = (await expectDocumented(doc, "post", "/admin/clients", res)) as { data: Array<{ client_id: string }> };
    const clientId = client.data[0]!.client_id;
    res = await admin("/admin/clients", { method: "POST", json: { company_id: company(), name: "client", dataset_ids: [datasetId] } });
    expect(await expectDocumented(doc, "post", "/admin/clients", res)).toMatchObject({
      status: 400,
      field: "dataset_ids",
      invalid: [datasetId],
    });
    await expectDocumented(doc, "get", "/admin/clients", await admin(`/admin/clients?company_id=${c}`));
    await expectDocumented(doc, "get", "/admin/clients/{client_id}", await admin(`/admin/clients/${clientId}`));
    res = await admin(`/admin/clients/${clientId}`, { method: "PATCH", json: { disabled: false, dataset_ids: [datasetId] } });
    await expectDocumented(doc, "patch", "/admin/clients/{client_id}", res);
    res = await admin(`/admin/clients/${clientId}`, { method: "PATCH", json: { name: "renamed" } });
    await expectDocumented(doc, "patch", "/admin/clients/{client_id}", res);
    await expectDocumented(
      doc,
      "post",
      "/admin/clients/{client_id}/secret",
      await admin(`/admin/clients/${clientId}/secret`, { method: "POST" }),
    );
    await expectDocumented(doc, "delete", "/admin/clients/{client_id}", await admin(`/admin/clients/${clientId}`, { method: "DELETE" }));
    await expectDocumented(doc, "delete", "/admin/clients/{client_id}", await admin(`/admin/clients/${clientId}`, { method: "DELETE" }));
  });

  it("for the token endpoint and the data routes", async () => {
    const c = company();
    const dataset = await createDataset({ company_id: c });
    const client = await createClient(c, [dataset.dataset_id]);
    const form = (body: Record<string, string>) =>
      call("/oauth/token", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body).toString(),
      });

    await expectDocumented(
      doc,
      "post",
      "/oauth/token",
      await form({ grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret }),
    );
    expect(
      await expectDocumented(
        doc,
        "post",
        "/oauth/token",
        await form({ grant_type: "client_credentials", client_id: client.client_id, client_secret: "wrong" }),
      ),
    ).toMatchObject({ error: "invalid_client" });
    expect(await expectDocumented(doc, "post", "/oauth/token", await form({ grant_type: "password" }))).toMatchObject({
      error: "unsupported_grant_type",
    });

    const token = await getToken(client);
    const bearer = { Authorization: `Bearer ${token}` };
    await expectDocumented(doc, "get", "/data/datasets", await call("/data/datasets", { headers: bearer }));
    await expectDocumented(doc, "get", "/data/datasets", await call("/data/datasets", { headers: { Authorization: "Bearer nope" } }));
    await expectDocumented(
      doc,
      "get",
      "/data/datasets/{dataset_id}/schema",
      await call(`/data/datasets/${dataset.dataset_id}/schema`, { headers: { Authorization: basicAuth(client) } }),
    );
    await expectDocumented(
      doc,
      "get",
      "/data/datasets/{dataset_id}/schema",
      await call(`/data/datasets/${crypto.randomUUID()}/schema`, { headers: bearer }),
    );

    const push = (query: string, body: string, headers: Record<string, string> = {}) =>
      call(`/data/json?dataset_id=${dataset.dataset_id}${query}`, {
        method: "POST",
        headers: { ...bearer, "Content-Type": "application/json", ...headers },
        body,
      });
    const accepted = (await expectDocumented(doc, "post", "/data/json", await push("", JSON.stringify([EXAMPLE_RECORD])))) as {
      data: Array<{ submission_id: string }>;
    };
    const invalid = JSON.stringify([EXAMPLE_RECORD, { ...EXAMPLE_RECORD, flow_bbl_d: "x" }]);
    expect(await expectDocumented(doc, "post", "/data/json", await push("", invalid))).toMatchObject({
      status: 422,
      records: 2,
      rejected: 1,
      errors: [{ record: 1 }],
    });
    expect(await expectDocumented(doc, "post", "/data/json", await push("&partial=true", invalid))).toMatchObject({
      data: [{ accepted: 1, rejected: 1, errors: [{ record: 1 }] }],
    });
    expect(await expectDocumented(doc, "post", "/data/json", await push("&dry_run=true", invalid))).toMatchObject({
      status: 422,
      dry_run: true,
    });
    expect(await expectDocumented(doc, "post", "/data/json", await push("&dry_run=true", JSON.stringify(EXAMPLE_RECORD)))).toMatchObject({
      data: [{ dry_run: true }],
    });
    const ndjson = { "Content-Type": "application/x-ndjson" };
    expect(
      await expectDocumented(doc, "post", "/data/json", await push("", `${JSON.stringify(EXAMPLE_RECORD)}\n{"date": `, ndjson)),
    ).toMatchObject({ status: 400, line: 2 });
    await expectDocumented(doc, "post", "/data/json", await push("", "a,b", { "Content-Type": "text/csv" }));
    const key = { "Idempotency-Key": crypto.randomUUID() };
    await expectDocumented(doc, "post", "/data/json", await push("", JSON.stringify(EXAMPLE_RECORD), key));
    const replay = await push("", JSON.stringify(EXAMPLE_RECORD), key);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    await expectDocumented(doc, "post", "/data/json", replay);
    expect(
      await expectDocumented(doc, "post", "/data/json", await push("", JSON.stringify([EXAMPLE_RECORD, EXAMPLE_RECORD]), key)),
    ).toMatchObject({ status: 422, field: "Idempotency-Key" });

    const submissionId = accepted.data[0]!.submission_id;
    await expectDocumented(
      doc,
      "get",
      "/data/submissions/{submission_id}",
      await call(`/data/submissions/${submissionId}`, { headers: bearer }),
    );
    await expectDocumented(
      doc,
      "get",
      "/data/submissions/{submission_id}",
      await call(`/data/submissions/${crypto.randomUUID()}`, { headers: bearer }),
    );
    await expectDocumented(doc, "get", "/admin/submissions/{submission_id}", await admin(`/admin/submissions/${submissionId}`));
    await expectDocumented(doc, "get", "/admin/submissions/{submission_id}", await admin(`/admin/submissions/${crypto.randomUUID()}`));
  });

  it("for the upload routes", async () => {
    const c = company();
    const dataset = await createDataset({ company_id: c, format: "csv" });
    const client = await createClient(c, [dataset.dataset_id]);
    const auth = { Authorization: basicAuth(client) };
    const urlFor = (query: string) => call(`/data/file_upload_url?dataset_id=${dataset.dataset_id}${query}`, { headers: auth });

    expect(await expectDocumented(doc, "get", "/data/file_upload_url", await urlFor("&file_name=wells.json"))).toMatchObject({
      status: 400,
      field: "file_name",
    });
    expect(
      await expectDocumented(doc, "get", "/data/file_upload_url", await urlFor(`&file_name=w.csv&content_length=${2 ** 40}`)),
    ).toMatchObject({ status: 413 });
    const csv = 'date,well-name,flow_bbl_d\n2023-05-04,"ExampleWell 10 #1",7.5\n';
    const issued = (await expectDocumented(
      doc,
      "get",
      "/data/file_upload_url",
      await urlFor(`&file_name=wells.csv&content_length=${csv.length}`),
    )) as {
      data: Array<{ file_id: string; uri: string; headers: Record<string, string> }>;
    };
    const { file_id: fileId, uri, headers } = issued.data[0]!;
    const target = new URL(uri);
    const put = (init: RequestInit) => call(`${target.pathname}${target.search}`, { method: "PUT", ...init });

    const status = (await expectDocumented(
      doc,
      "get",
      "/data/files/{file_id}",
      await call(`/data/files/${fileId}`, { headers: auth }),
    )) as { data: Array<{ status: string }> };
    expect(status.data[0]!.status).toBe("awaiting_upload");
    expect(
      await expectDocumented(
        doc,
        "post",
        "/data/files/{file_id}/complete",
        await call(`/data/files/${fileId}/complete`, { method: "POST", headers: auth }),
      ),
    ).toMatchObject({ status: 409 });

    const tampered = await put({ headers: { ...headers, "Content-Type": "text/plain" }, body: csv });
    expect(await expectDocumented(doc, "put", "/uploads/{dataset_id}/{file_id}/{file_name}", tampered)).toContain(
      "<Code>SignatureDoesNotMatch</Code>",
    );
    await expectDocumented(doc, "put", "/uploads/{dataset_id}/{file_id}/{file_name}", await put({ headers, body: csv }));
    await expectDocumented(doc, "put", "/uploads/{dataset_id}/{file_id}/{file_name}", await put({ headers, body: csv }));

    await expectDocumented(doc, "get", "/data/files/{file_id}", await call(`/data/files/${fileId}`, { headers: auth }));
    await expectDocumented(doc, "get", "/data/files/{file_id}", await call(`/data/files/${crypto.randomUUID()}`, { headers: auth }));
    await expectDocumented(
      doc,
      "post",
      "/data/files/{file_id}/complete",
      await call(`/data/files/${fileId}/complete`, { method: "POST", headers: auth }),
    );
  });

  it("for the service routes", async () => {
    await expectDocumented(doc, "get", "/health", await call("/health"));
    await expectDocumented(doc, "get", "/openapi.json", await call("/openapi.json"));
    await expectDocumented(doc, "get", "/docs", await call("/docs"));
    await expectDocumented(doc, "get", "/docs/{file}", await call("/docs/swagger-ui.css"));
    await expectDocumented(doc, "get", "/docs/{file}", await call("/docs/package.json"));
  });
});

describe("GET /docs", () => {
  const sameOriginRefs = (html: string) => [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);

  it("answers an HTML page that loads Swagger UI from this origin only, under a strict CSP", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    // No inline script (the CSP would block it): every <script> loads a file and has no body.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="/);
      expect(body!.trim()).toBe("");
    }
    const refs = sameOriginRefs(html);
    expect(refs).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/docs\/swagger-ui-bundle\.js/), expect.stringMatching(/^\/docs\/swagger-ui\.css/)]),
    );
    for (const ref of refs) expect(ref, "a same-origin, root-relative URL").toMatch(/^\/(?!\/)/);
    expect(html).toContain('data-openapi-url="/openapi.json"');
  });

  it("serves every file the page references, with its content type", async () => {
    const html = await (await call("/docs")).text();
    const expected: Record<string, RegExp> = { ".js": /^text\/javascript/, ".css": /^text\/css/, ".png": /^image\/png/ };
    for (const ref of sameOriginRefs(html)) {
      const res = await call(ref);
      expect(res.status, ref).toBe(200);
      const ext = new URL(ref, "http://x").pathname.match(/\.[a-z]+$/)![0];
      expect(res.headers.get("Content-Type"), ref).toMatch(expected[ext]!);
      const body = await res.text();
      if (ref.includes("swagger-ui-bundle.js")) {
        expect(body.length).toBeGreaterThan(500_000);
        expect(body).toContain("SwaggerUIBundle");
      }
      if (ref.includes("docs.js")) {
        expect(body).toContain("SwaggerUIBundle(");
        expect(body).toContain("validatorUrl: null");
        expect(body).not.toMatch(/https?:\/\//);
      }
    }
  });

  it("exposes nothing else of the Swagger UI package", async () => {
    for (const file of ["index.html", "package.json", "swagger-initializer.js", "swagger-ui-bundle.js.map", "..%2Fpackage.json"]) {
      const res = await call(`/docs/${file}`);
      expect(res.status, file).toBe(404);
      expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    }
    expect((await call("/swagger-ui-bundle.js")).status).toBe(404);
    expect((await call("/index.html")).status).toBe(404);
  });
});
