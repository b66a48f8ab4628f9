import { ApiError } from "../errors";
import { locateJsonFault } from "../lib/json-error";
import type { BodyFormat } from "./body";
import { bodyReadError, tooLarge } from "./body";
import type { PushLimits } from "./limits";

/** One record as received: `record` is its 0-based index (JSON) or 1-based line number (NDJSON). */
export interface IncomingRecord {
  record: number;
  value: unknown;
}

/**
 * The records of a push body, one at a time. NDJSON is read line by line from the stream, so a
 * push of hundreds of MB is never held whole; a JSON body (one record or an array) is parsed at once
 * and is therefore bounded by the lower `maxJsonBodyBytes`.
 */
export async function* readRecords(
  stream: ReadableStream<Uint8Array>,
  format: BodyFormat,
  limits: PushLimits,
): AsyncGenerator<IncomingRecord> {
  if (format === "json") {
    yield* readJsonBody(stream, limits);
  } else {
    yield* readNdjson(stream, limits);
  }
}

async function* readJsonBody(stream: ReadableStream<Uint8Array>, limits: PushLimits): AsyncGenerator<IncomingRecord> {
  const text = await readAllText(stream, limits.maxJsonBodyBytes);
  if (text.trim() === "") throw new ApiError("bad_request", "The body is empty: send one record or an array of records.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const fault = locateJsonFault(text);
    throw new ApiError("bad_request", `The body is not valid JSON: ${fault.reason} at line ${fault.line}, column ${fault.column}.`, {
      extra: { line: fault.line, column: fault.column },
    });
  }
  if (!Array.isArray(value)) {
    yield { record: 0, value };
    return;
  }
  if (value.length === 0) throw new ApiError("bad_request", "The body is an empty array: send at least one record.");
  if (value.length > limits.maxRecords) throw tooManyRecords(limits.maxRecords);
  for (let i = 0; i < value.length; i++) yield { record: i, value: value[i] };
}

async function readAllText(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  const parts: string[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      parts.push(decoder.decode(chunk, { stream: true }));
    }
    parts.push(decoder.decode());
  } catch (e) {
    throw bodyReadError(e);
  }
  return parts.join("");
}

async function* readNdjson(stream: ReadableStream<Uint8Array>, limits: PushLimits): AsyncGenerator<IncomingRecord> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let carry = "";
  let line = 0;
  let count = 0;
  const parseLine = (text: string, lineNo: number): IncomingRecord | undefined => {
    const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (trimmed.trim() === "") return undefined;
    if (++count > limits.maxRecords) throw tooManyRecords(limits.maxRecords);
    try {
      return { record: lineNo, value: JSON.parse(trimmed) };
    } catch {
      const fault = locateJsonFault(trimmed);
      throw new ApiError("bad_request", `Line ${lineNo} is not valid JSON: ${fault.reason} at column ${fault.column}.`, {
        extra: { line: lineNo, column: fault.column },
      });
    }
  };

  const reader = stream.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw bodyReadError(e);
      }
      if (chunk.done) break;
      let text: string;
      try {
        text = decoder.decode(chunk.value, { stream: true });
      } catch (e) {
        throw new ApiError("bad_request", `The body is not valid UTF-8 (after line ${line}).`, { internal: String(e) });
      }
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        const piece = carry + text.slice(start, nl);
        carry = "";
        start = nl + 1;
        line++;
        if (piece.length > limits.maxRecordBytes) throw recordTooLarge(line, limits.maxRecordBytes);
        const rec = parseLine(piece, line);
        if (rec) yield rec;
      }
      carry += text.slice(start);
      if (carry.length > limits.maxRecordBytes) throw recordTooLarge(line + 1, limits.maxRecordBytes);
    }
    try {
      carry += decoder.decode();
    } catch (e) {
      throw new ApiError("bad_request", "The body ends in an incomplete UTF-8 sequence.", { internal: String(e) });
    }
    if (carry !== "") {
      line++;
      const rec = parseLine(carry, line);
      if (rec) yield rec;
    }
  } finally {
    // Stop the body here: an unread tee branch (the idempotency hash) would otherwise buffer it.
    await reader.cancel().catch(() => undefined);
  }
  if (count === 0) throw new ApiError("bad_request", "The body has no records: send one JSON record per line.");
}

function tooManyRecords(max: number): ApiError {
  return new ApiError("payload_too_large", `The push has more than the limit of ${max} records; split it.`, {
    extra: { limit_records: max },
  });
}

function recordTooLarge(line: number, max: number): ApiError {
  return new ApiError("payload_too_large", `Line ${line} is longer than the limit of ${max} characters for one record.`, {
    extra: { line, limit_record_bytes: max },
  });
}

/** Nesting depth of a JSON value, iteratively, so a hostile value cannot exhaust the stack here. */
export function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
