import type { MiddlewareHandler } from "hono";
import { externalIdp, verifyExternalToken } from "../auth/external";
import { verifySecret } from "../auth/secrets";
import { credentialVersion, InvalidToken, peekIssuer, tokenIssuer, verifyOwnToken } from "../auth/tokens";
import type { Bindings, HonoEnv } from "../env";
import { ApiError } from "../errors";
import { isUuid } from "../lib/input";
import { type ClientRecord, ClientStore } from "../storage/clients";

export const REALM = "data-api";

/** The client a data request acts for, as the handlers see it. */
export interface AuthenticatedClient {
  client_id: string;
  company_id: string;
  dataset_ids: string[];
  /** Our access token, HTTP Basic credentials, or a token of the external identity provider. */
  via: "token" | "basic" | "external";
}

function unauthorized(detail: string, error?: "invalid_token" | "invalid_request", internal?: string): ApiError {
  const challenge = error
    ? `Bearer realm="${REALM}", error="${error}", Basic realm="${REALM}"`
    : `Bearer realm="${REALM}", Basic realm="${REALM}"`;
  return new ApiError("unauthorized", detail, { headers: { "WWW-Authenticate": challenge }, internal });
}

/** Parses `Authorization: Basic base64(id:secret)`; undefined when malformed. */
export function parseBasic(value: string): { id: string; secret: string } | undefined {
  let decoded: string;
  try {
    decoded = atob(value);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  // Form-encoding of credentials (RFC 6749 §2.3.1) is not applied to data routes: ids are UUIDs and
  // generated secrets are base64url, so neither contains characters that would need it.
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * Authenticates a data request by our access token (`Bearer`) or by the client's own credentials
 * (`Basic client_id:client_secret`), then checks that the client still exists and is enabled — so a
 * disabled or deleted client is refused even with a token it obtained before.
 *
 * @example
 * app.use("/data/*", clientAuth());
 */
export function clientAuth(): MiddlewareHandler<HonoEnv> {
  return async function clientAuthMiddleware(c, next) {
    const header = c.req.header("Authorization");
    if (!header) throw unauthorized("Send `Authorization: Bearer <access_token>` or HTTP Basic client credentials.");
    const [scheme, value = "", ...rest] = header.trim().split(/ +/);
    if (rest.length > 0 || value === "") throw unauthorized("The Authorization header is malformed.", "invalid_request");

    const store = new ClientStore(c.env);
    let record: ClientRecord | undefined;
    let via: AuthenticatedClient["via"];
    switch (scheme?.toLowerCase()) {
      case "bearer": {
        let bearer: Awaited<ReturnType<typeof verifyBearer>>;
        try {
          bearer = await verifyBearer(c.env, value);
        } catch (e) {
          if (e instanceof InvalidToken) throw unauthorized("The access token is invalid or expired.", "invalid_token", e.message);
          throw e;
        }
        record = await store.get(bearer.clientId);
        if (record && bearer.accepts && !(await bearer.accepts(record))) {
          // A token from before the last secret rotation is as stale as the secret it came from.
          throw unauthorized("The access token is no longer valid.", "invalid_token", "token predates secret rotation");
        }
        via = bearer.via;
        break;
      }
      case "basic": {
        const creds = parseBasic(value);
        if (!creds) throw unauthorized("The Basic credentials are malformed.", "invalid_request");
        // Client ids are UUIDs: anything else is unknown without asking KV (which refuses keys over 512 bytes).
        record = isUuid(creds.id) ? await store.get(creds.id) : undefined;
        // Verify even for an unknown client (against a dummy hash) so timing does not reveal which ids exist.
        const ok = await verifySecret(creds.secret, record?.secret_hash ?? DUMMY_HASH);
        if (!record || !ok) throw unauthorized("The client credentials are not valid.", "invalid_token");
        via = "basic";
        break;
      }
      default:
        throw unauthorized("Use the Bearer or Basic authorization scheme.", "invalid_request");
    }
    if (!record) throw unauthorized("The client no longer exists.", "invalid_token", "client deleted");
    if (record.disabled) throw unauthorized("The client is disabled.", "invalid_token", "client disabled");

    for (const [param, actual] of [
      ["client_id", record.client_id],
      ["company_id", record.company_id],
    ] as const) {
      const claimed = c.req.query(param);
      if (claimed !== undefined && claimed !== actual) {
        throw new ApiError("forbidden", `\`${param}\` does not match the credentials of this request.`, { extra: { field: param } });
      }
    }
    c.set("client", {
      client_id: record.client_id,
      company_id: record.company_id,
      dataset_ids: record.dataset_ids,
      via,
    });
    await next();
  };
}

/**
 * Verifies a bearer token with the verifier its `iss` names: ours (HS256 with our keys only) or the
 * external identity provider's (RS256/ES256 with its JWKS only). Any other issuer is refused.
 */
async function verifyBearer(
  env: Bindings,
  token: string,
): Promise<{ clientId: string; via: "token" | "external"; accepts?: (record: ClientRecord) => Promise<boolean> }> {
  const issuer = peekIssuer(token);
  if (issuer === undefined) throw new InvalidToken("undecodable or without iss");
  if (issuer === tokenIssuer(env)) {
    const claims = await verifyOwnToken(env, token);
    return {
      clientId: claims.sub,
      via: "token",
      accepts: async (record) => record.company_id === claims.company_id && claims.cv === (await credentialVersion(record)),
    };
  }
  const idp = externalIdp(env);
  if (!idp || issuer !== idp.issuer) throw new InvalidToken("unknown issuer");
  const { clientId } = await verifyExternalToken(idp, token);
  return { clientId, via: "external" };
}

/** A well-formed hash no secret matches; compared against when the client id is unknown. */
export const DUMMY_HASH = "hmac-sha256$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
