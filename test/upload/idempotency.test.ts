/**
 * Processing is idempotent: whatever sequence of queue deliveries — a second nudge, `complete`
 * twice, a redelivered chunk after a crash before its checkpoint was saved, two invocations at once
 * — each row of a file is stored exactly once. And R2 event notifications start processing.
 *
 * These tests hold the queue themselves (a capturing FILE_QUEUE) and run the Worker's queue handler
 * message by message, with 3 rows per chunk, so every step is visible.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FileRecord } from "../../src/storage/files";
import { r2Keys } from "../../src/storage/keys";
import { EXAMPLE_RECORD } from "../helpers";
import {
  CapturingQueue,
  callWith,
  drain,
  envWith,
  nudge,
  runQueue,
  sizeOf,
  storedRecords,
  type UploadParty,
  type UploadUri,
  uploadParty,
} from "./upload-helpers";

type Held = ReturnType<typeof envWith> & { FILE_QUEUE: CapturingQueue };

const ROWS = 10;
const CSV = `date,well-name,flow_bbl_d\n${Array.from({ length: ROWS }, (_, i) => `2023-05-04,W${i + 1},${i + 1}`).join("\n")}\n`;
const expectedRecords = Array.from({ length: ROWS }, (_, i) => ({ ...EXAMPLE_RECORD, "well-name": `W${i + 1}`, flow_bbl_d: i + 1 }));

/** A CSV file uploaded through the worker backend with the queue held by the test. */
async function uploaded(): Promise<{ bindings: Held; party: UploadParty; target: UploadUri }> {
  const bindings = envWith({ FILE_QUEUE: new CapturingQueue(), FILE_CHUNK_ROWS: "3" }) as Held;
  const party = await uploadParty("csv");
  const auth = { headers: { Authorization: party.auth } };
  const res = await callWith(bindings, `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=wells.csv`, auth);
  const target = (await res.json<{ data: UploadUri[] }>()).data[0]!;
  const url = new URL(target.uri);
  const put = await callWith(bindings, `${url.pathname}${url.search}`, {
    method: "PUT",
    headers: { ...target.headers, "Content-Length": String(sizeOf(CSV)) },
    body: CSV,
  });
  expect(put.status, await put.clone().text()).toBe(200);
  return { bindings, party, target };
}

async function record(fileId: string): Promise<FileRecord> {
  return (await (await env.DATA.get(r2Keys.fileStatus(fileId)))!.json()) as FileRecord;
}

async function objectsOf(datasetId: string): Promise<Array<[string, string]>> {
  const listed = await env.DATA.list({ prefix: `datasets/${datasetId}/` });
  return listed.objects.map((o) => [o.key, o.etag] as [string, string]).sort();
}

