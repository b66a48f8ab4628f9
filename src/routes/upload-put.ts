import type { Context, Hono } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { parseUploadKey } from "../queue/messages";
import { enqueueFile } from "../queue/send";
import { type FileRecord, FileStore } from "../storage/files";
import { uploadSettings } from "../upload/config";
import { isSanitizedFileName } from "../upload/file-name";
import { s3ErrorResponse, UploadRefusal } from "../upload/s3-xml";
import { uploadSigningKeys } from "../upload/signing-key";
import { verifyPresignedRequest } from "../upload/verify";
import { WORKER_UPLOAD_REGION } from "./file-upload-url";

/**
 * The worker upload backend: `PUT /uploads/{dataset_id}/{file_id}/{file_name}?X-Amz-…` with a URL
 * from `GET /data/file_upload_url`. No other credentials: the presigned URL is the authorisation.
 * The request must match the signature exactly (method, path, query, the signed headers) and be
 * within its lifetime; the body must have a Content-Length within MAX_UPLOAD_BYTES (and the one
 * bound into the URL, if any). It is streamed into R2 at the key the URL names (with its SHA-256
 * checked by R2 when the URL binds one); then the file is queued for processing.
 *
 * Answers like S3: 200 with an ETag, or an `<Error>` XML document (403 for every refusal of the
 * URL, as S3 does; 400, 409, 411 and 503 otherwise).
 */
export function registerUploadPut(app: Hono<HonoEnv>): void {
  const handler = async (c: Context<HonoEnv>) => {
    const resource = new URL(c.req.url).pathname;
    try {
      return await acceptUpload(c);
    } catch (e) {
      const refusal = asRefusal(e);
      if (refusal.status >= 500 || refusal.internal) {
        console.error(
          JSON.stringify({
            level: refusal.status >= 500 ? "error" : "info",
            request_id: c.get("requestId"),
            code: refusal.code,
            reason: refusal.internal ?? refusal.message,
          }),
        );
      }
      return s3ErrorResponse(refusal, resource, c.get("requestId"));
    }
  };
  app.put("/uploads/:dataset_id/:file_id/:file_name", handler);
  // Any other method or path shape under /uploads/ gets S3's answer too (a signature that does not match).
  app.all("/uploads/*", handler);
}

function asRefusal(e: unknown): UploadRefusal {
  if (e instanceof UploadRefusal) return e;
  if (e instanceof ApiError && e.status === 503) return new UploadRefusal(503, "ServiceUnavailable", e.detail, e.internal);
  const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new UploadRefusal(503, "SlowDown", "The upload could not be stored; retry the PUT.", reason);
}

