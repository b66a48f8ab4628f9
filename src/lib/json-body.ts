import type { Context } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { locateJsonFault } from "./json-error";

/** Admin bodies (a dataset and its schema) are small; anything bigger is a mistake or an attack. */
export const ADMIN_BODY_LIMIT = 1024 * 1024;

export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** Reads a bounded body as text, refusing (413) once more than `limit` bytes have arrived. */
export async function readBoundedText(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("Content-Length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all);
  } catch {
    throw new ApiError("bad_request", "The body is not valid UTF-8.");
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError("payload_too_large", `The body is larger than the limit of ${limit} bytes.`, {
    extra: { limit_bytes: limit },
  });
}

/** Parses JSON text; a fault becomes a 400 naming its line and column. */
export function parseJsonText(text: string, what = "The body"): unknown {
  if (text.trim() === "") throw new ApiError("bad_request", `${what} is empty.`);
  try {
    return JSON.parse(text);
  } catch {
    const fault = locateJsonFault(text);
    throw new ApiError("bad_request", `${what} is not valid JSON: ${fault.reason} at line ${fault.line}, column ${fault.column}.`, {
      extra: { line: fault.line, column: fault.column },
    });
  }
}

/** Reads a JSON object body: 415 for another content type, 413 over the limit, 400 with line/column. */
export async function readJsonObject(c: Context<HonoEnv>, limit = ADMIN_BODY_LIMIT): Promise<Record<string, unknown>> {
  if (!isJsonContentType(c.req.header("Content-Type"))) {
    throw new ApiError("unsupported_media_type", "Send the body as application/json.");
  }
  const value = parseJsonText(await readBoundedText(c.req.raw, limit));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError("bad_request", "The body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}
