/**
 * JSON and NDJSON files: the readers (row numbers, byte offsets, resuming, bad lines) and the whole
 * flow through the Worker.
 */
import { describe, expect, it } from "vitest";
import { readJsonRows } from "../../src/upload/json";
import { readNdjsonRows } from "../../src/upload/ndjson";
import type { ReadProgress } from "../../src/upload/rows";
import { EXAMPLE_RECORD } from "../helpers";
import { readAll } from "./readers";
import { quarantinedRows, storedRecords, upload, uploadParty, uploadUrl, waitForStatus } from "./upload-helpers";

const encoder = new TextEncoder();
const R = (flow: unknown) => ({ ...EXAMPLE_RECORD, flow_bbl_d: flow });

describe("NDJSON reader", () => {
  it("numbers rows by line (blank lines counted, not read), with LF or CRLF, a BOM, and no final line end", async () => {
    const text = `\uFEFF${JSON.stringify(R(1))}\r\n\n  \r\n${JSON.stringify(R(2))}\n${JSON.stringify(R(3))}`;
    for (const piece of [1, 5, 4096]) {
      const { rows, progress, fault } = await readAll(readNdjsonRows, text, {}, undefined, piece);
      expect(fault).toBeUndefined();
      expect(rows.map((r) => [r.row, r.value])).toEqual([
        [1, R(1)],
        [4, R(2)],
        [5, R(3)],
      ]);
      expect(progress).toEqual({ offset: encoder.encode(text).byteLength, rows: 3, lines: 5 });
    }
  });

  it("rejects a line that is not JSON or is nested too deep (the text kept), and reads on", async () => {
    const deep = `${"[".repeat(40)}${"]".repeat(40)}`;
    const { rows, fault } = await readAll(
      readNdjsonRows,
      `${JSON.stringify(R(1))}\n{"date": 2023-05-04}\n{"a": ${deep}}\n${JSON.stringify(R(4))}\n`,
    );
    expect(fault).toBeUndefined();
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3, 4]);
    expect(rows[1]).toEqual({
      row: 2,
      value: { text: '{"date": 2023-05-04}' },
      errors: [{ path: "", keyword: "format", message: expect.stringMatching(/^Line 2 is not valid JSON: .* at column 14\.$/) }],
    });
    expect(rows[2]!.errors).toEqual([{ path: "", keyword: "maxDepth", message: "Line 3 is nested deeper than the limit of 32 levels." }]);
    expect(rows[3]!.value).toEqual(R(4));
  });

  it("stops with a fault at a line that is not UTF-8 or longer than the record limit", async () => {
    const bytes = new Uint8Array([...encoder.encode(`${JSON.stringify(R(1))}\n{"a": "`), 0xc3, 0x28, ...encoder.encode('"}\n')]);
    const notUtf8 = await readAll(readNdjsonRows, bytes);
    expect(notUtf8.rows.map((r) => r.row)).toEqual([1]);
    expect(notUtf8.fault).toBe("Line 2 is not valid UTF-8: the file must be UTF-8 encoded.");
    const long = await readAll(readNdjsonRows, `${JSON.stringify(R(1))}\n{"a": "${"x".repeat(2000)}"}\n`, { maxRecordBytes: 1000 });
    expect(long.fault).toBe("Line 2 is longer than the limit of 1000 bytes for one record.");
  });

  it("resumes from a checkpoint's byte offset with the same line numbers", async () => {
    const lines = Array.from({ length: 30 }, (_, i) => (i % 7 === 3 ? "" : JSON.stringify(R(i))));
    const text = `${lines.join("\n")}\n`;
    const whole = await readAll(readNdjsonRows, text);
    const progress: ReadProgress = { offset: 0, rows: 0, lines: 0 };
    const reader = readNdjsonRows(new Response(text).body!, progress, (await import("./readers")).OPTIONS);
    for (let i = 0; i < 10; i++) await reader.next();
    await reader.return(undefined);
    const rest = await readAll(readNdjsonRows, text, {}, structuredClone(progress));
    expect([...whole.rows.slice(0, 10), ...rest.rows]).toEqual(whole.rows);
    expect(rest.rows[0]!.row).toBe(whole.rows[10]!.row);
  });
});

