/**
 * Helpers of the authentication tests: calling the app with a different deployment configuration,
 * and minting tokens by hand (valid ones with chosen claims, and broken ones).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { sign } from "hono/jwt";
import { encodeBase64Url } from "hono/utils/encode";
import { expect } from "vitest";
import { newApp } from "../../src/app";
import { credentialVersion, toSigningKey } from "../../src/auth/tokens";
import type { Bindings } from "../../src/env";
import { ADMIN_TOKEN, type TestClient } from "../helpers";

export const BASE = "http://data-api.test";

/** A fixed signing key for the tests that call the app with an explicit configuration. */
export const TEST_SIGNING_KEY = "test-signing-key-current-0123456789abcdef";
export const TEST_PREVIOUS_KEY = "test-signing-key-previous-0123456789abcdef";

/**
 * Calls the app's fetch handler directly with the test environment plus `overrides` (so a test can
 * run the Worker as a deployment with other variables or secrets would).
 */
export async function callWith(overrides: Partial<Bindings>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await newApp().fetch(new Request(`${BASE}${path}`, init), { ...env, ...overrides } as Bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export function withKey(key = TEST_SIGNING_KEY): Partial<Bindings> {
  return { JWT_SIGNING_KEY: key };
}

/** An admin call under the given configuration. */
export function adminWith(overrides: Partial<Bindings>, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${ADMIN_TOKEN}`);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers.set("Content-Type", "application/json");
  }
  return callWith(overrides, path, { ...init, headers, body });
}

export async function createClientWith(overrides: Partial<Bindings>, company_id: string, dataset_ids: string[] = []): Promise<TestClient> {
  const res = await adminWith(overrides, "/admin/clients", { method: "POST", json: { company_id, name: "auth-test", dataset_ids } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json<{ data: TestClient[] }>()).data[0]!;
}

/** POST /oauth/token with JSON credentials under the given configuration. */
export function tokenRequestWith(overrides: Partial<Bindings>, client: { client_id: string; client_secret: string }): Promise<Response> {
  return callWith(overrides, "/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret }),
  });
}

export async function tokenWith(overrides: Partial<Bindings>, client: { client_id: string; client_secret: string }): Promise<string> {
  const res = await tokenRequestWith(overrides, client);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json<{ access_token: string }>()).access_token;
}

export function bearer(token: string): RequestInit {
  return { headers: { Authorization: `Bearer ${token}` } };
}

export function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** The claims our token endpoint would issue for `client` under `key`, with `overrides` applied. */
export async function ownClaims(client: TestClient, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const t = now();
  // The credential version is a digest of the stored hash, which only the Worker sees: read it from KV.
  const record = await env.CONFIG.get<{ secret_hash: string }>(`client/${client.client_id}`, "json");
  return {
    sub: client.client_id,
    company_id: client.company_id,
    iat: t,
    nbf: t,
    exp: t + 600,
    jti: crypto.randomUUID(),
    iss: env.TOKEN_ISSUER,
    aud: env.TOKEN_AUDIENCE,
    scope: "data:read data:write",
    cv: await credentialVersion(record!),
    ...overrides,
  };
}

/** Signs claims as our token endpoint does (HS256, kid derived from the key). */
export async function signOwn(claims: Record<string, unknown>, key = TEST_SIGNING_KEY): Promise<string> {
  const { jwk } = await toSigningKey(key);
  return sign(claims as never, jwk);
}

export function b64urlJson(value: unknown): string {
  return b64url(new TextEncoder().encode(JSON.stringify(value)));
}

export function b64url(bytes: Uint8Array): string {
  return encodeBase64Url(bytes.slice().buffer).replace(/=+$/, "");
}

export function decodePart(part: string): Record<string, unknown> {
  const padded = part.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(padded + "=".repeat((4 - (padded.length % 4)) % 4)));
}

/** HS256 over `header.payload` with a raw secret, for tokens with hand-made headers. */
export async function hs256(signingInput: string, secret: string | Uint8Array): Promise<string> {
  const raw = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(signingInput))));
}
