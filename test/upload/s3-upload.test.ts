/**
 * The s3 upload backend against a real S3-compatible server on loopback (s3rver behind a strict
 * SigV4 front that verifies presigned URLs independently of aws4fetch; test/setup/s3-server.ts):
 * the URL points at the S3 endpoint, the file goes there directly, `complete` queues it, and
 * processing streams it back from S3.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EXAMPLE_RECORD, expectProblem } from "../helpers";
import { s3Env, s3Server } from "../setup/s3";
import { CapturingQueue, callWith, drain, envWith, storedRecords, type UploadUri, uploadParty } from "./upload-helpers";

const NDJSON = `${JSON.stringify(EXAMPLE_RECORD)}\n${JSON.stringify({ ...EXAMPLE_RECORD, flow_bbl_d: "high" })}\n`;

function s3Bindings() {
  // Records still go to R2 (SINK = "r2"): only the upload target is S3.
  return envWith({ ...s3Env(), SINK: "r2", UPLOAD_BACKEND: "s3", FILE_QUEUE: new CapturingQueue() }) as ReturnType<typeof envWith> & {
    FILE_QUEUE: CapturingQueue;
  };
}

describe("the s3 upload backend", () => {
  it("URL at the S3 endpoint → PUT to S3 → complete → processed from S3 → rows in storage", async () => {
    const bindings = s3Bindings();
    const party = await uploadParty("ndjson");
    const auth = { headers: { Authorization: party.auth } };
    const res = await callWith(bindings, `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=readings.ndjson`, auth);
    expect(res.status, await res.clone().text()).toBe(200);
    const target = (await res.json<{ data: UploadUri[] }>()).data[0]!;
    const server = s3Server();
    const uri = new URL(target.uri);
    expect(`${uri.origin}${uri.pathname}`).toBe(
      `${server.endpoint}/${server.bucket}/uploads/${party.dataset_id}/${target.file_id}/readings.ndjson`,
    );
    expect(uri.searchParams.get("X-Amz-Credential")).toMatch(new RegExp(`^${server.accessKeyId}/\\d{8}/${server.region}/s3/aws4_request$`));

    // Not uploaded yet: complete is refused with 409 and nothing is queued.
    await expectProblem(await callWith(bindings, `/data/files/${target.file_id}/complete`, { method: "POST", ...auth }), 409);
    expect(bindings.FILE_QUEUE.sent).toEqual([]);

    // The S3 server checks the signature itself: a different content type is refused there.
    const refused = await fetch(target.uri, { method: "PUT", headers: { "Content-Type": "text/plain" }, body: NDJSON });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("<Code>SignatureDoesNotMatch</Code>");

    const put = await fetch(target.uri, { method: "PUT", headers: target.headers, body: NDJSON });
    expect(put.status, await put.clone().text()).toBe(200);
    // Nothing passed through the Worker or R2.
    expect(await env.DATA.head(`uploads/${party.dataset_id}/${target.file_id}/readings.ndjson`)).toBeNull();

    const completed = await callWith(bindings, `/data/files/${target.file_id}/complete`, { method: "POST", ...auth });
    expect(completed.status, await completed.clone().text()).toBe(202);
    expect((await completed.json<{ data: Array<{ status: string }> }>()).data[0]!.status).toBe("processing");
    expect(bindings.FILE_QUEUE.sent).toEqual([{ type: "process-file", file_id: target.file_id }]);
    await drain(bindings);

    const status = await callWith(bindings, `/data/files/${target.file_id}`, auth);
    const body = (await status.json<{ data: Array<Record<string, unknown>> }>()).data[0]!;
    expect(body).toMatchObject({ status: "succeeded", rows: 2, accepted: 1, rejected: 1, size: NDJSON.length });
    expect(body.errors).toEqual([{ record: 2, path: "/flow_bbl_d", keyword: "type", message: expect.any(String) }]);
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual([EXAMPLE_RECORD]);
  });

  it("binds content_length and checksum_sha256 at S3 too: a body that does not match is refused", async () => {
    const bindings = s3Bindings();
    const party = await uploadParty("ndjson");
    const digest = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(NDJSON)))));
    const query = new URLSearchParams({
      dataset_id: party.dataset_id,
      file_name: "r.ndjson",
      content_length: String(NDJSON.length),
      checksum_sha256: digest,
    });
    const res = await callWith(bindings, `/data/file_upload_url?${query}`, { headers: { Authorization: party.auth } });
    const target = (await res.json<{ data: UploadUri[] }>()).data[0]!;
    expect(Object.keys(target.headers).sort()).toEqual(["Content-Length", "Content-Type", "x-amz-checksum-sha256"]);

    const forged = NDJSON.replace("7.5", "9.5");
    const bad = await fetch(target.uri, { method: "PUT", headers: target.headers, body: forged });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("<Code>BadDigest</Code>");
    const good = await fetch(target.uri, { method: "PUT", headers: target.headers, body: NDJSON });
    expect(good.status, await good.clone().text()).toBe(200);
  });

  it("calling complete twice, and processing the queue twice, stores the rows once", async () => {
    const bindings = s3Bindings();
    const party = await uploadParty("ndjson");
    const auth = { headers: { Authorization: party.auth } };
    const res = await callWith(bindings, `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=r.ndjson`, auth);
    const target = (await res.json<{ data: UploadUri[] }>()).data[0]!;
    expect((await fetch(target.uri, { method: "PUT", headers: target.headers, body: NDJSON })).status).toBe(200);
    expect((await callWith(bindings, `/data/files/${target.file_id}/complete`, { method: "POST", ...auth })).status).toBe(202);
    expect((await callWith(bindings, `/data/files/${target.file_id}/complete`, { method: "POST", ...auth })).status).toBe(202);
    expect(bindings.FILE_QUEUE.sent).toHaveLength(2);
    await drain(bindings);
    expect((await callWith(bindings, `/data/files/${target.file_id}/complete`, { method: "POST", ...auth })).status).toBe(202);
    expect(bindings.FILE_QUEUE.sent).toEqual([]); // finished: nothing more to queue
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual([EXAMPLE_RECORD]);
  });
});
