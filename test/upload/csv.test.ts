/**
 * CSV files: RFC 4180 parsing (csv-parse's WHATWG stream API in workerd), schema-guided cell
 * conversion, the header, missing and extra columns, row numbers, resuming from a checkpoint's byte
 * offset; and through the whole Worker, a bad row reported with its row number.
 */
import { describe, expect, it } from "vitest";
import type { SchemaObject } from "../../src/schema/walk";
import { ABSENT, columnTypes, convertCell } from "../../src/upload/convert";
import { readCsvRows } from "../../src/upload/csv";
import type { FileRow, ReadProgress } from "../../src/upload/rows";
import { EXAMPLE_RECORD } from "../helpers";
import { OPTIONS, readAll, streamOf } from "./readers";

const encoder = new TextEncoder();

import { quarantinedRows, storedRecords, upload, uploadParty, uploadUrl, waitForStatus } from "./upload-helpers";

const values = (rows: FileRow[]) => rows.map((r) => r.value);

describe("CSV parsing (RFC 4180)", () => {
  const HEADER = "date,well-name,flow_bbl_d\n";

  it("reads quoted fields with commas, doubled quotes, CR and LF inside, over any chunking", async () => {
    const text = `${HEADER}2023-05-04,"Well, ""North""\n#1",7.5\n2023-05-05,"a\r\nb",8\n`;
    for (const piece of [1, 2, 3, 1024]) {
      const { rows, fault } = await readAll(readCsvRows, text, {}, undefined, piece);
      expect(fault).toBeUndefined();
      expect(values(rows), `piece ${piece}`).toEqual([
        { date: "2023-05-04", "well-name": 'Well, "North"\n#1', flow_bbl_d: 7.5 },
        { date: "2023-05-05", "well-name": "a\r\nb", flow_bbl_d: 8 },
      ]);
      expect(rows.map((r) => r.row)).toEqual([1, 2]);
    }
  });

  it("reads CRLF line ends, a UTF-8 BOM, blank lines and a last row without a line end", async () => {
    const text = `\uFEFF${HEADER.replace("\n", "\r\n")}2023-05-04,W1,1\r\n\r\n2023-05-05,Wé,2`;
    const { rows, progress } = await readAll(readCsvRows, text, {}, undefined, 2);
    expect(values(rows)).toEqual([
      { date: "2023-05-04", "well-name": "W1", flow_bbl_d: 1 },
      { date: "2023-05-05", "well-name": "Wé", flow_bbl_d: 2 },
    ]);
    // The header names the fields without the BOM, and the offset counts the file's bytes.
    expect(progress.header).toEqual(["date", "well-name", "flow_bbl_d"]);
    expect(progress.offset).toBe(encoder.encode(text).byteLength);
    expect(progress.rows).toBe(2);
  });

  it("leaves empty cells and the missing cells of a short row out of the record", async () => {
    const { rows } = await readAll(readCsvRows, `${HEADER}2023-05-04,,7.5\n2023-05-05\n,W,\n`);
    expect(values(rows)).toEqual([{ date: "2023-05-04", flow_bbl_d: 7.5 }, { date: "2023-05-05" }, { "well-name": "W" }]);
    expect(rows.every((r) => r.errors === undefined)).toBe(true);
  });

  it("rejects a row with non-empty cells beyond the header (keyword columns), and tolerates empty ones", async () => {
    const { rows } = await readAll(readCsvRows, `${HEADER}2023-05-04,W,1,\n2023-05-05,W,2,extra\n2023-05-06,W,3\n`);
    expect(values(rows)[0]).toEqual({ date: "2023-05-04", "well-name": "W", flow_bbl_d: 1 });
    expect(rows[1]).toEqual({
      row: 2,
      value: { cells: ["2023-05-05", "W", "2", "extra"] },
      errors: [{ path: "", keyword: "columns", message: "Row 2 has 4 cells; the header names 3 columns." }],
    });
    expect(rows[2]!.errors).toBeUndefined();
  });

  it("trims header names and refuses an empty or repeated one, and an empty file", async () => {
    expect((await readAll(readCsvRows, " date , flow_bbl_d \n2023-05-04,1\n")).progress.header).toEqual(["date", "flow_bbl_d"]);
    expect((await readAll(readCsvRows, "date,,flow\n1,2,3\n")).fault).toMatch(/Column 2 of the header row has no name/);
    expect((await readAll(readCsvRows, "date,date\n1,2\n")).fault).toMatch(/names column "date" twice/);
    expect((await readAll(readCsvRows, "")).fault).toMatch(/empty/);
    expect((await readAll(readCsvRows, "\uFEFF")).fault).toMatch(/empty/);
  });

  it("stops at malformed CSV with a fault naming the row and line, after the good rows before it", async () => {
    const text = `${HEADER}2023-05-04,W,1\n2023-05-05,"W"x,2\n2023-05-06,W,3\n`;
    const { rows, fault } = await readAll(readCsvRows, text);
    expect(values(rows)).toEqual([{ date: "2023-05-04", "well-name": "W", flow_bbl_d: 1 }]);
    expect(fault).toMatch(
      /^The file is not valid CSV at row 2 \(line 3\): a closing quote is followed by something other than a comma or a line break\.$/,
    );
    expect((await readAll(readCsvRows, `${HEADER}2023-05-04,"W,1\n`)).fault).toMatch(/row 1.*a quoted field is never closed/);
    expect((await readAll(readCsvRows, `${HEADER}2023-05-04,W"x,1\n`)).fault).toMatch(/row 1.*a quote appears inside an unquoted field/);
    expect((await readAll(readCsvRows, `${HEADER}2023-05-04,${"w".repeat(2000)},1\n`, { maxRecordBytes: 1000 })).fault).toMatch(
      /row 1.*longer than the limit of 1000 bytes/,
    );
  });

  it("stops at bytes that are not UTF-8 with a fault naming the row, after the rows before it, however the bytes are chunked", async () => {
    const header = encoder.encode(HEADER);
    const good = encoder.encode("2023-05-04,W,1\n");
    const invalidAt = header.byteLength + good.byteLength + 12;
    const bytes = new Uint8Array([...header, ...good, ...encoder.encode("2023-05-05,W"), 0xff, ...encoder.encode(",2\n2023-05-06,W,3\n")]);
    const truncated = new Uint8Array([...header, ...good, ...encoder.encode("2023-05-05,W"), 0xe2, 0x82]);
    for (const piece of [1, 2, 3, 7, 1024]) {
      const { rows, fault } = await readAll(readCsvRows, bytes, {}, undefined, piece);
      expect(values(rows), `piece ${piece}`).toEqual([{ date: "2023-05-04", "well-name": "W", flow_bbl_d: 1 }]);
      expect(fault, `piece ${piece}`).toBe(`Row 2 (line 3) is not valid UTF-8 (byte ${invalidAt}): the file must be UTF-8 encoded.`);
      const cut = await readAll(readCsvRows, truncated, {}, undefined, piece);
      expect(cut.rows).toHaveLength(1);
      expect(cut.fault, `piece ${piece}`).toMatch(new RegExp(`^Row 2 \\(line \\d\\) is not valid UTF-8 \\(byte ${invalidAt}\\)`));
    }
    // Valid multi-byte characters split across chunks are fine, and so is a U+FFFD written as such.
    const fine = await readAll(readCsvRows, `${HEADER}2023-05-04,Wé€😀\uFFFD,1\n`, {}, undefined, 1);
    expect(fine.fault).toBeUndefined();
    expect(values(fine.rows)).toEqual([{ date: "2023-05-04", "well-name": "Wé€😀\uFFFD", flow_bbl_d: 1 }]);
    expect((await readAll(readCsvRows, new Uint8Array([0x64, 0xc0, 0x0a, 0x31, 0x0a]))).fault).toMatch(
      /^The header row is not valid UTF-8 \(byte 1\)/,
    );
  });

  it("resumes from any row's checkpoint exactly where a whole read would be", async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `2023-05-${String((i % 28) + 1).padStart(2, "0")},"W ""${i}"", x\ny",${i}.5`);
    const text = `\uFEFF${HEADER}${lines.join("\r\n")}\r\n`;
    const whole = await readAll(readCsvRows, text);
    expect(whole.rows).toHaveLength(40);
    for (const stopAfter of [1, 2, 13, 39, 40]) {
      // Read `stopAfter` rows, keep the progress (what a checkpoint saves), and continue from there.
      const progress: ReadProgress = { offset: 0, rows: 0, lines: 0 };
      const reader = readCsvRows(streamOf(text), progress, OPTIONS);
      for (let i = 0; i < stopAfter; i++) expect((await reader.next()).done).toBe(false);
      await reader.return(undefined);
      const checkpoint = structuredClone(progress);
      expect(checkpoint.rows).toBe(stopAfter);
      const rest = await readAll(readCsvRows, text, {}, checkpoint);
      expect(rest.rows[0]?.row).toBe(stopAfter === 40 ? undefined : stopAfter + 1);
      expect([...whole.rows.slice(0, stopAfter), ...rest.rows].map((r) => [r.row, r.value])).toEqual(
        whole.rows.map((r) => [r.row, r.value]),
      );
    }
  });
});

