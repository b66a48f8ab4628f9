/**
 * A 50 MB CSV through the whole Worker (PUT → real queue → processing), with the deployment's own
 * chunk settings (FILE_CHUNK_BYTES = 4 MiB): the file is processed in chunks, each invocation
 * reading one range of the file from its checkpoint and storing its rows as one object, so memory
 * stays bounded by the chunk, not the file. Row numbers carry across the checkpoints.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FileRecord } from "../../src/storage/files";
import { r2Keys } from "../../src/storage/keys";
import { DEFAULT_CHUNK_BYTES } from "../../src/upload/config";
import { putFile, uploadParty, uploadUrl, waitForStatus } from "./upload-helpers";

const TARGET_BYTES = 50 * 1000 * 1000;
const encoder = new TextEncoder();

/** A CSV of about TARGET_BYTES: ~90-byte rows, every 1000th with a quoted comma and line break, one invalid. */
function bigCsv(badRow: number): { bytes: Uint8Array; rows: number } {
  const header = "date,well-name,flow_bbl_d\r\n";
  const out = new Uint8Array(TARGET_BYTES + 1024);
  let at = encoder.encodeInto(header, out).written;
  let rows = 0;
  const pad = "x".repeat(60);
  while (at < TARGET_BYTES) {
    rows++;
    const name = rows % 1000 === 0 ? `"Well ${rows}, ""deep""\nsecond line ${pad}"` : `Well ${rows} ${pad}`;
    const flow = rows === badRow ? "n/a" : `${rows % 997}.25`;
    at += encoder.encodeInto(`2023-05-04,${name},${flow}\r\n`, out.subarray(at)).written;
  }
  return { bytes: out.subarray(0, at), rows };
}

describe("a 50 MB CSV file", () => {
  it("is processed in chunks from checkpoints, every row once, the bad one reported by its row number", { timeout: 280_000 }, async () => {
    const party = await uploadParty("csv");
    const badRow = 480_001;
    const { bytes, rows } = bigCsv(badRow);
    expect(bytes.byteLength).toBeGreaterThanOrEqual(TARGET_BYTES);
    expect(rows).toBeGreaterThan(badRow);

    const target = await uploadUrl(party, { file_name: "big.csv", content_length: String(bytes.byteLength) });
    const put = await putFile(target.uri, bytes, target.headers);
    expect(put.status, await put.clone().text()).toBe(200);

    const status = await waitForStatus(party, target.file_id, ["succeeded", "failed"], 260_000);
    expect(status).toMatchObject({ status: "succeeded", rows, accepted: rows - 1, rejected: 1, size: bytes.byteLength });
    expect(status.errors.map((e) => [e.record, e.path, e.keyword])).toEqual([[badRow, "/flow_bbl_d", "type"]]);

    // Chunks of about FILE_CHUNK_BYTES each: no invocation read more than one chunk of the file.
    const minChunks = Math.ceil(bytes.byteLength / (DEFAULT_CHUNK_BYTES + 200));
    expect(status.chunks).toBeGreaterThanOrEqual(minChunks);
    expect(status.chunks).toBeLessThanOrEqual(minChunks + 1);

    // One object per chunk with rows; together every valid row exactly once, in order.
    const listed = await env.DATA.list({ prefix: `datasets/${party.dataset_id}/`, include: ["customMetadata"] });
    const chunks = listed.objects.sort((a, b) => Number(a.customMetadata!.file_chunk) - Number(b.customMetadata!.file_chunk));
    expect(chunks.length).toBeGreaterThanOrEqual(minChunks);
    expect(chunks.reduce((n, o) => n + Number(o.customMetadata!.records), 0)).toBe(rows - 1);
    const rowBytes = bytes.byteLength / rows;
    const perChunk = DEFAULT_CHUNK_BYTES / rowBytes;
    for (const object of chunks.slice(0, -1)) {
      // A chunk holds about FILE_CHUNK_BYTES of rows.
      expect(Number(object.customMetadata!.records)).toBeGreaterThan(perChunk * 0.9);
      expect(Number(object.customMetadata!.records)).toBeLessThan(perChunk * 1.1);
    }
    let expected = 1;
    for (const object of chunks) {
      const text = await (await env.DATA.get(object.key))!.text();
      for (const line of text.split("\n")) {
        if (line === "") continue;
        if (expected === badRow) expected++;
        const record = JSON.parse(line) as { "well-name": string; flow_bbl_d: number };
        if (!record["well-name"].startsWith(`Well ${expected}`))
          throw new Error(`row ${expected} missing or out of order: ${line.slice(0, 80)}`);
        if (expected % 1000 === 0) expect(record["well-name"]).toContain(', "deep"\nsecond line');
        expected++;
      }
    }
    expect(expected - 1).toBe(rows);

    // The final checkpoint sits at the end of the file.
    const record = (await (await env.DATA.get(r2Keys.fileStatus(target.file_id)))!.json()) as FileRecord;
    expect(record.checkpoint).toMatchObject({ offset: bytes.byteLength, rows });
  });
});
