import { StorageError } from "./errors";
import type { Sink } from "./sink";
import { R2Sink } from "./sink-r2";
import { S3Sink } from "./sink-s3";

/**
 * What `sinkFor` reads. `SINK` and the `S3_*` vars are set in wrangler.toml (the S3 ones only where
 * the deployment forwards to S3, so they are optional here); the two keys are secrets.
 */
export interface SinkEnv {
  DATA: R2Bucket;
  /** "r2" (the default) or "s3". */
  SINK?: string;
  S3_ENDPOINT?: string;
  S3_BUCKET?: string;
  S3_REGION?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
}

/**
 * The sink the deployment is configured with. A configuration that cannot work throws a
 * non-retryable StorageError naming the problem (never a secret's value): the route logs it and
 * answers 500, since only the operator can fix it.
 */
export function sinkFor(env: SinkEnv): Sink {
  const kind = (env.SINK ?? "").trim().toLowerCase() || "r2";
  if (kind === "r2") return new R2Sink(env.DATA);
  if (kind === "s3") return new S3Sink(s3ConfigFrom(env));
  throw misconfigured(`SINK is ${JSON.stringify(env.SINK)}; expected "r2" or "s3"`);
}

/** The S3-compatible endpoint of the deployment (the S3 sink and the s3 upload backend); throws when incomplete. */
export function s3ConfigFrom(env: SinkEnv) {
  const missing = (["S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const).filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw misconfigured(`SINK is "s3" but ${missing.join(", ")} not set`);
  const endpoint = env.S3_ENDPOINT!.trim();
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw misconfigured("S3_ENDPOINT is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw misconfigured("S3_ENDPOINT must be http(s)");
  if (url.search || url.hash || url.username || url.password) {
    throw misconfigured("S3_ENDPOINT must not have a query, a fragment or credentials");
  }
  const bucket = env.S3_BUCKET!.trim();
  if (bucket.includes("/")) throw misconfigured("S3_BUCKET must be a bare bucket name");
  const region = env.S3_REGION?.trim() || (url.hostname.endsWith(".r2.cloudflarestorage.com") ? "auto" : "us-east-1");
  return {
    endpoint,
    bucket,
    region,
    accessKeyId: env.S3_ACCESS_KEY_ID!.trim(),
    secretAccessKey: env.S3_SECRET_ACCESS_KEY!.trim(),
  };
}

function misconfigured(reason: string): StorageError {
  return new StorageError("sink configuration", false, new Error(reason));
}
