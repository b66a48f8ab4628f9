import type { Context, Hono } from "hono";
import { verifySecret } from "../auth/secrets";
import { issueToken, TOKEN_SCOPE, tokenAudience } from "../auth/tokens";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { isUuid } from "../lib/input";
import { isJsonContentType, readBoundedText } from "../lib/json-body";
import { DUMMY_HASH, parseBasic, REALM } from "../middleware/client-auth";
import { ClientStore } from "../storage/clients";

type OAuthError = "invalid_client" | "invalid_request" | "unsupported_grant_type";

/** Bodies of `POST /oauth/token` carry a few short parameters. */
export const TOKEN_REQUEST_BYTES = 16 * 1024;

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

/** RFC 6749 §5.2 error body (not problem+json: OAuth clients parse this shape). */
function oauthError(c: Context<HonoEnv>, error: OAuthError, description: string): Response {
  const status = error === "invalid_client" ? 401 : 400;
  const headers: Record<string, string> = { ...NO_STORE };
  if (status === 401) headers["WWW-Authenticate"] = `Basic realm="${REALM}"`;
  return c.json({ error, error_description: description }, status, headers);
}

async function readParams(c: Context<HonoEnv>): Promise<Record<string, unknown> | undefined> {
  const type = c.req.header("Content-Type") ?? "";
  const text = await readBoundedText(c.req.raw, TOKEN_REQUEST_BYTES);
  if (isJsonContentType(type)) {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (type.split(";")[0]!.trim().toLowerCase() === "application/x-www-form-urlencoded") {
    return Object.fromEntries(new URLSearchParams(text));
  }
  if (text.trim() === "") return {};
  return undefined;
}

/** `POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4). */
export function registerOAuthToken(app: Hono<HonoEnv>): void {
  // Every answer of the token endpoint, also a 503 or 500 rendered by the app's onError, is uncacheable (RFC 6749 §5.1).
  app.use("/oauth/token", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(NO_STORE)) c.res.headers.set(name, value);
  });
  app.post("/oauth/token", async (c) => {
    let params: Record<string, unknown> | undefined;
    try {
      params = await readParams(c);
    } catch (e) {
      if (e instanceof ApiError) return oauthError(c, "invalid_request", e.detail);
      throw e;
    }
    if (!params) {
      return oauthError(c, "invalid_request", "Send application/x-www-form-urlencoded or application/json parameters.");
    }

    let clientId = params.client_id;
    let clientSecret = params.client_secret;
    const authorization = c.req.header("Authorization");
    if (authorization) {
      const match = /^Basic +(\S+) *$/i.exec(authorization);
      // RFC 6749 §2.3.1: Basic credentials are form-encoded before base64.
      const creds = match ? parseBasic(match[1]!) : undefined;
      if (!creds) return oauthError(c, "invalid_client", "The Authorization header must be HTTP Basic client credentials.");
      if (clientId !== undefined || clientSecret !== undefined) {
        return oauthError(c, "invalid_request", "Send the client credentials either in the header or in the body, not both.");
      }
      clientId = safeDecode(creds.id);
      clientSecret = safeDecode(creds.secret);
    }

    if (params.grant_type === undefined) return oauthError(c, "invalid_request", "`grant_type` is required.");
    if (params.grant_type !== "client_credentials") {
      return oauthError(c, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");
    }
    if (typeof clientId !== "string" || clientId === "" || typeof clientSecret !== "string" || clientSecret === "") {
      return oauthError(c, "invalid_request", "`client_id` and `client_secret` are required.");
    }
    if (params.audience !== undefined && params.audience !== tokenAudience(c.env)) {
      return oauthError(c, "invalid_request", `\`audience\` must be "${tokenAudience(c.env)}" when given.`);
    }

    // Client ids are UUIDs: anything else is unknown without asking KV (still hashing, for equal timing).
    const record = isUuid(clientId) ? await new ClientStore(c.env).get(clientId, { fresh: true }) : undefined;
    const ok = await verifySecret(clientSecret, record?.secret_hash ?? DUMMY_HASH);
    if (!record || !ok || record.disabled) {
      return oauthError(c, "invalid_client", "Client authentication failed.");
    }

    const { token, expiresIn } = await issueToken(c.env, record);
    return c.json({ access_token: token, token_type: "Bearer", expires_in: expiresIn, scope: TOKEN_SCOPE }, 200, NO_STORE);
  });
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}
