import type { AuthenticatedClient } from "./middleware/client-auth";
import type { FileQueueMessage } from "./queue/messages";
import type { Dataset } from "./storage/registry";

/** Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here once. */
export interface Secrets {
  /** Bearer token of the admin API. Required: without it every admin route answers 503. */
  ADMIN_TOKEN?: string;
  /** HMAC key that signs access tokens. Required in production (see `signingKeys`). */
  JWT_SIGNING_KEY?: string;
  /** The key before the last rotation: tokens it signed stay valid until they expire. */
  JWT_PREVIOUS_SIGNING_KEY?: string;
  /** Keys of the S3-compatible endpoint, when `SINK = "s3"`. */
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  /** SigV4 secret of worker-backend upload URLs. Required in production (see src/upload/signing-key.ts). */
  UPLOAD_SIGNING_KEY?: string;
  /** The upload key before the last rotation: URLs it signed stay valid until they expire. */
  UPLOAD_PREVIOUS_SIGNING_KEY?: string;
}

/**
 * Optional settings that are commented out in wrangler.toml, so `wrangler types` cannot see them.
 * The external identity provider is on only when JWKS_URL, EXTERNAL_ISSUER and EXTERNAL_AUDIENCE are all set.
 */
export interface OptionalVars {
  JWKS_URL?: string;
  EXTERNAL_ISSUER?: string;
  EXTERNAL_AUDIENCE?: string;
  /** The provider claim naming our client_id (default `sub`; a trailing `@clients`, as Auth0 writes it, is stripped). */
  EXTERNAL_CLIENT_CLAIM?: string;
  /** Where records go when `SINK = "s3"` (see src/storage/sinks.ts). */
  S3_ENDPOINT?: string;
  S3_BUCKET?: string;
  S3_REGION?: string;
  /** File uploads (see src/upload/config.ts; the defaults apply when these are unset). */
  UPLOAD_BACKEND?: string;
  UPLOAD_URL_TTL_SECONDS?: string;
  UPLOAD_BASE_URL?: string;
  MAX_UPLOAD_BYTES?: string;
  FILE_CHUNK_ROWS?: string;
  FILE_CHUNK_BYTES?: string;
  FILE_RETRY_BASE_SECONDS?: string;
}

/**
 * The rate limiter is optional: a deployment without the `[[ratelimits]]` binding does not limit.
 * Without the `FILE_QUEUE` producer, uploaded files are kept but not processed (complete answers 503).
 */
type OptionalBindings = { CLIENT_RATE_LIMITER?: RateLimit; FILE_QUEUE?: Queue<FileQueueMessage> };

export type Bindings = Omit<Env, keyof OptionalBindings> & OptionalBindings & Secrets & OptionalVars;

export interface Variables {
  requestId: string;
  /** The dataset a handler resolved, for the request log line. */
  dataset?: Dataset;
  /** Set by `clientAuth` on data routes. */
  client: AuthenticatedClient;
  /** Record counts of a push, for the request log line. */
  counts?: { records: number; accepted: number; rejected: number };
}

/** The one type every route and middleware is written against. */
export interface HonoEnv {
  Bindings: Bindings;
  Variables: Variables;
}
