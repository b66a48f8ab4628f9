/**
 * Tokens of an external identity provider. The provider's keys are generated here; its JWKS is
 * served over real HTTP on loopback by test/setup/jwks-server.ts (a Node server of the test run).
 */
import { sign } from "hono/jwt";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { externalIdp, verifyExternalToken } from "../../src/auth/external";
import { InvalidToken, toSigningKey } from "../../src/auth/tokens";
import type { Bindings } from "../../src/env";
import { createDataset, expectProblem, type TestClient } from "../helpers";
import type { JwksTestServer } from "../setup/jwks-server";
import { adminWith, b64urlJson, bearer, callWith, createClientWith, hs256, now, TEST_SIGNING_KEY, tokenWith, withKey } from "./support";

declare module "vitest" {
  export interface ProvidedContext {
    jwks: JwksTestServer;
  }
}

const ISSUER = "https://idp.example.test/";
const AUDIENCE = "https://data-api.example.test";
const DATA = "/data/datasets";
let seq = 0;

type PrivateJwk = JsonWebKey & { kid: string; alg: "RS256" | "ES256" };

interface Provider {
  name: string;
  jwksUrl: string;
  rsa: PrivateJwk;
  ec: PrivateJwk;
  /** Public JWKs as published. */
  published: JsonWebKey[];
}