describe("schema-guided conversion of cells", () => {
  const schema: SchemaObject = {
    $defs: { level: { type: "integer" } },
    properties: {
      n: { type: "number" },
      i: { type: "integer" },
      b: { type: "boolean" },
      s: { type: "string" },
      nn: { type: ["number", "null"] },
      e: { enum: [1, 2, "three"] },
      r: { $ref: "#/$defs/level" },
      any: { anyOf: [{ type: "boolean" }, { type: "string" }] },
      o: { type: "object" },
      a: { type: "array" },
    },
  };
  const types = columnTypes(schema, ["n", "i", "b", "s", "nn", "e", "r", "any", "o", "a", "unknown"]);
  const [n, i, b, s, nn, e, r, any, o, a, unknown] = types;

  it("converts number, integer, boolean and null literals where the schema allows them", () => {
    expect(convertCell("7.5", n)).toBe(7.5);
    expect(convertCell(" -12e3 ", n)).toBe(-12000);
    expect(convertCell("42", i)).toBe(42);
    expect(convertCell("4.5", i)).toBe(4.5); // kept a number: validation says "must be integer"
    expect(convertCell("TRUE", b)).toBe(true);
    expect(convertCell("false", b)).toBe(false);
    expect(convertCell("null", nn)).toBeNull();
    expect(convertCell("3", nn)).toBe(3);
    expect(convertCell("2", e)).toBe(2);
    expect(convertCell("three", e)).toBe("three");
    expect(convertCell("7", r)).toBe(7);
    expect(convertCell("true", any)).toBe(true);
    expect(convertCell('{"a":1}', o)).toEqual({ a: 1 });
    expect(convertCell("[1,2]", a)).toEqual([1, 2]);
  });

  it("keeps text that is no such literal, and text of string or unknown columns", () => {
    expect(convertCell("7,5", n)).toBe("7,5");
    expect(convertCell("0x10", n)).toBe("0x10");
    expect(convertCell("007", n)).toBe("007");
    expect(convertCell("Infinity", n)).toBe("Infinity");
    expect(convertCell("yes", b)).toBe("yes");
    expect(convertCell("42", s)).toBe("42");
    expect(convertCell("true", unknown)).toBe("true");
    expect(convertCell("[1,", a)).toBe("[1,");
    expect(convertCell("maybe", any)).toBe("maybe");
  });

  it("makes an empty cell absent, whatever the type", () => {
    for (const t of types) expect(convertCell("", t)).toBe(ABSENT);
    expect(convertCell(" ", s)).toBe(" ");
  });
});

