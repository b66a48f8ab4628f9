import type { Bindings } from "../env";
import { ApiError } from "../errors";

export type UploadBackend = "worker" | "s3";

/** The file-upload settings, from `[vars]` in wrangler.toml (documented there and in the README). */
export interface UploadSettings {
  /** Where presigned URLs point: this Worker ("worker", the default) or the S3-compatible endpoint. */
  backend: UploadBackend;
  /** Lifetime of a presigned URL (X-Amz-Expires). */
  ttlSeconds: number;
  /** Largest file accepted, by the Worker's PUT and by processing (either backend). */
  maxUploadBytes: number;
  /** One queue invocation processes at most this many rows … */
  chunkRows: number;
  /** … and at most about this many bytes of the file, then saves a checkpoint and re-enqueues. */
  chunkBytes: number;
  /** First retry delay of a failed processing attempt; doubled per attempt (capped). */
  retryBaseSeconds: number;
  /** Origin of worker-backend upload URLs; default: the origin the client asked on. */
  baseUrl?: string;
}

/** S3 and SigV4 allow presigned URLs of at most 7 days. */
export const MAX_URL_TTL_SECONDS = 604_800;
export const DEFAULT_URL_TTL_SECONDS = 900;
/** The request body limit of Cloudflare's Free and Pro plans ("100 MB"); larger bodies never reach the Worker. */
export const DEFAULT_MAX_UPLOAD_BYTES = 100_000_000;
export const DEFAULT_CHUNK_ROWS = 100_000;
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
export const DEFAULT_RETRY_BASE_SECONDS = 10;

function positiveInt(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

function nonNegativeInt(value: unknown, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

export function uploadSettings(env: Bindings): UploadSettings {
  const kind = (env.UPLOAD_BACKEND ?? "").trim().toLowerCase() || "worker";
  if (kind !== "worker" && kind !== "s3") {
    console.error(
      JSON.stringify({ level: "error", msg: `UPLOAD_BACKEND is ${JSON.stringify(env.UPLOAD_BACKEND)}; expected "worker" or "s3"` }),
    );
    throw new ApiError("unavailable", "File uploads are not configured correctly on this deployment.", {
      internal: "UPLOAD_BACKEND invalid",
    });
  }
  const baseUrl = env.UPLOAD_BASE_URL?.trim().replace(/\/+$/, "") || undefined;
  return {
    backend: kind,
    ttlSeconds: Math.min(positiveInt(env.UPLOAD_URL_TTL_SECONDS, DEFAULT_URL_TTL_SECONDS), MAX_URL_TTL_SECONDS),
    maxUploadBytes: positiveInt(env.MAX_UPLOAD_BYTES, DEFAULT_MAX_UPLOAD_BYTES),
    chunkRows: positiveInt(env.FILE_CHUNK_ROWS, DEFAULT_CHUNK_ROWS),
    chunkBytes: positiveInt(env.FILE_CHUNK_BYTES, DEFAULT_CHUNK_BYTES),
    retryBaseSeconds: nonNegativeInt(env.FILE_RETRY_BASE_SECONDS, DEFAULT_RETRY_BASE_SECONDS),
    baseUrl,
  };
}
