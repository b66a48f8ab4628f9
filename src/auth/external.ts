import { decode, verifyWithJwks } from "hono/jwt";
import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import type { Bindings } from "../env";
import { ApiError } from "../errors";
import { isUuid } from "../lib/input";
import { InvalidToken, tokenIssuer } from "./tokens";

/**
 * Tokens of an external identity provider (e.g. Auth0 machine-to-machine tokens), accepted besides
 * our own when the deployment sets JWKS_URL, EXTERNAL_ISSUER and EXTERNAL_AUDIENCE.
 *
 * Our tokens and the provider's cannot be confused: the caller dispatches on `iss` (ours is
 * TOKEN_ISSUER, which must differ from EXTERNAL_ISSUER); provider tokens must be RS256 or ES256 and
 * are verified only against the provider's published public keys (symmetric keys in the JWKS are
 * ignored, HS* is refused before any key is looked at); our tokens are verified only as HS256.
 */
export const EXTERNAL_ALGORITHMS = ["RS256", "ES256"] as const;

/** How long an isolate trusts a fetched JWKS. */
export const JWKS_CACHE_MS = 5 * 60_000;
/** A token with an unknown `kid` refetches the JWKS (the provider may have rotated), at most this often. */
const JWKS_REFETCH_COOLDOWN_MS = 30_000;
const JWKS_FETCH_TIMEOUT_MS = 5_000;
const JWKS_MAX_BYTES = 512 * 1024;

export interface ExternalIdp {
  jwksUrl: string;
  issuer: string;
  audience: string;
  clientClaim: string;
}

/**
 * The provider's configuration: undefined when none of its variables is set. A half or inconsistent
 * configuration is an operator error: logged, and provider tokens answered with 503 rather than
 * silently refused (or, worse, accepted against the wrong checks).
 */
export function externalIdp(env: Bindings): ExternalIdp | undefined {
  const { JWKS_URL: jwksUrl, EXTERNAL_ISSUER: issuer, EXTERNAL_AUDIENCE: audience } = env;
  if (!jwksUrl && !issuer && !audience) return undefined;
  let problem: string | undefined;
  if (!jwksUrl || !issuer || !audience) {
    problem = "JWKS_URL, EXTERNAL_ISSUER and EXTERNAL_AUDIENCE must all be set";
  } else if (issuer === tokenIssuer(env)) {
    problem = "EXTERNAL_ISSUER must differ from TOKEN_ISSUER, or the two kinds of token become confusable";
  } else if (!isAllowedJwksUrl(jwksUrl)) {
    problem = "JWKS_URL must be an https URL (plain http only for localhost)";
  }
  if (problem) {
    console.error(JSON.stringify({ level: "error", msg: `external identity provider misconfigured: ${problem}` }));
    throw new ApiError("unavailable", "External identity provider tokens are not available on this deployment.", {
      internal: problem,
    });
  }
  return { jwksUrl: jwksUrl!, issuer: issuer!, audience: audience!, clientClaim: env.EXTERNAL_CLIENT_CLAIM || "sub" };
}

function isAllowedJwksUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

/** Verifies a provider token and returns the client id it names (not yet checked against our registry). */
export async function verifyExternalToken(idp: ExternalIdp, token: string): Promise<{ clientId: string }> {
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = decode(token).header;
  } catch {
    throw new InvalidToken("undecodable header");
  }
  // Refused before the JWKS is consulted: HS256 (or `none`) can never be a provider token.
  if (!(EXTERNAL_ALGORITHMS as readonly unknown[]).includes(header.alg))
    throw new InvalidToken(`external alg ${String(header.alg)} not allowed`);
  if (typeof header.kid !== "string" || header.kid === "") throw new InvalidToken("external token without kid");

  let jwks = await getJwks(idp.jwksUrl);
  if (!jwks.keys.some((k) => k.kid === header.kid) && Date.now() - jwks.fetchedAt > JWKS_REFETCH_COOLDOWN_MS) {
    jwks = await getJwks(idp.jwksUrl, { refresh: true });
  }
  if (!jwks.keys.some((k) => k.kid === header.kid)) throw new InvalidToken("unknown kid");

  let payload: Record<string, unknown>;
  try {
    payload = (await verifyWithJwks(token, {
      keys: jwks.keys,
      allowedAlgorithms: EXTERNAL_ALGORITHMS,
      verification: { iss: idp.issuer, aud: idp.audience },
    })) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidToken(e instanceof Error ? `external: ${e.name}` : "external verification failed");
  }
  // Hono checks exp only when present: a provider token must carry it.
  if (typeof payload.exp !== "number") throw new InvalidToken("external token without exp");

  const claimed = payload[idp.clientClaim];
  if (typeof claimed !== "string") throw new InvalidToken(`external token without ${idp.clientClaim}`);
  const clientId = claimed.endsWith("@clients") ? claimed.slice(0, -"@clients".length) : claimed;
  if (!isUuid(clientId)) throw new InvalidToken("external token names no client id of ours");
  return { clientId };
}

interface CachedJwks {
  keys: HonoJsonWebKey[];
  fetchedAt: number;
  expires: number;
}

/**
 * Per isolate: the JWKS by URL. Concurrent cold requests each fetch (no shared in-flight promise: a
 * promise tied to one request's I/O must not be awaited by another, which workerd may cancel).
 */
const jwksCache = new Map<string, CachedJwks>();

async function getJwks(url: string, options: { refresh?: boolean } = {}): Promise<CachedJwks> {
  const cached = jwksCache.get(url);
  if (cached && !options.refresh && cached.expires > Date.now()) return cached;
  return fetchJwks(url);
}

async function fetchJwks(url: string): Promise<CachedJwks> {
  let keys: HonoJsonWebKey[];
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" }, signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > JWKS_MAX_BYTES) throw new Error("JWKS too large");
    const body = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error("no `keys` array");
    keys = body.keys.filter(isUsableKey);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    console.error(JSON.stringify({ level: "error", msg: "JWKS fetch failed", jwks_url: url, reason }));
    throw new ApiError("unavailable", "The identity provider's signing keys could not be fetched; retry shortly.", {
      headers: { "Retry-After": "30" },
      internal: `JWKS fetch failed: ${reason}`,
    });
  }
  const now = Date.now();
  const entry = { keys, fetchedAt: now, expires: now + JWKS_CACHE_MS };
  jwksCache.set(url, entry);
  return entry;
}

/** Only asymmetric signing keys with a kid: an `oct` (HMAC) key in a JWKS is never used. */
function isUsableKey(value: unknown): value is HonoJsonWebKey {
  if (typeof value !== "object" || value === null) return false;
  const key = value as Record<string, unknown>;
  if (key.kty !== "RSA" && key.kty !== "EC") return false;
  if (typeof key.kid !== "string" || key.kid === "") return false;
  if (key.use !== undefined && key.use !== "sig") return false;
  if (key.alg !== undefined && !(EXTERNAL_ALGORITHMS as readonly unknown[]).includes(key.alg)) return false;
  // Private members have no business in a JWKS; drop the key rather than hold them.
  if ("d" in key) return false;
  return true;
}
