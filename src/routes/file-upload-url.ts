import type { Hono } from "hono";
import { authorizeDataset } from "../auth/authorize";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { envelope } from "../lib/envelope";
import { type FileRecord, FileStore } from "../storage/files";
import { r2Keys } from "../storage/keys";
import { rfc3986 } from "../storage/sink-s3";
import { s3ConfigFrom } from "../storage/sinks";
import { uploadSettings } from "../upload/config";
import { sanitizeFileName, uploadContentType } from "../upload/file-name";
import { type Presigned, presignUrl } from "../upload/presign";
import { uploadSigningKeys } from "../upload/signing-key";

/** The SigV4 region of worker-backend upload URLs (any fixed name; R2 uses "auto"). */
export const WORKER_UPLOAD_REGION = "auto";

/**
 * `GET /data/file_upload_url?dataset_id=…&file_name=…[&content_type=…][&content_length=…][&checksum_sha256=…]`:
 * a presigned PUT URL for `uploads/{dataset_id}/{file_id}/{file_name}`, and the file's status record
 * (`awaiting_upload`). The URL binds the content type and, when given, the exact length and SHA-256:
 * `headers` lists what the PUT must send.
 */
export function registerFileUploadUrl(app: Hono<HonoEnv>): void {
  app.get("/data/file_upload_url", async (c) => {
    const dataset = await authorizeDataset(c, c.req.query("dataset_id"));
    const settings = uploadSettings(c.env);
    const fileName = sanitizeFileName(c.req.query("file_name"), dataset.format);
    const contentType = uploadContentType(c.req.query("content_type"), fileName);
    const contentLength = parseContentLength(c.req.query("content_length"), settings.maxUploadBytes);
    const checksum = parseChecksum(c.req.query("checksum_sha256"));
    const client = c.get("client");

    const fileId = crypto.randomUUID();
    const key = r2Keys.upload(dataset.dataset_id, fileId, fileName.name);
    const headers: Record<string, string> = { "content-type": contentType };
    if (contentLength !== undefined) headers["content-length"] = String(contentLength);
    if (checksum !== undefined) headers["x-amz-checksum-sha256"] = checksum;

    const encodedKey = key.split("/").map(rfc3986).join("/");
    let presigned: Presigned;
    if (settings.backend === "worker") {
      const { current } = await uploadSigningKeys(c.env);
      const origin = settings.baseUrl ?? new URL(c.req.url).origin;
      presigned = await presignUrl(
        { ...current, region: WORKER_UPLOAD_REGION },
        { url: `${origin}/${encodedKey}`, method: "PUT", headers, expiresSeconds: settings.ttlSeconds },
      );
    } else {
      const s3 = s3ConfigFrom(c.env);
      presigned = await presignUrl(
        { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region },
        {
          url: `${s3.endpoint.replace(/\/+$/, "")}/${rfc3986(s3.bucket)}/${encodedKey}`,
          method: "PUT",
          headers,
          expiresSeconds: settings.ttlSeconds,
        },
      );
    }

    const record: FileRecord = {
      file_id: fileId,
      dataset_id: dataset.dataset_id,
      company_id: dataset.company_id,
      client_id: client.client_id,
      file_name: fileName.name,
      format: dataset.format,
      content_type: contentType,
      backend: settings.backend,
      object_key: key,
      ...(contentLength !== undefined ? { content_length: contentLength } : {}),
      ...(checksum !== undefined ? { checksum_sha256: checksum } : {}),
      status: "awaiting_upload",
      created_at: new Date().toISOString(),
      expires_at: presigned.expiresAt,
      rows: 0,
      accepted: 0,
      rejected: 0,
      errors: [],
      errors_truncated: false,
      chunks: 0,
    };
    await new FileStore(c.env.DATA).create(record);

    const shown: Record<string, string> = { "Content-Type": contentType };
    if (contentLength !== undefined) shown["Content-Length"] = String(contentLength);
    if (checksum !== undefined) shown["x-amz-checksum-sha256"] = checksum;
    return envelope(c, "FileUploadUri", [
      {
        file_id: fileId,
        uri: presigned.url,
        method: "PUT",
        headers: shown,
        expires_at: presigned.expiresAt,
        dataset_id: dataset.dataset_id,
        file_name: fileName.name,
      },
    ]);
  });
}

function parseContentLength(value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,16}$/.test(value)) {
    throw new ApiError("bad_request", "`content_length` must be the file's size in bytes (a non-negative integer).", {
      extra: { field: "content_length" },
    });
  }
  const n = Number(value);
  if (n > max) {
    throw new ApiError("payload_too_large", `\`content_length\` ${n} is over the limit of ${max} bytes for one file.`, {
      extra: { field: "content_length", limit_bytes: max },
    });
  }
  return n;
}

/** The file's SHA-256, base64 (as `x-amz-checksum-sha256` carries it) or hex; answered as base64. */
function parseChecksum(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // An unescaped `+` of base64 arrives as a space (form encoding of the query): take it back.
  const value = raw.replace(/ /g, "+");
  const invalid = () =>
    new ApiError("bad_request", "`checksum_sha256` must be the file's SHA-256 digest, base64 (44 characters) or hex (64 characters).", {
      extra: { field: "checksum_sha256" },
    });
  let bytes: Uint8Array;
  if (/^[0-9a-fA-F]{64}$/.test(value)) {
    bytes = Uint8Array.from(value.match(/../g)!, (h) => parseInt(h, 16));
  } else if (/^[A-Za-z0-9+/]{43}=$/.test(value)) {
    bytes = Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
  } else {
    throw invalid();
  }
  if (bytes.byteLength !== 32) throw invalid();
  return btoa(String.fromCharCode(...bytes));
}