async function keyPair(alg: "RS256" | "ES256", kid: string): Promise<{ privateJwk: PrivateJwk; publicJwk: JsonWebKey }> {
  const params =
    alg === "RS256"
      ? { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }
      : { name: "ECDSA", namedCurve: "P-256" };
  const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
  const privateJwk = { ...((await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey), alg, kid } as PrivateJwk;
  const publicJwk = { ...((await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey), alg, kid, use: "sig" };
  return { privateJwk, publicJwk };
}

async function publish(name: string, document: unknown): Promise<void> {
  const res = await fetch(`${inject("jwks").url}/jwks/${name}`, {
    method: "PUT",
    body: typeof document === "string" ? document : JSON.stringify(document),
  });
  expect(res.status).toBe(204);
}

async function fetchCount(name: string): Promise<number> {
  return (await (await fetch(`${inject("jwks").url}/fetches/${name}`)).json<{ fetches: number }>()).fetches;
}

/** A provider with an RSA and an EC signing key, its JWKS published on the loopback server. */
async function provider(extraKeys: JsonWebKey[] = []): Promise<Provider> {
  const name = `idp-${Date.now().toString(36)}-${seq++}`;
  const rsa = await keyPair("RS256", `${name}-rsa`);
  const ec = await keyPair("ES256", `${name}-ec`);
  const published = [rsa.publicJwk, ec.publicJwk, ...extraKeys];
  await publish(name, { keys: published });
  return { name, jwksUrl: `${inject("jwks").url}/jwks/${name}`, rsa: rsa.privateJwk, ec: ec.privateJwk, published };
}

function idpEnv(p: { jwksUrl: string }, extra: Partial<Bindings> = {}): Partial<Bindings> {
  return { ...withKey(), JWKS_URL: p.jwksUrl, EXTERNAL_ISSUER: ISSUER, EXTERNAL_AUDIENCE: AUDIENCE, ...extra };
}

/** Claims as Auth0 issues them for a machine-to-machine client. */
function providerClaims(clientId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    iss: ISSUER,
    sub: `${clientId}@clients`,
    aud: AUDIENCE,
    iat: t,
    exp: t + 600,
    azp: clientId,
    gty: "client-credentials",
    ...overrides,
  };
}

function providerToken(key: PrivateJwk, claims: Record<string, unknown>): Promise<string> {
  return sign(claims as never, key as never);
}

async function registered(): Promise<TestClient> {
  const company = `ext-${Date.now().toString(36)}-${seq++}`;
  const ds = await createDataset({ company_id: company });
  return createClientWith(withKey(), company, [ds.dataset_id]);
}

async function expectUnauthorized(res: Response): Promise<void> {
  await expectProblem(res, 401);
  expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
}

describe("external identity provider tokens", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("accepts an RS256 token naming a registered client as `<client_id>@clients`, and an ES256 one", async () => {
    const p = await provider();
    const client = await registered();
    for (const key of [p.rsa, p.ec]) {
      const token = await providerToken(key, providerClaims(client.client_id));
      const res = await callWith(idpEnv(p), DATA, bearer(token));
      expect(res.status, await res.clone().text()).toBe(200);
      const body = await res.json<{ data: Array<{ dataset_id: string }> }>();
      expect(body.data.map((d) => d.dataset_id)).toEqual(client.dataset_ids);
    }
    // A plain client id (no suffix) in the claim works too.
    const plain = await providerToken(p.rsa, providerClaims(client.client_id, { sub: client.client_id }));
    expect((await callWith(idpEnv(p), DATA, bearer(plain))).status).toBe(200);
  });

  it("maps the configured claim (EXTERNAL_CLIENT_CLAIM), and only that claim", async () => {
    const p = await provider();
    const client = await registered();
    const token = await providerToken(p.rsa, providerClaims(client.client_id, { sub: "machine-42", azp: client.client_id }));
    expect((await callWith(idpEnv(p, { EXTERNAL_CLIENT_CLAIM: "azp" }), DATA, bearer(token))).status).toBe(200);
    // With the default claim (`sub`), the same token names no client of ours.
    await expectUnauthorized(await callWith(idpEnv(p), DATA, bearer(token)));
  });

  it("applies the same checks as for our tokens: a disabled or deleted client is refused", async () => {
    const p = await provider();
    const client = await registered();
    const token = await providerToken(p.rsa, providerClaims(client.client_id));
    expect((await callWith(idpEnv(p), DATA, bearer(token))).status).toBe(200);
    await adminWith(withKey(), `/admin/clients/${client.client_id}`, { method: "PATCH", json: { disabled: true } });
    await expectUnauthorized(await callWith(idpEnv(p), DATA, bearer(token)));
    await adminWith(withKey(), `/admin/clients/${client.client_id}`, { method: "DELETE" });
    await expectUnauthorized(await callWith(idpEnv(p), DATA, bearer(token)));
  });

  it("refuses a provider token for a client that is not registered here", async () => {
    const p = await provider();
    for (const sub of [`${crypto.randomUUID()}@clients`, "not-a-uuid@clients", "someone"]) {
      const token = await providerToken(p.rsa, providerClaims("x", { sub }));
      await expectUnauthorized(await callWith(idpEnv(p), DATA, bearer(token)));
    }
  });

  it("refuses HS256 tokens claiming the provider's iss: signed with our key, with the provider's public key, or with an `oct` key in its JWKS", async () => {
    const octSecret = "an-hmac-key-that-has-no-business-in-a-jwks";
    const oct = { kty: "oct", kid: "shared-secret", k: btoa(octSecret).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_") };
    const p = await provider([oct]);
    const client = await registered();
    const claims = providerClaims(client.client_id);
    const { kid: ourKid } = await toSigningKey(TEST_SIGNING_KEY);

    const forged: string[] = [];
    // Our own signing key, our kid, the provider's iss.
    let input = `${b64urlJson({ alg: "HS256", typ: "JWT", kid: ourKid })}.${b64urlJson(claims)}`;
    forged.push(`${input}.${await hs256(input, TEST_SIGNING_KEY)}`);
    // The classic confusion: the provider's public RSA key (as published) used as an HMAC secret.
    const rsaPublic = p.published[0]!;
    input = `${b64urlJson({ alg: "HS256", typ: "JWT", kid: p.rsa.kid })}.${b64urlJson(claims)}`;
    forged.push(`${input}.${await hs256(input, JSON.stringify(rsaPublic))}`);
    forged.push(`${input}.${await hs256(input, rsaPublic.n!)}`);
    // An HMAC key that the JWKS (wrongly) publishes.
    input = `${b64urlJson({ alg: "HS256", typ: "JWT", kid: oct.kid })}.${b64urlJson(claims)}`;
    forged.push(`${input}.${await hs256(input, octSecret)}`);
    // And `none`.
    forged.push(`${b64urlJson({ alg: "none", typ: "JWT", kid: p.rsa.kid })}.${b64urlJson(claims)}.`);

    for (const token of forged) await expectUnauthorized(await callWith(idpEnv(p), DATA, bearer(token)));
    // The same claims properly signed by the provider are accepted (so the refusals are about the algorithm).
    expect((await callWith(idpEnv(p), DATA, bearer(await providerToken(p.rsa, claims)))).status).toBe(200);
  });

  it("refuses a wrong aud, another issuer, an expired token, one without exp, and one not valid yet", async () => {
    const p = await provider();
    const client = await registered();
    const t = now();
    const cases: Array<Record<string, unknown>> = [
      { aud: "https://another-api.example.test" },
      { aud: undefined },
      { iss: "https://another-idp.example.test/" },
      { exp: t - 10, iat: t - 700 },
      { exp: undefined },
      { nbf: t + 300 },
    ];
    for (const overrides of cases) {
      const token = await providerToken(p.rsa, providerClaims(client.client_id, overrides));
      const res = await callWith(idpEnv(p), DATA, bearer(token));
      expect(res.status, JSON.stringify(overrides)).toBe(401);
    }
  });

  it("refuses a token with an unknown kid, and one signed by another key under a known kid", async () => {
    const p = await provider();
    const client = await registered();
    const stranger = await keyPair("RS256", "kid-nobody-published");
    await expectUnauthorized(
      await callWith(idpEnv(p), DATA, bearer(await providerToken(stranger.privateJwk, providerClaims(client.client_id)))),
    );
    const impostor = { ...stranger.privateJwk, kid: p.rsa.kid };
    await expectUnauthorized(await callWith(idpEnv(p), DATA, bearer(await providerToken(impostor, providerClaims(client.client_id)))));
    // A token without kid.
    const input = `${b64urlJson({ alg: "RS256", typ: "JWT" })}.${b64urlJson(providerClaims(client.client_id))}`;
    await expectUnauthorized(await callWith(idpEnv(p), DATA, bearer(`${input}.AAAA`)));
  });

  it("never verifies our own tokens against the JWKS, nor the provider's as ours", async () => {
    const p = await provider();
    const client = await registered();
    const own = await tokenWith(idpEnv(p), client);
    // Ours keep working while a provider is configured…
    expect((await callWith(idpEnv(p), DATA, bearer(own))).status).toBe(200);
    // …and the provider's verifier refuses them outright (HS256), without consulting the JWKS.
    const before = await fetchCount(p.name);
    await expect(verifyExternalToken(externalIdp({ ...idpEnv(p) } as Bindings)!, own)).rejects.toBeInstanceOf(InvalidToken);
    expect(await fetchCount(p.name)).toBe(before);
    // A provider-signed token claiming our issuer (and audience) is refused by our verifier.
    const claims = providerClaims(client.client_id, {
      iss: "data-api",
      aud: "data-api",
      sub: client.client_id,
      company_id: client.company_id,
    });
    await expectUnauthorized(await callWith(idpEnv(p), DATA, bearer(await providerToken(p.rsa, claims))));
  });

  it("without the provider configured, its tokens are refused (401)", async () => {
    const p = await provider();
    const client = await registered();
    const token = await providerToken(p.rsa, providerClaims(client.client_id));
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(token)));
  });

  it("caches the JWKS in the isolate: many requests, one fetch", async () => {
    const p = await provider();
    const client = await registered();
    for (let i = 0; i < 4; i++) {
      const token = await providerToken(i % 2 ? p.ec : p.rsa, providerClaims(client.client_id, { jti: String(i) }));
      expect((await callWith(idpEnv(p), DATA, bearer(token))).status).toBe(200);
    }
    expect(await fetchCount(p.name)).toBe(1);
  });

  it("picks up a key the provider added: an unknown kid refetches the JWKS (at most every 30 s)", async () => {
    const p = await provider();
    const client = await registered();
    expect((await callWith(idpEnv(p), DATA, bearer(await providerToken(p.rsa, providerClaims(client.client_id))))).status).toBe(200);
    const added = await keyPair("RS256", `${p.name}-added`);
    await publish(p.name, { keys: [...p.published, added.publicJwk] });
    // Within the cooldown the cached JWKS stands: refused, and not refetched.
    await expectUnauthorized(
      await callWith(idpEnv(p), DATA, bearer(await providerToken(added.privateJwk, providerClaims(client.client_id)))),
    );
    expect(await fetchCount(p.name)).toBe(1);
    // After it, the unknown kid makes the isolate refetch, and the new key is accepted.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 31_000 });
    const res = await callWith(idpEnv(p), DATA, bearer(await providerToken(added.privateJwk, providerClaims(client.client_id))));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await fetchCount(p.name)).toBe(2);
  });

  it("a JWKS that cannot be fetched is 503 with Retry-After (not 500, not 401), and logged", async () => {
    const client = await registered();
    const p = await provider();
    const token = await providerToken(p.rsa, providerClaims(client.client_id));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = `broken-${p.name}`;
    await publish(broken, "this is not JSON");
    const noKeys = `nokeys-${p.name}`;
    await publish(noKeys, { keys: "nope" });
    for (const jwksUrl of [
      `${inject("jwks").refusingUrl}/jwks/x`, // nothing listens
      `${inject("jwks").url}/status/500`, // the provider fails
      `${inject("jwks").url}/jwks/never-published`, // 404
      `${inject("jwks").url}/jwks/${broken}`,
      `${inject("jwks").url}/jwks/${noKeys}`,
    ]) {
      const res = await callWith(idpEnv({ jwksUrl }), DATA, bearer(token));
      const body = await expectProblem(res, 503);
      expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
      expect(JSON.stringify(body)).not.toContain("127.0.0.1");
    }
    expect(errors.mock.calls.map((c) => c.join(" ")).join("\n")).toContain("JWKS fetch failed");
  });

  it("a half-configured provider is a loud 503 for provider tokens (logged), while our own tokens keep working", async () => {
    const p = await provider();
    const client = await registered();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const providerTok = await providerToken(p.rsa, providerClaims(client.client_id));
    const own = await tokenWith(withKey(), client);
    for (const config of [
      { ...withKey(), JWKS_URL: p.jwksUrl, EXTERNAL_ISSUER: ISSUER }, // no audience
      { ...withKey(), EXTERNAL_ISSUER: ISSUER, EXTERNAL_AUDIENCE: AUDIENCE }, // no JWKS URL
      idpEnv({ jwksUrl: "http://idp.example.test/jwks.json" }), // plain http to a remote host
    ]) {
      await expectProblem(await callWith(config, DATA, bearer(providerTok)), 503);
      expect((await callWith(config, DATA, bearer(own))).status).toBe(200);
    }
    expect(errors.mock.calls.map((c) => c.join(" ")).join("\n")).toContain("external identity provider misconfigured");
  });
});
