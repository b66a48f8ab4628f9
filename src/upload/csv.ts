import { CsvError, parse } from "csv-parse/stream";
import type { SchemaError } from "../schema/compile";
import { ABSENT, type ColumnTypes, columnTypes, convertCell } from "./convert";
import { FileFault, type FileRow, type ReaderOptions, type ReadProgress, stripBom, Utf8Watch } from "./rows";

interface ParsedRecord {
  record: string[];
  info: { bytes: number; lines: number };
}

/**
 * CSV rows (RFC 4180), parsed by csv-parse's WHATWG stream API: fields may be quoted, with `""` for
 * a quote and with commas, CR and LF inside; records end in LF or CRLF; a UTF-8 BOM is dropped;
 * blank lines are skipped. The first record is the header: it names the fields (trimmed; none may be
 * empty or repeated). Each later record is a row, `row` counting from 1 after the header:
 *
 * - cells become fields by the header, converted as the schema says (see ./convert.ts); an empty
 *   cell, and a missing one at the end of a short row, is an absent field;
 * - cells beyond the header must be empty, otherwise the row is rejected (keyword `columns`).
 *
 * Malformed CSV (an unclosed quote, a quote inside an unquoted field, a record over
 * `maxRecordBytes`) and bytes that are not UTF-8 are a fault: the file cannot be read on reliably.
 * `progress.offset` is csv-parse's byte count, so a checkpoint resumes exactly after a row.
 */
export async function* readCsvRows(
  source: ReadableStream<Uint8Array>,
  progress: ReadProgress,
  options: ReaderOptions,
): AsyncGenerator<FileRow> {
  const bom = { bytes: 0 };
  const utf8 = new Utf8Watch(progress.offset);
  const watched = source.pipeThrough(utf8.stream());
  const bytes = progress.offset === 0 ? watched.pipeThrough(stripBom(bom)) : watched;
  const records = bytes.pipeThrough(
    parse({
      encoding: "utf8",
      bom: false,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: options.maxRecordBytes,
    }),
  ) as ReadableStream<ParsedRecord>;
  const reader = records.getReader();
  const start = progress.offset;
  const startLines = progress.lines;
  let types: ColumnTypes[] | undefined = progress.header ? columnTypes(options.schema, progress.header) : undefined;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<ParsedRecord>;
      try {
        next = await reader.read();
      } catch (e) {
        throw csvFault(e, progress.rows + 1, progress.header === undefined, startLines, options.maxRecordBytes);
      }
      if (next.done) break;
      const { record: cells, info } = next.value;
      const base = start + bom.bytes;
      if (utf8.firstInvalid !== undefined && utf8.firstInvalid < base + info.bytes) {
        const where = progress.header === undefined ? "The header row" : `Row ${progress.rows + 1} (line ${startLines + info.lines})`;
        throw new FileFault(`${where} is not valid UTF-8 (byte ${utf8.firstInvalid}): the file must be UTF-8 encoded.`);
      }

      if (progress.header === undefined) {
        const header = cells.map((c) => c.trim());
        const empty = header.indexOf("");
        if (empty >= 0) throw new FileFault(`Column ${empty + 1} of the header row has no name.`);
        const seen = new Set<string>();
        for (const h of header) {
          if (seen.has(h)) throw new FileFault(`The header row names column ${JSON.stringify(h)} twice.`);
          seen.add(h);
        }
        progress.header = header;
        progress.offset = base + info.bytes;
        progress.lines = startLines + info.lines;
        types = columnTypes(options.schema, header);
        continue;
      }

      const header = progress.header;
      progress.offset = base + info.bytes;
      progress.lines = startLines + info.lines;
      const row = ++progress.rows;
      const texts = cells;
      const extra = texts.slice(header.length).filter((c) => c !== "");
      if (extra.length > 0) {
        const problem: SchemaError = {
          path: "",
          keyword: "columns",
          message: `Row ${row} has ${texts.length} cells; the header names ${header.length} columns.`,
        };
        yield { row, value: { cells: texts }, errors: [problem] };
        continue;
      }
      const value: Record<string, unknown> = {};
      for (let i = 0; i < header.length && i < texts.length; i++) {
        const converted = convertCell(texts[i]!, types?.[i]);
        if (converted !== ABSENT) value[header[i]!] = converted;
      }
      yield { row, value };
    }
    if (progress.header === undefined) throw new FileFault("The file is empty: a CSV file needs a header row naming the fields.");
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

const CSV_PROBLEMS: Partial<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: "a quoted field is never closed",
  CSV_INVALID_CLOSING_QUOTE: "a closing quote is followed by something other than a comma or a line break",
  INVALID_OPENING_QUOTE: "a quote appears inside an unquoted field (quote the field and double the quote)",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "a closing quote is followed by something other than a comma or a line break",
};

/** A parser error as a fault naming the row and the file's line (csv-parse counts lines per chunk). */
function csvFault(e: unknown, row: number, inHeader: boolean, startLines: number, maxRecordBytes: number): unknown {
  if (!(e instanceof CsvError)) return e;
  const lines = typeof e.lines === "number" ? e.lines : undefined;
  const where = `${inHeader ? "the header row" : `row ${row}`}${lines !== undefined ? ` (line ${startLines + lines})` : ""}`;
  const problem =
    e.code === "CSV_MAX_RECORD_SIZE" ? `a record is longer than the limit of ${maxRecordBytes} bytes` : (CSV_PROBLEMS[e.code] ?? e.message);
  return new FileFault(`The file is not valid CSV at ${where}: ${problem}.`);
}
