/**
 * The worker upload backend, end to end in workerd with Miniflare's real R2 and Queues:
 * GET /data/file_upload_url → PUT to the presigned URL (through the Worker) → the real queue
 * delivers → the file is processed → status `succeeded` → its rows are in the dataset. And every
 * way a PUT is refused (403 with an S3-style XML error, nothing stored).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { kvKeys } from "../../src/storage/keys";
import { toUploadKey } from "../../src/upload/signing-key";
import { call, EXAMPLE_RECORD, expectProblem } from "../helpers";
import {
  CapturingQueue,
  callWith,
  envWith,
  fileStatus,
  putFile,
  sizeOf,
  storedRecords,
  type UploadParty,
  type UploadUri,
  upload,
  uploadParty,
  uploadUrl,
  uploadUrlResponse,
  waitForStatus,
} from "./upload-helpers";

const CSV = 'date,well-name,flow_bbl_d\r\n2023-05-04,ExampleWell 10 #1,7.5\r\n2023-05-05,"Well, ""two""",8\r\n';

async function expectS3Error(res: Response, status: number, code: string | RegExp): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/xml");
  expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>/);
  const got = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  if (typeof code === "string") expect(got, text).toBe(code);
  else expect(got, text).toMatch(code);
  expect(text).toContain(`<RequestId>${res.headers.get("X-Request-Id")}</RequestId>`);
  return text;
}

async function expectNothingStored(party: UploadParty, target: UploadUri): Promise<void> {
  expect(await env.DATA.head(`uploads/${party.dataset_id}/${target.file_id}/${target.file_name}`)).toBeNull();
  expect((await fileStatus(party, target.file_id)).status).toBe("awaiting_upload");
}

describe("the worker upload backend: the whole flow", () => {
  it("URL → PUT → queue → succeeded → rows in storage, with file_id in their metadata", async () => {
    const party = await uploadParty("csv");
    const target = await uploadUrl(party, { file_name: "wells-2023-05.csv" });
    expect(target).toMatchObject({ method: "PUT", headers: { "Content-Type": "text/csv" }, file_name: "wells-2023-05.csv" });
    const uri = new URL(target.uri);
    expect(uri.origin).toBe("http://data-api.test");
    expect(uri.pathname).toBe(`/uploads/${party.dataset_id}/${target.file_id}/wells-2023-05.csv`);
    expect(uri.searchParams.get("X-Amz-Expires")).toBe("900");
    expect(uri.searchParams.get("X-Amz-SignedHeaders")).toBe("content-type;host");
    expect(Date.parse(target.expires_at) - Date.now()).toBeGreaterThan(890_000);
    expect((await fileStatus(party, target.file_id)).status).toBe("awaiting_upload");

    const res = await upload(target, CSV);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("ETag")).toMatch(/^"[0-9a-f]{32}"$/);

    // The file as sent, under API.md's key, with who sent it.
    const stored = await env.DATA.get(`uploads/${party.dataset_id}/${target.file_id}/wells-2023-05.csv`);
    expect(await stored!.text()).toBe(CSV);
    expect(stored!.httpMetadata?.contentType).toBe("text/csv");
    expect(stored!.customMetadata).toMatchObject({
      file_id: target.file_id,
      company_id: party.company_id,
      client_id: party.client.client_id,
    });

    const status = await waitForStatus(party, target.file_id);
    expect(status).toMatchObject({
      status: "succeeded",
      rows: 2,
      accepted: 2,
      rejected: 0,
      errors: [],
      dataset_id: party.dataset_id,
      file_name: "wells-2023-05.csv",
    });
    const { records, metadata, keys } = await storedRecords(party.dataset_id, target.file_id);
    expect(records).toEqual([EXAMPLE_RECORD, { date: "2023-05-05", "well-name": 'Well, "two"', flow_bbl_d: 8 }]);
    expect(keys[0]).toMatch(new RegExp(`^datasets/${party.dataset_id}/date=\\d{4}-\\d{2}-\\d{2}/[0-9a-f-]{36}\\.ndjson$`));
    expect(metadata[0]).toMatchObject({
      file_id: target.file_id,
      client_id: party.client.client_id,
      company_id: party.company_id,
      schema_version: "1",
      records: "2",
    });
  });

  it("binds content_length and checksum_sha256: the PUT must carry them, and the bytes must match", async () => {
    const party = await uploadParty("ndjson");
    const body = `${JSON.stringify(EXAMPLE_RECORD)}\n`;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    const b64 = btoa(String.fromCharCode(...digest));
    const target = await uploadUrl(party, { file_name: "day.jsonl", content_length: String(sizeOf(body)), checksum_sha256: hex });
    expect(target.headers).toEqual({
      "Content-Type": "application/x-ndjson",
      "Content-Length": String(sizeOf(body)),
      "x-amz-checksum-sha256": b64,
    });
    expect(new URL(target.uri).searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host;x-amz-checksum-sha256");

    // Without the checksum header, or with another body of the same size: refused, nothing stored.
    const { "x-amz-checksum-sha256": _omitted, ...withoutChecksum } = target.headers;
    await expectS3Error(await putFile(target.uri, body, withoutChecksum), 403, "SignatureDoesNotMatch");
    const forged = body.replace("7.5", "9.5");
    await expectS3Error(await putFile(target.uri, forged, target.headers), 400, "BadDigest");
    await expectNothingStored(party, target);

    const res = await putFile(target.uri, body, target.headers);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("x-amz-checksum-sha256")).toBe(b64);
    expect(await waitForStatus(party, target.file_id)).toMatchObject({ status: "succeeded", accepted: 1 });
  });

  it("answers a second PUT to a used URL with 409 and leaves the file as first sent", async () => {
    const party = await uploadParty("csv");
    const target = await uploadUrl(party, { file_name: "w.csv" });
    expect((await upload(target, CSV)).status).toBe(200);
    await expectS3Error(await upload(target, "date\n"), 409, "OperationAborted");
    const stored = await env.DATA.get(`uploads/${party.dataset_id}/${target.file_id}/w.csv`);
    expect(await stored!.text()).toBe(CSV);
    await waitForStatus(party, target.file_id);
  });
});

describe("the worker upload backend refuses, with 403 and an S3-style error, and stores nothing", () => {
  async function fresh(): Promise<{ party: UploadParty; target: UploadUri }> {
    const party = await uploadParty("csv");
    return { party, target: await uploadUrl(party, { file_name: "wells.csv" }) };
  }
  const headersFor = (target: UploadUri, body = CSV) => ({ ...target.headers, "Content-Length": String(sizeOf(body)) });

  it("a tampered path: another file name, another file id, another dataset", async () => {
    const { party, target } = await fresh();
    const other = await uploadUrl(party, { file_name: "other.csv" });
    const tampered = [
      target.uri.replace("/wells.csv?", "/wells2.csv?"),
      target.uri.replace(target.file_id, other.file_id),
      target.uri.replace(party.dataset_id, crypto.randomUUID()),
      target.uri.replace("/wells.csv?", "/wells.csv/x?"),
    ];
    for (const uri of tampered) {
      await expectS3Error(await putFile(uri, CSV, headersFor(target)), 403, "SignatureDoesNotMatch");
    }
    await expectNothingStored(party, target);
    await expectNothingStored(party, other);
    // The genuine URL still works: the refusals were about the tampering.
    expect((await putFile(target.uri, CSV, headersFor(target))).status).toBe(200);
  });

  it("a tampered query: an added, changed, removed or repeated parameter", async () => {
    const { party, target } = await fresh();
    const url = new URL(target.uri);
    const variant = (change: (p: URLSearchParams) => void) => {
      const u = new URL(url);
      change(u.searchParams);
      return u.toString();
    };
    const cases: Array<[string, string | RegExp]> = [
      [variant((p) => p.set("acl", "public-read")), "SignatureDoesNotMatch"],
      [variant((p) => p.set("X-Amz-Expires", "604800")), "SignatureDoesNotMatch"],
      // Another last second digit (a fixed "9" would change nothing for a URL signed at :x9).
      [
        variant((p) =>
          p.set(
            "X-Amz-Date",
            p.get("X-Amz-Date")!.replace(/(.)Z$/, (_, d) => (d === "9" ? "8Z" : "9Z")),
          ),
        ),
        "SignatureDoesNotMatch",
      ],
      [variant((p) => p.set("X-Amz-SignedHeaders", "host")), "AuthorizationQueryParametersError"],
      [variant((p) => p.delete("X-Amz-Credential")), "AuthorizationQueryParametersError"],
      [`${target.uri}&X-Amz-Expires=604800`, "AuthorizationQueryParametersError"],
      [`${url.origin}${url.pathname}`, "AccessDenied"],
    ];
    for (const [uri, code] of cases) await expectS3Error(await putFile(uri, CSV, headersFor(target)), 403, code);
    await expectNothingStored(party, target);
  });

  it("a tampered signature, and a signature by another key", async () => {
    const { party, target } = await fresh();
    const signature = new URL(target.uri).searchParams.get("X-Amz-Signature")!;
    const flipped = `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`;
    await expectS3Error(await putFile(target.uri.replace(signature, flipped), CSV, headersFor(target)), 403, "SignatureDoesNotMatch");
    const foreign = await toUploadKey("some-other-deployment-key");
    const credential = new URL(target.uri).searchParams.get("X-Amz-Credential")!;
    const foreignUri = target.uri.replace(encodeURIComponent(credential.split("/")[0]!), foreign.accessKeyId);
    await expectS3Error(await putFile(foreignUri, CSV, headersFor(target)), 403, "InvalidAccessKeyId");
    await expectNothingStored(party, target);
  });

  it("an expired URL (UPLOAD_URL_TTL_SECONDS = 1)", async () => {
    const party = await uploadParty("csv");
    const res = await callWith(
      envWith({ UPLOAD_URL_TTL_SECONDS: "1" }),
      `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=w.csv`,
      {
        headers: { Authorization: party.auth },
      },
    );
    expect(res.status).toBe(200);
    const target = (await res.json<{ data: UploadUri[] }>()).data[0]!;
    expect(new URL(target.uri).searchParams.get("X-Amz-Expires")).toBe("1");
    await new Promise((r) => setTimeout(r, 2100));
    const text = await expectS3Error(await putFile(target.uri, CSV, headersFor(target)), 403, "AccessDenied");
    expect(text).toContain("Request has expired");
    await expectNothingStored(party, target);
  });

  it("a wrong method", async () => {
    const { party, target } = await fresh();
    for (const method of ["POST", "GET", "DELETE", "PATCH"]) {
      const body = method === "GET" || method === "DELETE" ? null : CSV;
      await expectS3Error(
        await putFile(target.uri, body, method === "GET" || method === "DELETE" ? target.headers : headersFor(target), method),
        403,
        "SignatureDoesNotMatch",
      );
    }
    await expectNothingStored(party, target);
  });

  it("a body over MAX_UPLOAD_BYTES, and one other than the bound content_length", async () => {
    const party = await uploadParty("csv");
    const target = await uploadUrl(party, { file_name: "w.csv" });
    const small = envWith({ MAX_UPLOAD_BYTES: "16" });
    const url = new URL(target.uri);
    const over = await callWith(small, `${url.pathname}${url.search}`, { method: "PUT", headers: headersFor(target), body: CSV });
    await expectS3Error(over, 403, "EntityTooLarge");
    await expectNothingStored(party, target);

    const bound = await uploadUrl(party, { file_name: "b.csv", content_length: "10" });
    const eleven = "0123456789\n";
    await expectS3Error(await putFile(bound.uri, eleven, { ...bound.headers, "Content-Length": "11" }), 403, "SignatureDoesNotMatch");
    await expectNothingStored(party, bound);
    // And the URL cannot even be asked for more than the limit.
    await expectProblem(await uploadUrlResponse(party, { file_name: "c.csv", content_length: String(1024 ** 4) }), 413);
  });

  it("a wrong or missing content type", async () => {
    const { party, target } = await fresh();
    for (const contentType of ["text/plain", "text/csv; charset=utf-8", "application/octet-stream"]) {
      await expectS3Error(
        await putFile(target.uri, CSV, { "Content-Type": contentType, "Content-Length": String(sizeOf(CSV)) }),
        403,
        "SignatureDoesNotMatch",
      );
    }
    await expectS3Error(
      await putFile(target.uri, new TextEncoder().encode(CSV), { "Content-Length": String(sizeOf(CSV)) }),
      403,
      "SignatureDoesNotMatch",
    );
    await expectNothingStored(party, target);
  });

  it("a body without Content-Length (chunked): 411, as S3 answers", async () => {
    const { party, target } = await fresh();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(CSV));
        controller.close();
      },
    });
    await expectS3Error(await putFile(target.uri, body, target.headers), 411, "MissingContentLength");
    await expectNothingStored(party, target);
  });

  it("an unsigned x-amz-* header", async () => {
    const { party, target } = await fresh();
    await expectS3Error(await putFile(target.uri, CSV, { ...headersFor(target), "x-amz-acl": "public-read" }), 403, "AccessDenied");
    await expectNothingStored(party, target);
  });
});

describe("GET /data/file_upload_url", () => {
  it("checks the extension against the dataset's format (400 naming file_name)", async () => {
    const cases: Array<["csv" | "json" | "ndjson", string[], string[]]> = [
      ["csv", ["a.csv", "A.CSV"], ["a.json", "a.ndjson", "a", "a.csv.gz", "csv"]],
      ["json", ["a.json"], ["a.csv", "a.jsonl"]],
      ["ndjson", ["a.ndjson", "a.jsonl"], ["a.json", "a.csv"]],
    ];
    for (const [format, good, bad] of cases) {
      const party = await uploadParty(format);
      for (const name of good) expect((await uploadUrlResponse(party, { file_name: name })).status, name).toBe(200);
      for (const name of bad)
        expect((await expectProblem(await uploadUrlResponse(party, { file_name: name }), 400)).field, name).toBe("file_name");
    }
  });

  it("sanitises the name before it enters the key: no separators, dot segments or control characters, bounded length", async () => {
    const party = await uploadParty("csv");
    const cases: Array<[string, string]> = [
      ["../../etc/passwd.csv", "passwd.csv"],
      ["C:\\exports\\wells.csv", "wells.csv"],
      ["wells 2023\u0000\u001f\n.csv", "wells_2023.csv"],
      ["wells\u0007 2023 (v2).csv", "wells__2023__v2.csv"],
      ["a..b...csv", "a.b.csv"],
      ["..hidden.csv", "hidden.csv"],
      ["Ölquelle №1.csv", "Olquelle_No1.csv"],
      [`${"x".repeat(500)}.csv`, `${"x".repeat(128)}.csv`],
    ];
    for (const [raw, expected] of cases) {
      const target = await uploadUrl(party, { file_name: raw });
      expect(target.file_name, raw).toBe(expected);
      expect(new URL(target.uri).pathname).toBe(`/uploads/${party.dataset_id}/${target.file_id}/${expected}`);
    }
    for (const raw of ["..", "/", ".csv", "___.csv", `${"x".repeat(1025)}.csv`]) {
      expect((await expectProblem(await uploadUrlResponse(party, { file_name: raw }), 400)).field, raw).toBe("file_name");
    }
    await expectProblem(
      await call(`/data/file_upload_url?dataset_id=${party.dataset_id}`, { headers: { Authorization: party.auth } }),
      400,
    );
  });

  it("defaults the content type from the extension, takes a valid one given, refuses an invalid one", async () => {
    const party = await uploadParty("ndjson");
    expect((await uploadUrl(party, { file_name: "a.ndjson" })).headers["Content-Type"]).toBe("application/x-ndjson");
    expect((await uploadUrl(party, { file_name: "a.jsonl", content_type: "application/jsonl" })).headers["Content-Type"]).toBe(
      "application/jsonl",
    );
    expect((await expectProblem(await uploadUrlResponse(party, { file_name: "a.ndjson", content_type: "not a type" }), 400)).field).toBe(
      "content_type",
    );
  });

  it("validates content_length and checksum_sha256", async () => {
    const party = await uploadParty("csv");
    for (const value of ["-1", "1.5", "abc", ""]) {
      expect((await expectProblem(await uploadUrlResponse(party, { file_name: "a.csv", content_length: value }), 400)).field).toBe(
        "content_length",
      );
    }
    for (const value of ["abc", "00".repeat(31), `${"A".repeat(43)}`, "g".repeat(64)]) {
      expect((await expectProblem(await uploadUrlResponse(party, { file_name: "a.csv", checksum_sha256: value }), 400)).field).toBe(
        "checksum_sha256",
      );
    }
    const b64 = btoa(String.fromCharCode(...new Uint8Array(32).fill(251)));
    expect(b64).toContain("+");
    expect((await uploadUrl(party, { file_name: "a.csv", checksum_sha256: b64 })).headers["x-amz-checksum-sha256"]).toBe(b64);
  });

  it("refuses a client_id that disagrees with the credentials (403)", async () => {
    const party = await uploadParty("csv");
    const body = await expectProblem(await uploadUrlResponse(party, { file_name: "a.csv", client_id: crypto.randomUUID() }), 403);
    expect(body.field).toBe("client_id");
    expect((await uploadUrlResponse(party, { file_name: "a.csv", client_id: party.client.client_id })).status).toBe(200);
  });
});

describe("the upload signing key", () => {
  it('is generated once and kept in local KV where LOCAL_DEV_KEYS = "true" (wrangler dev needs no secret)', async () => {
    const party = await uploadParty("csv");
    const local = envWith({ UPLOAD_SIGNING_KEY: undefined, LOCAL_DEV_KEYS: "true" });
    const res = await callWith(local, `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=a.csv`, {
      headers: { Authorization: party.auth },
    });
    expect(res.status).toBe(200);
    const stored = await env.CONFIG.get(kvKeys.localUploadSigningKey());
    expect(stored).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const uri = (await res.json<{ data: UploadUri[] }>()).data[0]!.uri;
    expect(new URL(uri).searchParams.get("X-Amz-Credential")!.split("/")[0]).toBe((await toUploadKey(stored!)).accessKeyId);
  });

  it('missing in production (LOCAL_DEV_KEYS != "true"): a loud log and 503, never a default key', async () => {
    const party = await uploadParty("csv");
    const target = await uploadUrl(party, { file_name: "a.csv" });
    const production = envWith({ UPLOAD_SIGNING_KEY: undefined, LOCAL_DEV_KEYS: "false" });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const res = await callWith(production, `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=a.csv`, {
        headers: { Authorization: party.auth },
      });
      await expectProblem(res, 503);
      const url = new URL(target.uri);
      const put = await callWith(production, `${url.pathname}${url.search}`, {
        method: "PUT",
        headers: { ...target.headers, "Content-Length": "4" },
        body: "a,b\n",
      });
      await expectS3Error(put, 503, "ServiceUnavailable");
      expect(errors.mock.calls.some((args) => String(args[0]).includes("UPLOAD_SIGNING_KEY is not configured"))).toBe(true);
    } finally {
      errors.mockRestore();
    }
    expect(await env.DATA.head(`uploads/${party.dataset_id}/${target.file_id}/a.csv`)).toBeNull();
  });

  it("a configured key signs; after a rotation URLs of the previous key still work, once it is dropped they do not", async () => {
    const party = await uploadParty("csv");
    const keyA = "production-upload-key-A-0123456789abcdef";
    const keyB = "production-upload-key-B-0123456789abcdef";
    const queue = new CapturingQueue();
    const withA = envWith({ UPLOAD_SIGNING_KEY: keyA, LOCAL_DEV_KEYS: "false", FILE_QUEUE: queue });
    const ask = async (bindings: ReturnType<typeof envWith>) => {
      const res = await callWith(bindings, `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=a.csv`, {
        headers: { Authorization: party.auth },
      });
      expect(res.status).toBe(200);
      return (await res.json<{ data: UploadUri[] }>()).data[0]!;
    };
    const put = (bindings: ReturnType<typeof envWith>, target: UploadUri) => {
      const url = new URL(target.uri);
      return callWith(bindings, `${url.pathname}${url.search}`, {
        method: "PUT",
        headers: { ...target.headers, "Content-Length": String(sizeOf(CSV)) },
        body: CSV,
      });
    };
    const first = await ask(withA);
    const second = await ask(withA);
    expect(new URL(first.uri).searchParams.get("X-Amz-Credential")!.split("/")[0]).toBe((await toUploadKey(keyA)).accessKeyId);
    const rotated = envWith({ UPLOAD_SIGNING_KEY: keyB, UPLOAD_PREVIOUS_SIGNING_KEY: keyA, LOCAL_DEV_KEYS: "false", FILE_QUEUE: queue });
    expect((await put(rotated, first)).status).toBe(200);
    const dropped = envWith({ UPLOAD_SIGNING_KEY: keyB, LOCAL_DEV_KEYS: "false", FILE_QUEUE: queue });
    await expectS3Error(await put(dropped, second), 403, "InvalidAccessKeyId");
    // The local development key does not verify a production URL either.
    await expectS3Error(
      await putFile(second.uri, CSV, { ...second.headers, "Content-Length": String(sizeOf(CSV)) }),
      403,
      "InvalidAccessKeyId",
    );
  });
});