describe("idempotent processing", () => {
  it("stores a file in chunks with a checkpoint after each, and its rows once however often it is nudged again", async () => {
    const { bindings, party, target } = await uploaded();
    expect(bindings.FILE_QUEUE.sent).toEqual([nudge(target.file_id)]);
    const uploadedRecord = await record(target.file_id);
    expect(uploadedRecord.status).toBe("processing");
    // Records are partitioned by the upload's time, not the processing's: a chunk processed again on
    // another day lands under the same key. (Backdated here to see it.)
    const uploadedAt = "2023-05-04T23:59:59.000Z";
    await env.DATA.put(r2Keys.fileStatus(target.file_id), JSON.stringify({ ...uploadedRecord, uploaded_at: uploadedAt }));

    // Chunk by chunk: each delivery stores 3 rows, saves the checkpoint and queues the next chunk.
    await runQueue(bindings, "data-api-files", bindings.FILE_QUEUE.take());
    let rec = await record(target.file_id);
    expect(rec.checkpoint).toMatchObject({ chunk: 1, rows: 3 });
    expect(rec.checkpoint!.offset).toBe(CSV.indexOf("2023-05-04,W4"));
    expect(rec).toMatchObject({ status: "processing", rows: 3, accepted: 3, chunks: 1 });
    expect(bindings.FILE_QUEUE.sent).toEqual([{ type: "process-file", file_id: target.file_id, chunk: 1 }]);
    await drain(bindings);
    rec = await record(target.file_id);
    expect(rec).toMatchObject({ status: "succeeded", rows: ROWS, accepted: ROWS, rejected: 0 });
    expect(rec.chunks).toBe(4);

    const stored = await storedRecords(party.dataset_id, target.file_id);
    expect(stored.records).toEqual(expectedRecords);
    expect(stored.keys.every((k) => k.startsWith(`datasets/${party.dataset_id}/date=2023-05-04/`))).toBe(true);
    expect(stored.metadata.every((m) => m.received_at === uploadedAt)).toBe(true);
    expect(stored.metadata.map((m) => [m.file_chunk, m.records])).toEqual([
      ["0", "3"],
      ["1", "3"],
      ["2", "3"],
      ["3", "1"],
    ]);
    const objects = await objectsOf(party.dataset_id);

    // Nudges after the end (a second `complete`, an R2 notification, a redelivery): nothing changes.
    const again = await runQueue(bindings, "data-api-files", [nudge(target.file_id), { ...nudge(target.file_id), chunk: 2 }]);
    expect(again.retryMessages).toEqual([]);
    expect(bindings.FILE_QUEUE.sent).toEqual([]);
    expect(await objectsOf(party.dataset_id)).toEqual(objects);
    expect(await record(target.file_id)).toEqual(rec);
  });

  it("a chunk redelivered after a crash before its checkpoint was saved is stored once", async () => {
    const { bindings, party, target } = await uploaded();
    await runQueue(bindings, "data-api-files", bindings.FILE_QUEUE.take()); // chunk 0
    const beforeChunk1 = await record(target.file_id);
    const continuation = bindings.FILE_QUEUE.take();
    await runQueue(bindings, "data-api-files", continuation); // chunk 1 stored, checkpoint → 2
    expect((await record(target.file_id)).checkpoint!.chunk).toBe(2);
    const afterChunk1 = await objectsOf(party.dataset_id);
    // The crash: chunk 1's rows are stored but its checkpoint is lost; the queue delivers chunk 1 again.
    await env.DATA.put(r2Keys.fileStatus(target.file_id), JSON.stringify(beforeChunk1));
    bindings.FILE_QUEUE.take();
    await runQueue(bindings, "data-api-files", continuation);
    expect((await objectsOf(party.dataset_id)).map(([key]) => key)).toEqual(afterChunk1.map(([key]) => key));
    await drain(bindings);
    expect(await record(target.file_id)).toMatchObject({ status: "succeeded", rows: ROWS, accepted: ROWS });
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual(expectedRecords);
  });

  it("two invocations at once (e.g. the upload's nudge and an R2 notification) store the rows once", async () => {
    const { bindings, party, target } = await uploaded();
    const first = bindings.FILE_QUEUE.take();
    await Promise.all([runQueue(bindings, "data-api-files", first), runQueue(bindings, "data-api-files", first)]);
    await drain(bindings);
    expect(await record(target.file_id)).toMatchObject({ status: "succeeded", rows: ROWS, accepted: ROWS });
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual(expectedRecords);
  });

  it("POST /data/files/{id}/complete twice, while the upload's own message is pending: rows once", async () => {
    const { bindings, party, target } = await uploaded();
    const auth = { headers: { Authorization: party.auth } };
    for (let i = 0; i < 2; i++) {
      const res = await callWith(bindings, `/data/files/${target.file_id}/complete`, { method: "POST", ...auth });
      expect(res.status, await res.clone().text()).toBe(202);
    }
    expect(bindings.FILE_QUEUE.sent).toHaveLength(3);
    await drain(bindings);
    expect(await record(target.file_id)).toMatchObject({ status: "succeeded", rows: ROWS, accepted: ROWS });
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual(expectedRecords);
  });
});

describe("a file replaced while it is processed", () => {
  it("ends `failed` instead of mixing two versions (each chunk reads only the version processing started on)", async () => {
    const { bindings, party, target } = await uploaded();
    await runQueue(bindings, "data-api-files", bindings.FILE_QUEUE.take()); // chunk 0 of the original
    await env.DATA.put(`uploads/${party.dataset_id}/${target.file_id}/wells.csv`, CSV.replace("W4", "X4"));
    await drain(bindings);
    const rec = await record(target.file_id);
    expect(rec).toMatchObject({ status: "failed", rows: 3, accepted: 3 });
    expect(rec.reason).toMatch(/replaced while it was processed/);
  });
});

describe("R2 event notifications", () => {
  const notification = (key: string, action = "PutObject") => ({
    account: "3f4b7e3dcab231cbfdaa90a6a28bd548",
    action,
    bucket: "data-api-data",
    object: { key, size: sizeOf(CSV), eTag: "c846ff7a18f28c2e262116d6e8719ef0" },
    eventTime: new Date().toISOString(),
  });

  it("a PutObject notification for an upload key starts processing it", async () => {
    const { bindings, party, target } = await uploaded();
    bindings.FILE_QUEUE.take(); // as if the worker backend had not queued it: the notification does
    const key = `uploads/${party.dataset_id}/${target.file_id}/wells.csv`;
    const result = await runQueue(bindings, "data-api-files", [notification(key)]);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(1);
    await drain(bindings);
    expect(await record(target.file_id)).toMatchObject({ status: "succeeded", rows: ROWS });
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual(expectedRecords);
  });

  it("acknowledges and ignores deletes, other keys, unknown files and unreadable messages", async () => {
    const { bindings, party, target } = await uploaded();
    bindings.FILE_QUEUE.take();
    const key = `uploads/${party.dataset_id}/${target.file_id}/wells.csv`;
    const bodies = [
      notification(key, "DeleteObject"),
      notification(`datasets/${party.dataset_id}/x.ndjson`),
      notification(`uploads/${party.dataset_id}/${crypto.randomUUID()}/wells.csv`),
      notification(`uploads/${party.dataset_id}/${target.file_id}/other.csv`),
      "not json",
      { type: "process-file" },
    ];
    const result = await runQueue(bindings, "data-api-files", bodies);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(bodies.length);
    expect(bindings.FILE_QUEUE.sent).toEqual([]);
    expect(await record(target.file_id)).toMatchObject({ status: "processing", rows: 0 });
    expect(await objectsOf(party.dataset_id)).toEqual([]);
  });
});