describe("JSON reader", () => {
  it("reads one record as row 1, an array's elements as rows 1…n, and resumes by skipping rows", async () => {
    expect((await readAll(readJsonRows, JSON.stringify(R(1)))).rows).toEqual([{ row: 1, value: R(1) }]);
    const array = `\uFEFF[${JSON.stringify(R(1))},\n ${JSON.stringify(R(2))}, 3]`;
    expect((await readAll(readJsonRows, array)).rows.map((r) => [r.row, r.value])).toEqual([
      [1, R(1)],
      [2, R(2)],
      [3, 3],
    ]);
    const resumed = await readAll(readJsonRows, array, {}, { offset: 0, rows: 2, lines: 0 });
    expect(resumed.rows).toEqual([{ row: 3, value: 3 }]);
  });

  it("faults on invalid JSON (line and column), an empty file or array, and a file over the JSON limit", async () => {
    expect((await readAll(readJsonRows, `[${JSON.stringify(R(1))},\n {"date": }]`)).fault).toMatch(
      /^The file is not valid JSON: .* at line 2, column 11\.$/,
    );
    expect((await readAll(readJsonRows, " \n")).fault).toMatch(/empty/);
    expect((await readAll(readJsonRows, "[]")).fault).toMatch(/empty array/);
    expect((await readAll(readJsonRows, `[${JSON.stringify(R(1))}]`, { maxJsonBytes: 10 })).fault).toMatch(
      /at most 10 bytes; send larger files as NDJSON or CSV/,
    );
  });
});

describe("JSON and NDJSON files through the Worker", () => {
  it("a JSON array: valid records stored, invalid ones quarantined and reported by position", async () => {
    const party = await uploadParty("json");
    const target = await uploadUrl(party, { file_name: "readings.json" });
    expect(target.headers["Content-Type"]).toBe("application/json");
    expect((await upload(target, JSON.stringify([R(1), R("x"), "not an object", R(4)]))).status).toBe(200);
    const status = await waitForStatus(party, target.file_id);
    expect(status).toMatchObject({ status: "succeeded", rows: 4, accepted: 2, rejected: 2 });
    expect(status.errors.map((e) => [e.record, e.path, e.keyword])).toEqual([
      [2, "/flow_bbl_d", "type"],
      [3, "", "type"],
    ]);
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual([R(1), R(4)]);
  });

  it("a single JSON record", async () => {
    const party = await uploadParty("json");
    const target = await uploadUrl(party, { file_name: "one.json" });
    expect((await upload(target, JSON.stringify(EXAMPLE_RECORD))).status).toBe(200);
    expect(await waitForStatus(party, target.file_id)).toMatchObject({ status: "succeeded", rows: 1, accepted: 1 });
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual([EXAMPLE_RECORD]);
  });

  it("a JSON file that is not JSON ends `failed` with the line and column", async () => {
    const party = await uploadParty("json");
    const target = await uploadUrl(party, { file_name: "bad.json" });
    expect((await upload(target, '[{"date": "2023-05-04",}]')).status).toBe(200);
    const status = await waitForStatus(party, target.file_id);
    expect(status).toMatchObject({ status: "failed", rows: 0 });
    expect(status.reason).toMatch(/not valid JSON: .* line 1, column 24/);
  });

  it("an NDJSON (.jsonl) file with a bad line: the others stored, the bad line quarantined with its text", async () => {
    const party = await uploadParty("ndjson");
    const target = await uploadUrl(party, { file_name: "readings.jsonl" });
    const text = `${JSON.stringify(R(1))}\n\n{oops}\n${JSON.stringify(R(false))}\n${JSON.stringify(R(5))}\n`;
    expect((await upload(target, text)).status).toBe(200);
    const status = await waitForStatus(party, target.file_id);
    expect(status).toMatchObject({ status: "succeeded", rows: 4, accepted: 2, rejected: 2 });
    expect(status.errors.map((e) => [e.record, e.keyword])).toEqual([
      [3, "format"],
      [4, "type"],
    ]);
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual([R(1), R(5)]);
    const quarantined = await quarantinedRows(party.dataset_id);
    expect(quarantined.map((q) => [q.record, q.data])).toEqual([
      [3, { text: "{oops}" }],
      [4, R(false)],
    ]);
  });
});
