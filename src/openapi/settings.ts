import { TOKEN_SCOPE, tokenAudience, tokenTtlSeconds } from "../auth/tokens";
import type { Bindings } from "../env";
import { IDEMPOTENCY_TTL_MS, MAX_KEY_LENGTH } from "../ingest/idempotency";
import { type PushLimits, pushLimits } from "../ingest/limits";
import { ADMIN_BODY_LIMIT } from "../lib/json-body";
import { rateLimitPeriodSeconds } from "../middleware/rate-limit";
import { MAX_GRANTS } from "../routes/admin-clients";
import { TOKEN_REQUEST_BYTES } from "../routes/oauth-token";
import { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_URL_TTL_SECONDS, MAX_URL_TTL_SECONDS, uploadSettings } from "../upload/config";

/**
 * The deployment's settings the document states (limits, windows, lifetimes). Read from the same
 * functions the handlers use, so the published numbers are the enforced ones.
 */
export interface DocumentSettings {
  limits: PushLimits;
  /** Admin request bodies (a dataset with its schema, a client). */
  adminBodyBytes: number;
  /** Bodies of `POST /oauth/token`. */
  tokenRequestBytes: number;
  idempotencyWindowSeconds: number;
  idempotencyKeyMaxLength: number;
  configCacheSeconds: number;
  rateLimitPeriodSeconds: number;
  tokenTtlSeconds: number;
  tokenAudience: string;
  tokenScope: string;
  /** Datasets one client may be granted. */
  maxGrants: number;
  /** Lifetime of a presigned upload URL, and the most it may be configured to. */
  uploadUrlTtlSeconds: number;
  uploadUrlMaxTtlSeconds: number;
  /** Largest file an upload may have. */
  maxUploadBytes: number;
}

export function documentSettings(env: Partial<Bindings> = {}): DocumentSettings {
  const bindings = env as Bindings;
  const cache = Number(env.CONFIG_CACHE_SECONDS);
  return {
    limits: pushLimits(bindings),
    adminBodyBytes: ADMIN_BODY_LIMIT,
    tokenRequestBytes: TOKEN_REQUEST_BYTES,
    idempotencyWindowSeconds: IDEMPOTENCY_TTL_MS / 1000,
    idempotencyKeyMaxLength: MAX_KEY_LENGTH,
    configCacheSeconds: Number.isFinite(cache) && cache >= 0 ? cache : 30,
    rateLimitPeriodSeconds: rateLimitPeriodSeconds(bindings),
    tokenTtlSeconds: tokenTtlSeconds(bindings),
    tokenAudience: tokenAudience(bindings),
    tokenScope: TOKEN_SCOPE,
    maxGrants: MAX_GRANTS,
    ...uploadLimits(bindings),
  };
}

function uploadLimits(env: Bindings): Pick<DocumentSettings, "uploadUrlTtlSeconds" | "uploadUrlMaxTtlSeconds" | "maxUploadBytes"> {
  try {
    const upload = uploadSettings(env);
    return { uploadUrlTtlSeconds: upload.ttlSeconds, uploadUrlMaxTtlSeconds: MAX_URL_TTL_SECONDS, maxUploadBytes: upload.maxUploadBytes };
  } catch {
    // A misconfigured upload backend fails the upload routes themselves, not the document.
    return {
      uploadUrlTtlSeconds: DEFAULT_URL_TTL_SECONDS,
      uploadUrlMaxTtlSeconds: MAX_URL_TTL_SECONDS,
      maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
    };
  }
}

/** `1048576` → `"1 MiB"`, for descriptions. */
export function bytes(n: number): string {
  for (const [unit, size] of [
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}
