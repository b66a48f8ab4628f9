import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newApp } from "../../src/app";
import {
  admin,
  basicAuth,
  call,
  createClient,
  createDataset,
  EXAMPLE_RECORD,
  EXAMPLE_SCHEMA,
  expectProblem,
  getToken,
  type TestClient,
} from "../helpers";

let companyCounter = 0;
async function setup(schema: unknown = EXAMPLE_SCHEMA) {
  const company = `push-${Date.now()}-${companyCounter++}`;
  const ds = await createDataset({ company_id: company, schema });
  const client = await createClient(company, [ds.dataset_id]);
  return { company, ds, client, auth: basicAuth(client) };
}

function push(
  auth: string,
  datasetId: string,
  body: BodyInit,
  opts: { type?: string; query?: string; headers?: Record<string, string> } = {},
) {
  return call(`/data/json?dataset_id=${datasetId}${opts.query ?? ""}`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": opts.type ?? "application/json", ...opts.headers },
    body,
  });
}

async function objectsUnder(prefix: string): Promise<string[]> {
  const listed = await env.DATA.list({ prefix });
  return listed.objects.map((o) => o.key);
}

const BAD_RECORD = { date: "2023-05-04", "well-name": 12, flow_bbl_d: "lots" };

describe("POST /data/json", () => {
  it("accepts the original page's example record with 202 and stores it byte-for-byte with metadata", async () => {
    const { ds, client, auth } = await setup();
    const res = await push(auth, ds.dataset_id, JSON.stringify(EXAMPLE_RECORD));
    expect(res.status, await res.clone().text()).toBe(202);
    const body = await res.json<any>();
    expect(body.meta).toEqual({ type: "DataSubmission", transaction_id: res.headers.get("X-Request-Id") });
    const sub = body.data[0];
    expect(sub).toMatchObject({ dataset_id: ds.dataset_id, schema_version: 1, records: 1, accepted: 1, rejected: 0 });
    const date = sub.received_at.slice(0, 10);
    const key = `datasets/${ds.dataset_id}/date=${date}/${sub.submission_id}.ndjson`;
    const object = await env.DATA.get(key);
    expect(object).not.toBeNull();
    const text = await object!.text();
    expect(text).toBe(`${JSON.stringify(EXAMPLE_RECORD)}\n`);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(object!.customMetadata).toMatchObject({
      client_id: client.client_id,
      company_id: ds.company_id,
      schema_version: "1",
      records: "1",
      received_at: sub.received_at,
      sha256: hex,
      submission_id: sub.submission_id,
    });
  });

  it("accepts an array, NDJSON (blank lines ignored) and gzip bodies with the right counts", async () => {
    const { ds, auth } = await setup();
    const arr = await push(auth, ds.dataset_id, JSON.stringify([EXAMPLE_RECORD, EXAMPLE_RECORD]));
    expect((await arr.json<any>()).data[0]).toMatchObject({ records: 2, accepted: 2 });

    const ndjson = `${JSON.stringify(EXAMPLE_RECORD)}\n\n${JSON.stringify(EXAMPLE_RECORD)}\r\n${JSON.stringify(EXAMPLE_RECORD)}`;
    const nd = await push(auth, ds.dataset_id, ndjson, { type: "application/x-ndjson" });
    expect(nd.status).toBe(202);
    expect((await nd.json<any>()).data[0]).toMatchObject({ records: 3, accepted: 3 });

    const gz = await new Response(new Blob([ndjson]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    const zipped = await push(auth, ds.dataset_id, gz, { type: "application/x-ndjson", headers: { "Content-Encoding": "gzip" } });
    expect(zipped.status, await zipped.clone().text()).toBe(202);
    expect((await zipped.json<any>()).data[0]).toMatchObject({ records: 3, accepted: 3 });
  });

  it("accepts with a Bearer token as well as Basic credentials", async () => {
    const { ds, client } = await setup();
    const token = await getToken(client);
    const res = await push(`Bearer ${token}`, ds.dataset_id, JSON.stringify(EXAMPLE_RECORD));
    expect(res.status).toBe(202);
  });

  it("refuses a push with invalid records as a whole (422) with precise errors, and quarantines it", async () => {
    const { ds, auth } = await setup();
    const res = await push(auth, ds.dataset_id, JSON.stringify([EXAMPLE_RECORD, BAD_RECORD, { date: "x" }]));
    const problem = await expectProblem(res, 422);
    expect(problem.records).toBe(3);
    expect(problem.rejected).toBe(2);
    expect(problem.errors_truncated).toBe(false);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { record: 1, path: "/well-name", keyword: "type", message: expect.any(String) },
        { record: 1, path: "/flow_bbl_d", keyword: "type", message: expect.any(String) },
        { record: 2, path: "", keyword: "required", message: expect.stringContaining("well-name") },
      ]),
    );
    expect(await objectsUnder(`datasets/${ds.dataset_id}/`)).toEqual([]);
    const quarantined = await objectsUnder(`quarantine/${ds.dataset_id}/`);
    expect(quarantined.some((k) => k.endsWith(`${problem.quarantine_id}.rejected.ndjson`))).toBe(true);
    expect(quarantined.some((k) => k.endsWith(`${problem.quarantine_id}.held.ndjson`))).toBe(true);
    const rejectedKey = quarantined.find((k) => k.endsWith(".rejected.ndjson"))!;
    const lines = (await (await env.DATA.get(rejectedKey))!.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.record)).toEqual([1, 2]);
    expect(lines[0].data).toEqual(BAD_RECORD);
    expect(lines[0].errors.length).toBe(2);
  });

  it("numbers NDJSON errors by line and refuses non-object records", async () => {
    const { ds, auth } = await setup();
    const body = `${JSON.stringify(EXAMPLE_RECORD)}\n\n${JSON.stringify(BAD_RECORD)}\n42\n`;
    const problem = await expectProblem(await push(auth, ds.dataset_id, body, { type: "application/x-ndjson" }), 422);
    expect(problem.errors.map((e: any) => e.record)).toEqual([3, 3, 4]);
    expect(problem.errors[2]).toEqual({ record: 4, path: "", keyword: "type", message: "A record must be a JSON object." });
  });

  it("caps the reported errors and says so", async () => {
    const { ds, auth } = await setup();
    const many = Array.from({ length: 150 }, () => ({ date: 1 }));
    const problem = await expectProblem(await push(auth, ds.dataset_id, JSON.stringify(many)), 422);
    expect(problem.errors.length).toBe(100);
    expect(problem.errors_truncated).toBe(true);
    expect(problem.rejected).toBe(150);
  });

  it("stores only the valid records with ?partial=true and lists the rejected ones", async () => {
    const { ds, auth } = await setup();
    const res = await push(auth, ds.dataset_id, JSON.stringify([EXAMPLE_RECORD, BAD_RECORD, EXAMPLE_RECORD]), { query: "&partial=true" });
    expect(res.status).toBe(202);
    const sub = (await res.json<any>()).data[0];
    expect(sub).toMatchObject({ records: 3, accepted: 2, rejected: 1, errors_truncated: false });
    expect(sub.errors.every((e: any) => e.record === 1)).toBe(true);
    const stored = await objectsUnder(`datasets/${ds.dataset_id}/`);
    expect(stored.length).toBe(1);
    const text = await (await env.DATA.get(stored[0]!))!.text();
    expect(text).toBe(`${JSON.stringify(EXAMPLE_RECORD)}\n${JSON.stringify(EXAMPLE_RECORD)}\n`);
    expect((await objectsUnder(`quarantine/${ds.dataset_id}/`)).length).toBe(1);
  });

  it("validates but stores nothing with ?dry_run=true", async () => {
    const { ds, auth } = await setup();
    const ok = await push(auth, ds.dataset_id, JSON.stringify(EXAMPLE_RECORD), { query: "&dry_run=true" });
    expect(ok.status).toBe(202);
    expect((await ok.json<any>()).data[0]).toMatchObject({ records: 1, accepted: 1, dry_run: true });
    const bad = await expectProblem(await push(auth, ds.dataset_id, JSON.stringify(BAD_RECORD), { query: "&dry_run=true" }), 422);
    expect(bad.errors.length).toBe(2);
    expect(await objectsUnder(`datasets/${ds.dataset_id}/`)).toEqual([]);
    expect(await objectsUnder(`quarantine/${ds.dataset_id}/`)).toEqual([]);
  });

  it("answers malformed bodies with 400 naming line and column", async () => {
    const { ds, auth } = await setup();
    const json = await expectProblem(await push(auth, ds.dataset_id, '{\n  "date": "2023-05-04",\n}'), 400);
    expect(json).toMatchObject({ line: 3, column: 1 });
    expect(json.detail).toContain("line 3, column 1");
    const nd = await expectProblem(
      await push(auth, ds.dataset_id, `${JSON.stringify(EXAMPLE_RECORD)}\n{"date": }\n`, { type: "application/x-ndjson" }),
      400,
    );
    expect(nd).toMatchObject({ line: 2, column: 10 });
    expect(nd.detail).toContain("Line 2");
    const gz = await expectProblem(
      await push(auth, ds.dataset_id, "definitely not gzip", { headers: { "Content-Encoding": "gzip" } }),
      400,
    );
    expect(gz.detail).toContain("could not be read");
  });

  it("answers empty bodies and empty arrays with 400", async () => {
    const { ds, auth } = await setup();
    await expectProblem(await push(auth, ds.dataset_id, ""), 400);
    await expectProblem(await push(auth, ds.dataset_id, "[]"), 400);
    await expectProblem(await push(auth, ds.dataset_id, "\n\n", { type: "application/x-ndjson" }), 400);
  });

  it("answers other content types and encodings with 415", async () => {
    const { ds, auth } = await setup();
    await expectProblem(await push(auth, ds.dataset_id, "date,well\n", { type: "text/csv" }), 415);
    await expectProblem(await push(auth, ds.dataset_id, "{}", { headers: { "Content-Encoding": "br" } }), 415);
  });

  it("answers bodies, records and nesting over the limits with 413", async () => {
    const { ds, auth } = await setup();
    const app = newApp();
    const limited = { ...env, MAX_BODY_BYTES: "200", MAX_RECORDS: "2", MAX_DEPTH: "3", MAX_JSON_BODY_BYTES: "100" };
    const send = (body: string, type = "application/x-ndjson") =>
      app.fetch(
        new Request(`http://x/data/json?dataset_id=${ds.dataset_id}`, {
          method: "POST",
          headers: { Authorization: auth, "Content-Type": type },
          body,
        }),
        limited,
        { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
      );
    const line = JSON.stringify(EXAMPLE_RECORD);
    expect((await expectProblem(await send(`${line}\n`.repeat(5)), 413)).detail).toContain("200 bytes");
    expect((await expectProblem(await send(`{"a":1}\n{"a":1}\n{"a":1}\n`), 413)).detail).toContain("2 records");
    expect((await expectProblem(await send(JSON.stringify({ ...EXAMPLE_RECORD, x: { y: { z: {} } } })), 413)).detail).toContain("nested");
    expect((await expectProblem(await send(JSON.stringify([EXAMPLE_RECORD, EXAMPLE_RECORD]), "application/json"), 413)).detail).toContain(
      "100 bytes",
    );
  });

  it("keeps datasets of other companies invisible (404) and ungranted ones forbidden (403)", async () => {
    const a = await setup();
    const b = await setup();
    const other = await expectProblem(await push(a.auth, b.ds.dataset_id, JSON.stringify(EXAMPLE_RECORD)), 404);
    const unknown = await expectProblem(await push(a.auth, crypto.randomUUID(), JSON.stringify(EXAMPLE_RECORD)), 404);
    expect(other.title).toBe(unknown.title);
    const second = await createDataset({ company_id: a.company });
    await expectProblem(await push(a.auth, second.dataset_id, JSON.stringify(EXAMPLE_RECORD)), 403);
    await expectProblem(
      await call(`/data/json`, { method: "POST", headers: { Authorization: a.auth, "Content-Type": "application/json" }, body: "{}" }),
      400,
    );
    expect(await objectsUnder(`datasets/${b.ds.dataset_id}/`)).toEqual([]);
  });

  it("serves receipts to the same company only", async () => {
    const a = await setup();
    const b = await setup();
    const sub = (await (await push(a.auth, a.ds.dataset_id, JSON.stringify([EXAMPLE_RECORD]))).json<any>()).data[0];
    const res = await call(`/data/submissions/${sub.submission_id}`, { headers: { Authorization: a.auth } });
    expect(res.status).toBe(200);
    const receipt = (await res.json<any>()).data[0];
    expect(receipt).toMatchObject({ submission_id: sub.submission_id, dataset_id: a.ds.dataset_id, accepted: 1, records: 1 });
    await expectProblem(await call(`/data/submissions/${sub.submission_id}`, { headers: { Authorization: b.auth } }), 404);
    await expectProblem(await call(`/data/submissions/not-a-uuid`, { headers: { Authorization: a.auth } }), 404);
  });

  it("handles 200,000 NDJSON records in one push", { timeout: 120_000 }, async () => {
    const { ds, auth } = await setup();
    const line = `${JSON.stringify(EXAMPLE_RECORD)}\n`;
    const count = 200_000;
    const chunk = line.repeat(1000);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === count) return controller.close();
        controller.enqueue(new TextEncoder().encode(chunk));
        sent += 1000;
      },
    });
    const res = await push(auth, ds.dataset_id, body, { type: "application/x-ndjson" });
    expect(res.status, await res.clone().text()).toBe(202);
    const sub = (await res.json<any>()).data[0];
    expect(sub).toMatchObject({ records: count, accepted: count, rejected: 0 });
    const stored = await env.DATA.head(`datasets/${ds.dataset_id}/date=${sub.received_at.slice(0, 10)}/${sub.submission_id}.ndjson`);
    expect(stored?.size).toBe(line.length * count);
    expect(stored?.customMetadata?.records).toBe(String(count));
  });
});

