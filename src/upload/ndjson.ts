import { depthExceeds } from "../ingest/records";
import { locateJsonFault } from "../lib/json-error";
import { decodeUtf8, FileFault, type FileRow, type ReaderOptions, type ReadProgress, stripBom } from "./rows";

const NEWLINE = 0x0a;

/**
 * NDJSON rows: one JSON value per line (LF or CRLF), blank lines skipped, `row` = the line number.
 * Lines are split on bytes, so `progress.offset` is exact. A line that is not JSON, or nested
 * deeper than allowed, is a rejected row (its text kept in quarantine); a line that is not UTF-8 or
 * longer than `maxRecordBytes` is a fault (the file cannot be read on reliably).
 */
export async function* readNdjsonRows(
  source: ReadableStream<Uint8Array>,
  progress: ReadProgress,
  options: ReaderOptions,
): AsyncGenerator<FileRow> {
  const bom = { bytes: 0 };
  const stream = progress.offset === 0 ? source.pipeThrough(stripBom(bom)) : source;
  const reader = stream.getReader();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let bomApplied = false;

  const take = (piece: Uint8Array): Uint8Array => {
    if (pending.length === 0) return piece;
    const line = new Uint8Array(pendingBytes + piece.byteLength);
    let at = 0;
    for (const p of pending) {
      line.set(p, at);
      at += p.byteLength;
    }
    line.set(piece, at);
    pending = [];
    pendingBytes = 0;
    return line;
  };

  /** The row for one complete line (without its LF), or undefined for a blank line. */
  const rowOf = (bytes: Uint8Array, consumed: number): FileRow | undefined => {
    const lineNo = progress.lines + 1;
    if (bytes.byteLength > options.maxRecordBytes) throw tooLong(lineNo, options.maxRecordBytes);
    const text = decodeUtf8(bytes);
    if (text === undefined) throw new FileFault(`Line ${lineNo} is not valid UTF-8: the file must be UTF-8 encoded.`);
    progress.offset += consumed;
    progress.lines = lineNo;
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (line.trim() === "") return undefined;
    progress.rows++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      const fault = locateJsonFault(line);
      return {
        row: lineNo,
        value: { text: line },
        errors: [{ path: "", keyword: "format", message: `Line ${lineNo} is not valid JSON: ${fault.reason} at column ${fault.column}.` }],
      };
    }
    if (depthExceeds(value, options.maxDepth)) {
      return {
        row: lineNo,
        value: { text: line },
        errors: [
          { path: "", keyword: "maxDepth", message: `Line ${lineNo} is nested deeper than the limit of ${options.maxDepth} levels.` },
        ],
      };
    }
    return { row: lineNo, value };
  };

  try {
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (!bomApplied) {
        // stripBom reports before it passes any byte: apply it once, at the first read.
        progress.offset += bom.bytes;
        bomApplied = true;
      }
      if (done) break;
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
        const bytes = take(chunk.subarray(start, nl));
        start = nl + 1;
        const row = rowOf(bytes, bytes.byteLength + 1);
        if (row) yield row;
      }
      if (start < chunk.byteLength) {
        const rest = chunk.subarray(start);
        pendingBytes += rest.byteLength;
        if (pendingBytes > options.maxRecordBytes) throw tooLong(progress.lines + 1, options.maxRecordBytes);
        pending.push(rest.slice());
      }
    }
    if (pendingBytes > 0) {
      const bytes = take(new Uint8Array(0));
      const row = rowOf(bytes, bytes.byteLength);
      if (row) yield row;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function tooLong(line: number, max: number): FileFault {
  return new FileFault(`Line ${line} is longer than the limit of ${max} bytes for one record.`);
}
