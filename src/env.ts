import type { AuthenticatedClient } from "./middleware/client-auth";
import type { Dataset } from "./storage/registry";

/** Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here once. */
export interface Secrets {
  /** Bearer token of the admin API. Required: without it every admin route answers 503. */
  ADMIN_TOKEN?: string;
  /** HMAC key that signs access tokens. Required in production (see `signingKeys`). */
  JWT_SIGNING_KEY?: string;
  /** The key before the last rotation: tokens it signed stay valid until they expire. */
  JWT_PREVIOUS_SIGNING_KEY?: string;
}

export type Bindings = Env & Secrets;

export interface Variables {
  requestId: string;
  /** The dataset a handler resolved, for the request log line. */
  dataset?: Dataset;
  /** Set by `clientAuth` on data routes. */
  client: AuthenticatedClient;
}

/** The one type every route and middleware is written against. */
export interface HonoEnv {
  Bindings: Bindings;
  Variables: Variables;
}