describe("Idempotency-Key", () => {
  it("replays the first response for the same key and body, and stores nothing new", async () => {
    const { ds, auth } = await setup();
    const headers = { "Idempotency-Key": "nightly-2026-12-03" };
    const first = await push(auth, ds.dataset_id, JSON.stringify(EXAMPLE_RECORD), { headers });
    expect(first.status).toBe(202);
    const firstBody = await first.text();
    const again = await push(auth, ds.dataset_id, JSON.stringify(EXAMPLE_RECORD), { headers });
    expect(again.status).toBe(202);
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.headers.get("X-Request-Id")).toBe(JSON.parse(firstBody).meta.transaction_id);
    expect((await objectsUnder(`datasets/${ds.dataset_id}/`)).length).toBe(1);
  });

  it("refuses the same key with a different body (422)", async () => {
    const { ds, auth } = await setup();
    const headers = { "Idempotency-Key": "k-1" };
    expect((await push(auth, ds.dataset_id, JSON.stringify(EXAMPLE_RECORD), { headers })).status).toBe(202);
    const other = { ...EXAMPLE_RECORD, flow_bbl_d: 8 };
    const problem = await expectProblem(await push(auth, ds.dataset_id, JSON.stringify(other), { headers }), 422);
    expect(problem.detail).toContain("different request body");
    expect((await objectsUnder(`datasets/${ds.dataset_id}/`)).length).toBe(1);
  });

  it("scopes keys to the client: another client's same key is independent", async () => {
    const { ds, company, auth } = await setup();
    const second: TestClient = await createClient(company, [ds.dataset_id]);
    const headers = { "Idempotency-Key": "shared-key" };
    expect((await push(auth, ds.dataset_id, JSON.stringify(EXAMPLE_RECORD), { headers })).status).toBe(202);
    const res = await push(basicAuth(second), ds.dataset_id, JSON.stringify(EXAMPLE_RECORD), { headers });
    expect(res.headers.get("Idempotent-Replayed")).toBeNull();
    expect((await objectsUnder(`datasets/${ds.dataset_id}/`)).length).toBe(2);
  });

  it("stores exactly one submission for concurrent duplicates; the others get 409 or the replay", async () => {
    const { ds, auth } = await setup();
    const headers = { "Idempotency-Key": "concurrent" };
    const body = JSON.stringify(Array.from({ length: 500 }, () => EXAMPLE_RECORD));
    const results = await Promise.all(Array.from({ length: 6 }, () => push(auth, ds.dataset_id, body, { headers })));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    const fresh = results.filter((r) => r.status === 202 && r.headers.get("Idempotent-Replayed") === null);
    expect(fresh.length).toBe(1);
    for (const r of results.filter((r) => r.status === 409)) {
      expect(r.headers.get("Content-Type")).toBe("application/problem+json");
    }
    expect((await objectsUnder(`datasets/${ds.dataset_id}/`)).length).toBe(1);
  });

  it("refuses keys that are too long", async () => {
    const { ds, auth } = await setup();
    await expectProblem(await push(auth, ds.dataset_id, "{}", { headers: { "Idempotency-Key": "x".repeat(256) } }), 400);
  });
});

