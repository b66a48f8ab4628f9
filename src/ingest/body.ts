import { ApiError } from "../errors";

export type BodyFormat = "json" | "ndjson";

const JSON_TYPES = new Set(["application/json"]);
const NDJSON_TYPES = new Set(["application/x-ndjson", "application/ndjson", "application/jsonl"]);

/** The record format a Content-Type names; 415 for anything else. */
export function bodyFormat(contentType: string | undefined): BodyFormat {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (JSON_TYPES.has(type)) return "json";
  if (NDJSON_TYPES.has(type)) return "ndjson";
  throw new ApiError(
    "unsupported_media_type",
    `Content-Type must be application/json (one record or an array) or application/x-ndjson (one record per line)${type ? `, not ${type}` : ""}.`,
  );
}

/**
 * The request body as a stream of decompressed bytes, counted against `maxBytes` (413 past it)
 * and, on the way, hashed as received (for Idempotency-Key) without ever being held whole.
 */
export function decodedBody(
  request: Request,
  maxBytes: number,
  hash: boolean,
): { stream: ReadableStream<Uint8Array>; rawDigest: Promise<ArrayBuffer> } {
  const encoding = (request.headers.get("Content-Encoding") ?? "identity").trim().toLowerCase();
  if (!["identity", "gzip", "x-gzip", ""].includes(encoding)) {
    throw new ApiError("unsupported_media_type", `Content-Encoding ${encoding} is not supported; use gzip or none.`, {
      headers: { "Accept-Encoding": "gzip" },
    });
  }
  const declared = Number(request.headers.get("Content-Length") ?? "NaN");
  if (encoding === "identity" && Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);

  let stream = request.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  let rawDigest: Promise<ArrayBuffer> = Promise.resolve(new ArrayBuffer(0));
  if (hash) {
    const digest = new crypto.DigestStream("SHA-256");
    const [forHash, forRecords] = stream.tee();
    rawDigest = forHash.pipeTo(digest).then(() => digest.digest);
    // A failed or abandoned hash must not surface as an unhandled rejection.
    rawDigest.catch(() => undefined);
    stream = forRecords;
  }
  if (encoding === "gzip" || encoding === "x-gzip") {
    stream = stream.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
  }
  let seen = 0;
  const counted = stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) throw tooLarge(maxBytes);
        controller.enqueue(chunk);
      },
    }),
  );
  return { stream: counted, rawDigest };
}

export function tooLarge(maxBytes: number): ApiError {
  return new ApiError("payload_too_large", `The (decompressed) body is larger than the limit of ${maxBytes} bytes.`, {
    extra: { limit_bytes: maxBytes },
  });
}

/** Stream read failures that are the client's fault (bad gzip, broken UTF-8) become 400s. */
export function bodyReadError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError("bad_request", `The body could not be read: ${message}`, { internal: message });
}
