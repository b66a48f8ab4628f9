import { depthExceeds } from "../ingest/records";
import { locateJsonFault } from "../lib/json-error";
import { decodeUtf8, FileFault, type FileRow, type ReaderOptions, type ReadProgress, stripBom } from "./rows";

/**
 * JSON file rows: the file is one record (an object) or an array of records, parsed whole (so it is
 * bounded by `maxJsonBytes`; NDJSON and CSV files are streamed). `row` = the 1-based position in the
 * array (a single record is row 1). Resuming skips the `progress.rows` elements already processed
 * (each chunk parses the file again; `offset` stays 0).
 */
export async function* readJsonRows(
  source: ReadableStream<Uint8Array>,
  progress: ReadProgress,
  options: ReaderOptions,
): AsyncGenerator<FileRow> {
  const bytes = await readAll(source.pipeThrough(stripBom({ bytes: 0 })), options.maxJsonBytes);
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new FileFault("The file is not valid UTF-8: it must be UTF-8 encoded.");
  if (text.trim() === "") throw new FileFault("The file is empty: it must hold one record or an array of records.");
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    const fault = locateJsonFault(text);
    throw new FileFault(`The file is not valid JSON: ${fault.reason} at line ${fault.line}, column ${fault.column}.`);
  }
  const records = Array.isArray(document) ? document : [document];
  if (records.length === 0) throw new FileFault("The file is an empty array: it must hold at least one record.");
  for (let i = progress.rows; i < records.length; i++) {
    const row = i + 1;
    progress.rows = row;
    const value = records[i];
    if (depthExceeds(value, options.maxDepth)) {
      yield {
        row,
        value: {},
        errors: [
          { path: "", keyword: "maxDepth", message: `Record ${row} is nested deeper than the limit of ${options.maxDepth} levels.` },
        ],
      };
      continue;
    }
    yield { row, value };
  }
}

async function readAll(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        throw new FileFault(`A JSON file is read whole and may be at most ${max} bytes; send larger files as NDJSON or CSV.`);
      }
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}
