import type { SchemaError } from "../schema/compile";
import type { SchemaObject } from "../schema/walk";

/**
 * Where reading a file stands. A reader updates it before it hands out each row, so after any row
 * it tells where the next chunk starts: `offset` (bytes into the file), `rows` (data rows so far,
 * the CSV header not counted), `lines` (physical lines so far) and, for CSV, the `header`.
 */
export interface ReadProgress {
  offset: number;
  rows: number;
  lines: number;
  header?: string[];
}

/** One row of a file: `row` is its number in the file (1-based; for CSV the header is row 0). */
export interface FileRow {
  row: number;
  value: unknown;
  /** Set when the row could not be made a record (bad JSON line, extra CSV cells…): it is rejected with these. */
  errors?: SchemaError[];
}

/** The file cannot be read on from here: processing stops, rows before it stay stored, the file fails. */
export class FileFault extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "FileFault";
  }
}

export interface ReaderOptions {
  /** Longest row (CSV record or NDJSON line) in bytes; a longer one is a fault. */
  maxRecordBytes: number;
  /** Deepest nesting of a JSON value; a deeper row is rejected. */
  maxDepth: number;
  /** A JSON file is parsed whole, so it is bounded by this. */
  maxJsonBytes: number;
  /** The dataset's schema: guides CSV cell conversion. */
  schema: SchemaObject;
}

/** Reads rows from `stream` (the file's bytes from `progress.offset` on), updating `progress`. */
export type RowReader = (stream: ReadableStream<Uint8Array>, progress: ReadProgress, options: ReaderOptions) => AsyncGenerator<FileRow>;

const BOM = [0xef, 0xbb, 0xbf];

/**
 * Drops a UTF-8 byte order mark at the very start of a file (only when reading from offset 0), and
 * reports its length in `skipped.bytes` before any byte passes, so offsets stay file offsets.
 */
export function stripBom(skipped: { bytes: number }): TransformStream<Uint8Array, Uint8Array> {
  let head: Uint8Array | undefined = new Uint8Array(0);
  const decide = (controller: TransformStreamDefaultController<Uint8Array>, final: boolean) => {
    if (!head) return;
    const isPrefix = BOM.slice(0, head.byteLength).every((b, i) => head![i] === b);
    if (head.byteLength < BOM.length && isPrefix && !final) return; // wait for more bytes
    let out = head;
    if (head.byteLength >= BOM.length && isPrefix) {
      skipped.bytes = BOM.length;
      out = head.subarray(BOM.length);
    }
    head = undefined;
    if (out.byteLength > 0) controller.enqueue(out);
  };
  return new TransformStream({
    transform(chunk, controller) {
      if (!head) {
        controller.enqueue(chunk);
        return;
      }
      const joined = new Uint8Array(head.byteLength + chunk.byteLength);
      joined.set(head);
      joined.set(chunk, head.byteLength);
      head = joined;
      decide(controller, false);
    },
    flush(controller) {
      decide(controller, true);
    },
  });
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes the bytes of one row; undefined when they are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Passes bytes through unchanged and notes, in `firstInvalid`, the file offset of the first byte
 * where they stop being UTF-8 (for a parser that decodes leniently). It sits before the parser, so
 * when the parser hands out a row, every byte of that row has been checked: a reader compares the
 * row's end offset with `firstInvalid`, and the outcome does not depend on how the bytes were chunked.
 */
export class Utf8Watch {
  firstInvalid: number | undefined;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  /** Bytes of a sequence left incomplete at the end of the last chunk (at most 3). */
  #tail: Uint8Array = new Uint8Array(0);
  #position: number;

  constructor(startOffset: number) {
    this.#position = startOffset;
  }

  stream(): TransformStream<Uint8Array, Uint8Array> {
    return new TransformStream({
      transform: (chunk, controller) => {
        this.#check(chunk);
        controller.enqueue(chunk);
      },
      flush: () => {
        if (this.firstInvalid === undefined && this.#tail.byteLength > 0) this.firstInvalid = this.#position - this.#tail.byteLength;
      },
    });
  }

  #check(chunk: Uint8Array): void {
    const start = this.#position;
    this.#position += chunk.byteLength;
    if (this.firstInvalid !== undefined) return;
    try {
      this.#decoder.decode(chunk, { stream: true });
      this.#tail = incompleteTail(this.#tail, chunk);
      return;
    } catch {
      // Find the exact place: the shortest prefix (after the carried tail) that a fresh strict decoder refuses.
    }
    const joined = new Uint8Array(this.#tail.byteLength + chunk.byteLength);
    joined.set(this.#tail);
    joined.set(chunk, this.#tail.byteLength);
    let lo = 1;
    let hi = joined.byteLength;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (decodesAsPrefix(joined.subarray(0, mid))) lo = mid + 1;
      else hi = mid;
    }
    this.firstInvalid = start - this.#tail.byteLength + lo - 1;
  }
}

/** Whether `bytes` is valid UTF-8 up to its end, allowing an incomplete sequence there. */
function decodesAsPrefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The bytes at the end of `previousTail + chunk` that start a sequence not yet complete. */
function incompleteTail(previousTail: Uint8Array, chunk: Uint8Array): Uint8Array {
  const bytes = chunk.byteLength >= 3 ? chunk.subarray(chunk.byteLength - 3) : new Uint8Array([...previousTail, ...chunk].slice(-3));
  for (let back = 1; back <= Math.min(3, bytes.byteLength); back++) {
    const b = bytes[bytes.byteLength - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > back ? bytes.slice(bytes.byteLength - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}
