/**
 * Failures that may pass are retried with exponential backoff; a poisoned file (one whose
 * processing keeps failing) ends in the dead-letter queue, whose consumer marks it `failed`.
 *
 * The poison here is a schema version that never becomes readable (what an eventually consistent
 * KV read would look like if it never caught up): processing throws, so the message is retried.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FileRecord } from "../../src/storage/files";
import { r2Keys } from "../../src/storage/keys";
import { call, EXAMPLE_RECORD } from "../helpers";
import {
  CapturingQueue,
  callWith,
  drain,
  envWith,
  nudge,
  runQueue,
  sizeOf,
  type UploadUri,
  uploadParty,
  waitForStatus,
} from "./upload-helpers";

type Held = ReturnType<typeof envWith> & { FILE_QUEUE: CapturingQueue };
const NDJSON = `${JSON.stringify(EXAMPLE_RECORD)}\n`;

/** An uploaded file whose status record names schema version 99, which does not exist. */
async function poisonedFile() {
  const bindings = envWith({ FILE_QUEUE: new CapturingQueue() }) as Held;
  const party = await uploadParty("ndjson");
  const res = await callWith(bindings, `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=p.ndjson`, {
    headers: { Authorization: party.auth },
  });
  const target = (await res.json<{ data: UploadUri[] }>()).data[0]!;
  const url = new URL(target.uri);
  await callWith(bindings, `${url.pathname}${url.search}`, {
    method: "PUT",
    headers: { ...target.headers, "Content-Length": String(sizeOf(NDJSON)) },
    body: NDJSON,
  });
  bindings.FILE_QUEUE.take();
  const key = r2Keys.fileStatus(target.file_id);
  const record = (await (await env.DATA.get(key))!.json()) as FileRecord;
  const object = (await env.DATA.head(record.object_key))!;
  const poisoned: FileRecord = {
    ...record,
    status: "processing",
    uploaded_at: object.uploaded.toISOString(),
    size: object.size,
    object_etag: object.etag,
    schema_version: 99,
    chunking: { rows: 1000, bytes: 1 << 20 },
    checkpoint: { chunk: 0, offset: 0, rows: 0, lines: 0 },
  };
  await env.DATA.put(key, JSON.stringify(poisoned));
  return { bindings, party, target };
}

describe("retries and the dead-letter queue", () => {
  it("retries a failing message with exponential backoff (FILE_RETRY_BASE_SECONDS, doubled, capped at 900 s)", async () => {
    const { bindings, target } = await poisonedFile();
    for (const [attempts, delay] of [
      [1, 10],
      [2, 20],
      [3, 40],
      [5, 160],
      [9, 900],
    ] as const) {
      const result = await runQueue(bindings, "data-api-files", [nudge(target.file_id)], attempts);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      expect(result.retryDelays, `attempt ${attempts}`).toEqual([delay]);
    }
    const faster = envWith({ FILE_QUEUE: bindings.FILE_QUEUE, FILE_RETRY_BASE_SECONDS: "2" });
    expect((await runQueue(faster, "data-api-files", [nudge(target.file_id)], 3)).retryDelays).toEqual([8]);
    // Still processing (the queue, not the handler, decides when to give up); nothing was stored.
    const record = (await (await env.DATA.get(r2Keys.fileStatus(target.file_id)))!.json()) as FileRecord;
    expect(record).toMatchObject({ status: "processing", rows: 0, last_error: expect.stringMatching(/schema version 99/) });
  });

  it("a poisoned file goes through the real queue to the dead-letter queue and ends `failed` with the reason", async () => {
    const { party, target } = await poisonedFile();
    // A test-only queue (vitest.config.ts) with max_retries = 0 and wrangler.toml's dead-letter queue.
    const poisonQueue = (env as unknown as { TEST_POISON_QUEUE: Queue }).TEST_POISON_QUEUE;
    await poisonQueue.send(nudge(target.file_id), { contentType: "json" });
    const status = await waitForStatus(party, target.file_id, ["failed"], 25_000);
    expect(status.reason).toMatch(/dead-letter queue/);
    expect(status.reason).toMatch(/schema version 99 of dataset .* is not readable yet/);
    expect(status).toMatchObject({ rows: 0, accepted: 0 });
    expect(typeof status.completed_at).toBe("string");
    expect((await env.DATA.list({ prefix: `datasets/${party.dataset_id}/` })).objects).toEqual([]);
  });

  it("a dead letter does not touch a file that finished meanwhile", async () => {
    const bindings = envWith({ FILE_QUEUE: new CapturingQueue() }) as Held;
    const party = await uploadParty("ndjson");
    const res = await callWith(bindings, `/data/file_upload_url?dataset_id=${party.dataset_id}&file_name=ok.ndjson`, {
      headers: { Authorization: party.auth },
    });
    const target = (await res.json<{ data: UploadUri[] }>()).data[0]!;
    const url = new URL(target.uri);
    await callWith(bindings, `${url.pathname}${url.search}`, {
      method: "PUT",
      headers: { ...target.headers, "Content-Length": String(sizeOf(NDJSON)) },
      body: NDJSON,
    });
    await drain(bindings);
    const result = await runQueue(bindings, "data-api-files-dlq", [nudge(target.file_id)]);
    expect(result.explicitAcks).toHaveLength(1);
    const status = await call(`/data/files/${target.file_id}`, { headers: { Authorization: party.auth } });
    expect((await status.json<{ data: Array<{ status: string }> }>()).data[0]!.status).toBe("succeeded");
  });
});
