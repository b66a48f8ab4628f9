import { StorageError } from "./errors";
import { MIN_PART_BYTES } from "./sink";

/**
 * Rules both sinks enforce the same way, so that what works against R2 in tests also works against
 * S3 in production. Breaking one is a bug of the caller: a non-retryable StorageError.
 */

/** S3's limit on user metadata (names and values, in bytes); R2 allows more, we keep to the smaller. */
export const MAX_METADATA_BYTES = 2048;
/** S3 and R2 both cap multipart uploads at 10,000 parts. */
export const MAX_PARTS = 10_000;

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string converts to UTF-8 without loss (no lone surrogate). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

export function invalid(operation: string, reason: string): StorageError {
  return new StorageError(operation, false, new Error(reason));
}

/**
 * Keys are 1 to 1024 bytes of well-formed UTF-8 without control characters (XML listings cannot
 * carry them), and with no `.` or `..` segment (URLs would fold them).
 */
export function checkKey(operation: string, key: string): void {
  if (key.length === 0) throw invalid(operation, "empty object key");
  if (!isWellFormed(key)) throw invalid(operation, "object key is not well-formed UTF-16");
  if (/[\x00-\x1f\x7f]/.test(key)) throw invalid(operation, "object key has a control character");
  if (encoder.encode(key).length > 1024) throw invalid(operation, "object key longer than 1024 bytes");
  if (key.split("/").some((segment) => segment === "." || segment === "..")) {
    throw invalid(operation, "object key has a '.' or '..' segment");
  }
}

/**
 * Metadata names are lowercase tokens (S3 lowercases `x-amz-meta-*` names; R2 would keep case);
 * values are any well-formed string. Names plus values stay within MAX_METADATA_BYTES.
 */
export function checkMetadata(operation: string, metadata: Record<string, string>): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
      throw invalid(operation, `metadata name ${JSON.stringify(name)} is not a lowercase token`);
    }
    if (typeof value !== "string" || !isWellFormed(value)) {
      throw invalid(operation, `metadata ${name} is not a well-formed string`);
    }
    bytes += name.length + encoder.encode(value).length;
  }
  if (bytes > MAX_METADATA_BYTES) throw invalid(operation, `metadata over ${MAX_METADATA_BYTES} bytes`);
}

/** The Content-Type an object is stored with, from its key's extension. */
export function contentTypeFor(key: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  switch (extension) {
    case "ndjson":
    case "jsonl":
      return "application/x-ndjson";
    case "json":
      return "application/json";
    case "csv":
      return "text/csv";
    default:
      return "application/octet-stream";
  }
}

/** Before completing: at least one part, none missing, and all but the last at least MIN_PART_BYTES. */
export function checkParts(operation: string, sizes: ReadonlyArray<number | undefined>): void {
  if (sizes.length === 0) throw invalid(operation, "multipart upload without parts");
  sizes.forEach((size, i) => {
    if (size === undefined) throw invalid(operation, `part ${i + 1} was never uploaded`);
    if (i < sizes.length - 1 && size < MIN_PART_BYTES) {
      throw invalid(operation, `part ${i + 1} is ${size} bytes; all but the last need ${MIN_PART_BYTES}`);
    }
  });
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
