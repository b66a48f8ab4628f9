import { ApiError } from "../errors";
import type { DatasetFormat } from "../storage/registry";

/** Longest `file_name` accepted as sent (characters), before it is sanitised. */
export const MAX_FILE_NAME_INPUT = 1024;
/** Longest name part before the extension, after sanitising (the key stays far below 1024 bytes). */
export const MAX_FILE_STEM = 128;

/** The extensions each dataset format accepts, and the content type each defaults to. */
const EXTENSIONS: Record<DatasetFormat, Record<string, string>> = {
  csv: { csv: "text/csv" },
  json: { json: "application/json" },
  ndjson: { ndjson: "application/x-ndjson", jsonl: "application/x-ndjson" },
};

export interface UploadFileName {
  /** The name as it enters the key `uploads/{dataset_id}/{file_id}/{file_name}`. */
  name: string;
  /** Lowercase, without the dot. */
  extension: string;
  /** What `content_type` defaults to. */
  defaultContentType: string;
}

/**
 * Makes a client's file name safe for an object key and a URL path, then checks its extension
 * against the dataset's format (400 otherwise).
 *
 * Sanitising: a directory part (`a/b/`, `C:\dir\`) is dropped; accents are dropped (`Ö` → `O`,
 * compatibility forms folded: `№` → `No`); every other character than ASCII letters, digits, `.`,
 * `_` and `-` (so every path separator, control character, space and remaining non-ASCII character)
 * becomes `_`; runs of dots become one dot (so no `..`); leading and trailing dots and underscores
 * are dropped; the part before the extension is cut to 128 characters. The result only
 * contains characters that need no escaping in a URL path, so the presigned URL and the key agree.
 */
export function sanitizeFileName(raw: string | undefined, format: DatasetFormat): UploadFileName {
  if (raw === undefined || raw.trim() === "") {
    throw new ApiError("bad_request", "`file_name` is required.", { extra: { field: "file_name" } });
  }
  if (raw.length > MAX_FILE_NAME_INPUT) {
    throw new ApiError("bad_request", `\`file_name\` must be at most ${MAX_FILE_NAME_INPUT} characters.`, {
      extra: { field: "file_name" },
    });
  }
  const base = raw.slice(Math.max(raw.lastIndexOf("/"), raw.lastIndexOf("\\")) + 1);
  const cleaned = base
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/\.{2,}/g, ".")
    .replace(/^[._]+/, "")
    .replace(/\.+$/, "");
  const dot = cleaned.lastIndexOf(".");
  const extension = dot > 0 ? cleaned.slice(dot + 1).toLowerCase() : "";
  const accepted = EXTENSIONS[format];
  const defaultContentType = accepted[extension];
  if (!defaultContentType) {
    const allowed = Object.keys(accepted)
      .map((e) => `.${e}`)
      .join(" or ");
    throw new ApiError(
      "bad_request",
      `\`file_name\` must end in ${allowed} for this dataset (format ${format}); got ${JSON.stringify(raw.slice(0, 100))}.`,
      { extra: { field: "file_name" } },
    );
  }
  const stem = cleaned
    .slice(0, dot)
    .slice(0, MAX_FILE_STEM)
    .replace(/[._]+$/, "");
  if (stem === "") {
    throw new ApiError("bad_request", "`file_name` needs a name before its extension.", { extra: { field: "file_name" } });
  }
  return { name: `${stem}.${cleaned.slice(dot + 1)}`, extension, defaultContentType };
}

/** Whether a path segment is exactly what `sanitizeFileName` produces (checked again on upload). */
export function isSanitizedFileName(name: string): boolean {
  return /^[A-Za-z0-9-][A-Za-z0-9._-]{0,200}$/.test(name) && !name.includes("..") && !name.endsWith(".");
}

/** `type/subtype` with optional parameters, as a client may name it (`text/csv; charset=utf-8`). */
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}(?:\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[^"\\\r\n]*"))*$/;

/** The content type the PUT must carry: the client's choice (validated) or the extension's default. */
export function uploadContentType(requested: string | undefined, fileName: UploadFileName): string {
  if (requested === undefined || requested === "") return fileName.defaultContentType;
  if (requested.length > 200 || !MEDIA_TYPE.test(requested)) {
    throw new ApiError("bad_request", "`content_type` must be a media type such as text/csv.", { extra: { field: "content_type" } });
  }
  return requested;
}
