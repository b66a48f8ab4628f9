import { decode, sign, verify } from "hono/jwt";
import { encodeBase64Url } from "hono/utils/encode";
import type { Bindings } from "../env";
import { sha256, toHex } from "../lib/crypto";
import type { ClientRecord } from "../storage/clients";
import { kvKeys } from "../storage/keys";
import { deploymentSecret } from "./deployment-secret";

/** Our tokens are always HS256; the verifier pins it and never reads `alg` from the token to decide. */
const ALG = "HS256";
const encoder = new TextEncoder();

export interface TokenClaims {
  sub: string;
  company_id: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  iss: string;
  aud: string;
  scope: string;
  /**
   * Credential version: a digest of the client's secret hash at issue time. Rotating the secret
   * changes it, so every token issued before a rotation is refused at once — exactly, not by
   * comparing second-granular timestamps (a token issued in the same second as a rotation would
   * otherwise survive it).
   */
  cv: string;
}

export const TOKEN_SCOPE = "data:read data:write";

export interface SigningKey {
  kid: string;
  jwk: JsonWebKey & { kid: string; alg: typeof ALG };
}

export function tokenIssuer(env: Bindings): string {
  return env.TOKEN_ISSUER || "data-api";
}

export function tokenAudience(env: Bindings): string {
  return env.TOKEN_AUDIENCE || "data-api";
}

export function tokenTtlSeconds(env: Bindings): number {
  const ttl = Number(env.TOKEN_TTL_SECONDS);
  return Number.isInteger(ttl) && ttl > 0 ? ttl : 3600;
}

/** The key id is derived from the key itself, so configuring a key never needs a second value. */
export async function toSigningKey(secret: string): Promise<SigningKey> {
  const kid = toHex(await sha256(encoder.encode(`data-api-kid:${secret}`))).slice(0, 16);
  const k = encodeBase64Url(encoder.encode(secret).buffer as ArrayBuffer).replace(/=+$/, "");
  return { kid, jwk: { kty: "oct", k, alg: ALG, kid } };
}

/**
 * The current signing key and, during a rotation, the previous one (still accepted, never used to
 * sign). Without `JWT_SIGNING_KEY` a deployment refuses to issue or accept tokens (503) — unless it
 * is a local one (`LOCAL_DEV_KEYS = "true"`), which generates a random key once and keeps it in
 * its local KV, so `wrangler dev` needs no secret. There is no built-in default key.
 */
export async function signingKeys(env: Bindings): Promise<{ current: SigningKey; accepted: SigningKey[] }> {
  const secret = await deploymentSecret(env, {
    name: "JWT_SIGNING_KEY",
    value: env.JWT_SIGNING_KEY,
    localKey: kvKeys.localSigningKey(),
    feature: "authentication",
  });
  const current = await toSigningKey(secret);
  const accepted = [current];
  if (env.JWT_PREVIOUS_SIGNING_KEY) accepted.push(await toSigningKey(env.JWT_PREVIOUS_SIGNING_KEY));
  return { current, accepted };
}

/** See `TokenClaims.cv`. Not secret-bearing: a truncated SHA-256 of the (salted, keyed) secret hash. */
export async function credentialVersion(client: Pick<ClientRecord, "secret_hash">): Promise<string> {
  return toHex(await sha256(encoder.encode(`data-api-cv:${client.secret_hash}`))).slice(0, 16);
}

/**
 * The `iss` of a token, read without verifying anything, only to choose the verifier (ours or the
 * external identity provider's). Undefined when the token cannot be decoded.
 */
export function peekIssuer(token: string): string | undefined {
  try {
    const iss = decode(token).payload.iss;
    return typeof iss === "string" ? iss : undefined;
  } catch {
    return undefined;
  }
}

export async function issueToken(env: Bindings, client: ClientRecord): Promise<{ token: string; expiresIn: number }> {
  const { current } = await signingKeys(env);
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = tokenTtlSeconds(env);
  const claims: TokenClaims = {
    sub: client.client_id,
    company_id: client.company_id,
    iat: now,
    nbf: now,
    exp: now + expiresIn,
    jti: crypto.randomUUID(),
    iss: tokenIssuer(env),
    aud: tokenAudience(env),
    scope: TOKEN_SCOPE,
    cv: await credentialVersion(client),
  };
  return { token: await sign({ ...claims }, current.jwk), expiresIn };
}

/** Why a token was refused, for our logs; the client only learns that it was. */
export class InvalidToken extends Error {}

/**
 * Verifies one of our own tokens: the key is chosen by `kid` among the accepted keys, the algorithm
 * is pinned to HS256, and `exp`, `nbf`, `iat`, `iss` and `aud` are all required and checked.
 */
export async function verifyOwnToken(env: Bindings, token: string): Promise<TokenClaims> {
  let header: { kid?: unknown; alg?: unknown };
  try {
    header = decode(token).header as typeof header;
  } catch {
    throw new InvalidToken("undecodable header");
  }
  const { accepted } = await signingKeys(env);
  const key = accepted.find((k) => k.kid === header.kid);
  if (!key) throw new InvalidToken("unknown kid");
  let payload: Record<string, unknown>;
  try {
    payload = (await verify(token, key.jwk, { alg: ALG, iss: tokenIssuer(env), aud: tokenAudience(env) })) as Record<string, unknown>;
  } catch (e) {
    throw new InvalidToken(e instanceof Error ? e.name : "verification failed");
  }
  for (const claim of ["exp", "iat", "nbf"] as const) {
    if (typeof payload[claim] !== "number") throw new InvalidToken(`missing ${claim}`);
  }
  if (typeof payload.sub !== "string" || typeof payload.company_id !== "string") throw new InvalidToken("missing sub");
  if (typeof payload.cv !== "string") throw new InvalidToken("missing cv");
  return payload as unknown as TokenClaims;
}