describe("schema updates against recently accepted records", () => {
  it("refuses (409) a schema that the dataset's recent records would fail, and ?force=true overrides", async () => {
    const { ds, auth } = await setup();
    expect((await push(auth, ds.dataset_id, JSON.stringify({ ...EXAMPLE_RECORD, extra: "kept" }))).status).toBe(202);
    // The sample is written after the response (waitUntil); wait until it is there.
    for (let i = 0; i < 500 && !(await env.DATA.head(`samples/${ds.dataset_id}/recent.json`)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await env.DATA.head(`samples/${ds.dataset_id}/recent.json`)).not.toBeNull();
    const stricter = { ...EXAMPLE_SCHEMA, additionalProperties: false };
    const res = await admin(`/admin/datasets/${ds.dataset_id}/schema`, { method: "PUT", json: { schema: stricter } });
    const problem = await expectProblem(res, 409);
    expect(problem.incompatible).toEqual([
      expect.objectContaining({
        source: "recent_record",
        index: 0,
        errors: [expect.objectContaining({ keyword: "additionalProperties" })],
      }),
    ]);
    const forced = await admin(`/admin/datasets/${ds.dataset_id}/schema?force=true`, { method: "PUT", json: { schema: stricter } });
    expect(forced.status).toBe(200);
    expect((await forced.json<any>()).data[0].schema_version).toBe(2);
  });
});

describe("storage failure", () => {
  it("answers 503 with Retry-After and acknowledges nothing when R2 refuses the write", async () => {
    const { ds, auth } = await setup();
    // Miniflare's R2 cannot be made to fail on demand: this stand-in refuses writes (reads pass through).
    const failing = new Proxy(env.DATA, {
      get(target, prop) {
        if (prop === "put" || prop === "createMultipartUpload") return () => Promise.reject(new Error("R2 unavailable"));
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const res = await newApp().fetch(
      new Request(`http://x/data/json?dataset_id=${ds.dataset_id}`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: JSON.stringify(EXAMPLE_RECORD),
      }),
      { ...env, DATA: failing },
      { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
    );
    const problem = await expectProblem(res, 503);
    expect(res.headers.get("Retry-After")).toBeTruthy();
    expect(JSON.stringify(problem)).not.toContain("R2 unavailable");
    expect(await objectsUnder(`datasets/${ds.dataset_id}/`)).toEqual([]);
  });
});
