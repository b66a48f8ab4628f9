/** Running a file reader (src/upload/{csv,ndjson,json}.ts) on bytes, for the reader tests. */
import type { SchemaObject } from "../../src/schema/walk";
import { FileFault, type FileRow, type ReadProgress, type RowReader } from "../../src/upload/rows";
import { EXAMPLE_SCHEMA } from "../helpers";

const encoder = new TextEncoder();

/** A stream of `bytes` in pieces of `piece` bytes (1 = every byte boundary is a chunk boundary). */
export function streamOf(bytes: Uint8Array | string, piece = 7): ReadableStream<Uint8Array> {
  const all = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= all.byteLength) return controller.close();
      controller.enqueue(all.slice(at, at + piece));
      at += piece;
    },
  });
}

export const OPTIONS = { maxRecordBytes: 1024, maxDepth: 32, maxJsonBytes: 1 << 20, schema: EXAMPLE_SCHEMA as SchemaObject };

/** All rows a reader yields, the progress after them, and the fault (if it stopped on one). */
export async function readAll(
  reader: RowReader,
  bytes: Uint8Array | string,
  options: Partial<typeof OPTIONS> = {},
  progress: ReadProgress = { offset: 0, rows: 0, lines: 0 },
  piece = 7,
): Promise<{ rows: FileRow[]; progress: ReadProgress; fault?: string }> {
  const all = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  const rows: FileRow[] = [];
  try {
    for await (const row of reader(streamOf(all.slice(progress.offset), piece), progress, { ...OPTIONS, ...options })) rows.push(row);
  } catch (e) {
    if (e instanceof FileFault) return { rows, progress, fault: e.message };
    throw e;
  }
  return { rows, progress };
}