describe("CSV files through the Worker", () => {
  it("stores the valid rows, quarantines the bad one and reports it by its row number (1-based, header excluded)", async () => {
    const party = await uploadParty("csv");
    const csv = [
      "date,well-name,flow_bbl_d",
      "2023-05-04,ExampleWell 10 #1,7.5",
      '2023-05-05,"Well, with comma",8',
      "2023-05-06,Third,not-a-number",
      "2023-05-07,Missing flow",
      "2023-05-08,Extra,9,surplus",
      "2023-05-09,Last,10",
    ].join("\n");
    const target = await uploadUrl(party, { file_name: "wells.csv" });
    expect((await upload(target, csv)).status).toBe(200);
    const status = await waitForStatus(party, target.file_id);
    expect(status).toMatchObject({ status: "succeeded", rows: 6, accepted: 3, rejected: 3 });
    expect(status.errors.map((e) => [e.record, e.path, e.keyword])).toEqual([
      [3, "/flow_bbl_d", "type"],
      [4, "", "required"],
      [5, "", "columns"],
    ]);
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual([
      EXAMPLE_RECORD,
      { date: "2023-05-05", "well-name": "Well, with comma", flow_bbl_d: 8 },
      { date: "2023-05-09", "well-name": "Last", flow_bbl_d: 10 },
    ]);
    const quarantined = await quarantinedRows(party.dataset_id);
    expect(quarantined.map((q) => [q.record, q.data])).toEqual([
      [3, { date: "2023-05-06", "well-name": "Third", flow_bbl_d: "not-a-number" }],
      [4, { date: "2023-05-07", "well-name": "Missing flow" }],
      [5, { cells: ["2023-05-08", "Extra", "9", "surplus"] }],
    ]);
  });

  it("ends a file that is not CSV at all `failed` with the reason, storing nothing", async () => {
    const party = await uploadParty("csv");
    const target = await uploadUrl(party, { file_name: "broken.csv" });
    expect((await upload(target, 'date,"well-name\n2023-05-04,W,1\n')).status).toBe(200);
    const status = await waitForStatus(party, target.file_id);
    expect(status).toMatchObject({ status: "failed", rows: 0, accepted: 0 });
    expect(status.reason).toMatch(/not valid CSV at the header row.*never closed/);
    expect((await storedRecords(party.dataset_id, target.file_id)).records).toEqual([]);
  });

  it("ends a header-only file `failed`: it has no rows", async () => {
    const party = await uploadParty("csv");
    const target = await uploadUrl(party, { file_name: "empty.csv" });
    expect((await upload(target, "date,well-name,flow_bbl_d\r\n")).status).toBe(200);
    expect(await waitForStatus(party, target.file_id)).toMatchObject({ status: "failed", rows: 0, reason: "The file has no rows." });
  });
});