async function acceptUpload(c: Context<HonoEnv>): Promise<Response> {
  const request = c.req.raw;
  const { accepted } = await uploadSigningKeys(c.env);
  await verifyPresignedRequest(request, accepted, WORKER_UPLOAD_REGION);
  // The signature covers the method, so only a URL we signed for another method gets here.
  if (request.method !== "PUT") throw new UploadRefusal(405, "MethodNotAllowed", "Upload URLs accept PUT only.");

  let key: string;
  try {
    key = decodeURIComponent(new URL(request.url).pathname).slice(1);
  } catch {
    throw new UploadRefusal(403, "AccessDenied", "The upload path is malformed.");
  }
  const parsed = parseUploadKey(key);
  if (!parsed || !isSanitizedFileName(parsed.fileName)) throw new UploadRefusal(403, "AccessDenied", "No upload is expected at this URL.");

  const store = new FileStore(c.env.DATA);
  const found = await store.get(parsed.fileId);
  const record = found?.record;
  if (!record || record.object_key !== key || record.backend !== "worker") {
    throw new UploadRefusal(403, "AccessDenied", "No upload is expected at this URL.");
  }
  if (record.status !== "awaiting_upload") {
    throw new UploadRefusal(
      409,
      "OperationAborted",
      `This file was already uploaded; it is ${record.status}. Ask for a new upload URL to send another file.`,
    );
  }

  const settings = uploadSettings(c.env);
  const lengthHeader = request.headers.get("content-length");
  if (lengthHeader === null || !/^[0-9]{1,16}$/.test(lengthHeader)) {
    throw new UploadRefusal(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
  }
  const length = Number(lengthHeader);
  if (length > settings.maxUploadBytes) {
    throw new UploadRefusal(
      403,
      "EntityTooLarge",
      `Your proposed upload exceeds the maximum allowed size of ${settings.maxUploadBytes} bytes.`,
    );
  }
  // All three are signed, so a request that got here carries them as bound; checked again all the same.
  if (record.content_length !== undefined && length !== record.content_length) {
    throw new UploadRefusal(403, "SignatureDoesNotMatch", "Content-Length differs from the length this URL was issued for.");
  }
  if (request.headers.get("content-type") !== record.content_type) {
    throw new UploadRefusal(403, "SignatureDoesNotMatch", "Content-Type differs from the type this URL was issued for.");
  }
  const checksum = request.headers.get("x-amz-checksum-sha256") ?? undefined;
  if (record.checksum_sha256 !== undefined && checksum !== record.checksum_sha256) {
    throw new UploadRefusal(403, "SignatureDoesNotMatch", "x-amz-checksum-sha256 differs from the checksum this URL was issued for.");
  }

  const object = await putObject(c.env.DATA, record, request.body, length);
  // Queued before the status changes: if queuing fails the PUT may simply be sent again.
  await enqueueFile(c.env, record.file_id).catch((e) => {
    throw new UploadRefusal(503, "SlowDown", "The file was stored but could not be queued for processing; send the PUT again.", String(e));
  });
  const uploadedAt = object.uploaded.toISOString();
  await store
    .mutate(record.file_id, (r) =>
      r.status === "awaiting_upload" ? { ...r, status: "processing", uploaded_at: uploadedAt, size: object.size } : undefined,
    )
    .catch((e) =>
      console.error(
        JSON.stringify({ level: "warn", msg: "file status not updated after upload", file_id: record.file_id, reason: String(e) }),
      ),
    );

  const headers: Record<string, string> = { ETag: `"${object.etag}"`, "x-amz-request-id": c.get("requestId") };
  if (record.checksum_sha256) headers["x-amz-checksum-sha256"] = record.checksum_sha256;
  return new Response(null, { status: 200, headers });
}

/** Streams the body into R2 with exactly `length` bytes (and the bound SHA-256, which R2 checks). */
async function putObject(bucket: R2Bucket, record: FileRecord, body: ReadableStream<Uint8Array> | null, length: number): Promise<R2Object> {
  const options: R2PutOptions = {
    httpMetadata: { contentType: record.content_type },
    customMetadata: {
      file_id: record.file_id,
      dataset_id: record.dataset_id,
      company_id: record.company_id,
      client_id: record.client_id,
      file_name: record.file_name,
    },
  };
  if (record.checksum_sha256) options.sha256 = base64ToHex(record.checksum_sha256);
  if (length > 0 && body === null) throw new UploadRefusal(400, "IncompleteBody", "The request has no body.");
  const value = length === 0 || body === null ? new Uint8Array(0) : body.pipeThrough(new FixedLengthStream(length));
  let stored: R2Object | null;
  try {
    stored = await bucket.put(record.object_key, value, options);
  } catch (e) {
    const text = String(e);
    if (/sha-?256|digest|checksum/i.test(text)) {
      throw new UploadRefusal(400, "BadDigest", "The SHA-256 you specified did not match the calculated checksum.", text);
    }
    if (/length|bytes|stream/i.test(text)) {
      throw new UploadRefusal(
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        text,
      );
    }
    throw new UploadRefusal(503, "SlowDown", "The upload could not be stored; retry the PUT.", text);
  }
  if (stored === null) throw new UploadRefusal(503, "SlowDown", "The upload could not be stored; retry the PUT.", "R2 put returned null");
  return stored;
}

function base64ToHex(b64: string): string {
  return Array.from(atob(b64), (ch) => ch.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}
