import { env } from "cloudflare:test";
import { sign } from "hono/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toSigningKey } from "../../src/auth/tokens";
import { basicAuth, createDataset, expectProblem, type TestClient } from "../helpers";
import {
  adminWith,
  b64urlJson,
  bearer,
  callWith,
  createClientWith,
  decodePart,
  hs256,
  now,
  ownClaims,
  signOwn,
  TEST_PREVIOUS_KEY,
  TEST_SIGNING_KEY,
  tokenRequestWith,
  tokenWith,
  withKey,
} from "./support";

const DATA = "/data/datasets";
let seq = 0;
const company = () => `verify-${Date.now().toString(36)}-${seq++}`;

/** 401 from a data route: problem+json with a Bearer and Basic challenge. */
async function expectUnauthorized(res: Response): Promise<Record<string, any>> {
  const body = await expectProblem(res, 401);
  const challenge = res.headers.get("WWW-Authenticate") ?? "";
  expect(challenge).toContain('Bearer realm="data-api"');
  expect(challenge).toContain('Basic realm="data-api"');
  return body;
}

async function clientWithDataset(): Promise<TestClient> {
  const c = company();
  const ds = await createDataset({ company_id: c });
  return createClientWith(withKey(), c, [ds.dataset_id]);
}

describe("our access tokens", () => {
  it("accepts a token it issued, and one signed by hand with the same claims (the baseline of the cases below)", async () => {
    const client = await clientWithDataset();
    const issued = await tokenWith(withKey(), client);
    expect((await callWith(withKey(), DATA, bearer(issued))).status).toBe(200);
    const minted = await signOwn(await ownClaims(client));
    const res = await callWith(withKey(), DATA, bearer(minted));
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await res.json<{ data: Array<{ dataset_id: string }> }>();
    expect(body.data.map((d) => d.dataset_id)).toEqual(client.dataset_ids);
  });

  it("refuses a token whose payload was changed after signing", async () => {
    const victim = await clientWithDataset();
    const attacker = await createClientWith(withKey(), victim.company_id, []);
    const token = await tokenWith(withKey(), attacker);
    const [header, payload, signature] = token.split(".");
    const claims = decodePart(payload!);
    // Claim to be the other (granted) client of the same company, keeping the original signature.
    const tampered = `${header}.${b64urlJson({ ...claims, sub: victim.client_id })}.${signature}`;
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(tampered)));
    // Stretching the expiry is just as dead.
    const later = `${header}.${b64urlJson({ ...claims, exp: (claims.exp as number) + 86_400 })}.${signature}`;
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(later)));
    // The untouched token still works.
    expect((await callWith(withKey(), DATA, bearer(token))).status).toBe(200);
  });

  it("refuses a token whose signature was changed", async () => {
    const client = await clientWithDataset();
    const token = await tokenWith(withKey(), client);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const i = 10;
    const flipped = signature.slice(0, i) + (signature[i] === "A" ? "B" : "A") + signature.slice(i + 1);
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(`${header}.${payload}.${flipped}`)));
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(`${header}.${payload}.`)));
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(`${header}.${payload}`)));
  });

  it('refuses `alg: "none"` (unsigned) tokens, also with our kid', async () => {
    const client = await clientWithDataset();
    const { kid } = await toSigningKey(TEST_SIGNING_KEY);
    const claims = await ownClaims(client);
    for (const alg of ["none", "None", "NONE"]) {
      const unsigned = `${b64urlJson({ alg, typ: "JWT", kid })}.${b64urlJson(claims)}.`;
      await expectUnauthorized(await callWith(withKey(), DATA, bearer(unsigned)));
    }
  });

  it("refuses a token signed with another key, with or without our kid", async () => {
    const client = await clientWithDataset();
    const claims = await ownClaims(client);
    // Another deployment's key (its own kid).
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(await signOwn(claims, "some-other-deployment-key-0123456789"))));
    // Another key claiming our kid.
    const { kid } = await toSigningKey(TEST_SIGNING_KEY);
    const input = `${b64urlJson({ alg: "HS256", typ: "JWT", kid })}.${b64urlJson(claims)}`;
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(`${input}.${await hs256(input, "guessed-key")}`)));
    // The same input signed with our key is fine: only the key differs.
    expect((await callWith(withKey(), DATA, bearer(`${input}.${await hs256(input, TEST_SIGNING_KEY)}`))).status).toBe(200);
  });

  it("refuses an RS256 token that claims to be ours (our tokens are HS256 only)", async () => {
    const client = await clientWithDataset();
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const { kid } = await toSigningKey(TEST_SIGNING_KEY);
    const jwk = { ...((await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey), alg: "RS256", kid };
    const token = await sign((await ownClaims(client)) as never, jwk as never);
    expect(decodePart(token.split(".")[0]!).alg).toBe("RS256");
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(token)));
  });

  it("refuses an expired token", async () => {
    const client = await clientWithDataset();
    const t = now();
    const expired = await signOwn(await ownClaims(client, { iat: t - 700, nbf: t - 700, exp: t - 5 }));
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(expired)));
    const valid = await signOwn(await ownClaims(client, { iat: t - 700, nbf: t - 700, exp: t + 60 }));
    expect((await callWith(withKey(), DATA, bearer(valid))).status).toBe(200);
  });

  it("refuses a token that is not valid yet (nbf in the future) or issued in the future", async () => {
    const client = await clientWithDataset();
    const t = now();
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(await signOwn(await ownClaims(client, { nbf: t + 300 })))));
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(await signOwn(await ownClaims(client, { iat: t + 300, nbf: t })))));
  });

  it("refuses a wrong or missing aud or iss, and a token without exp, nbf, iat or cv", async () => {
    const client = await clientWithDataset();
    const cases: Array<Record<string, unknown>> = [
      { aud: "some-other-api" },
      { aud: undefined },
      { iss: "some-other-issuer" },
      { iss: undefined },
      { exp: undefined },
      { nbf: undefined },
      { iat: undefined },
      { cv: undefined },
      { company_id: "some-other-company" },
    ];
    for (const overrides of cases) {
      const token = await signOwn(await ownClaims(client, overrides));
      const res = await callWith(withKey(), DATA, bearer(token));
      expect(res.status, JSON.stringify(overrides)).toBe(401);
    }
  });

  it("refuses malformed Authorization headers with 401 and a challenge", async () => {
    const client = await clientWithDataset();
    const token = await tokenWith(withKey(), client);
    const headers = [
      undefined,
      "Bearer",
      "Bearer ",
      `Bearer ${token} extra`,
      "Bearer not-a-jwt",
      "Bearer a.b.c",
      `Digest ${token}`,
      "Basic !!!not-base64!!!",
      `Basic ${btoa("no-colon")}`,
      `Basic ${btoa(`${"x".repeat(2000)}:${client.client_secret}`)}`,
      `Basic ${btoa(`${client.client_id.toUpperCase()}x:${client.client_secret}`)}`,
    ];
    for (const value of headers) {
      const res = await callWith(withKey(), DATA, value === undefined ? {} : { headers: { Authorization: value } });
      expect(res.status, String(value).slice(0, 40)).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
    }
  });

  it("local development: without JWT_SIGNING_KEY, every isolate uses the one key generated into local KV", async () => {
    // Explicitly unset: a developer's .dev.vars (which the test pool reads too) may set a key.
    const local = { JWT_SIGNING_KEY: undefined, JWT_PREVIOUS_SIGNING_KEY: undefined, LOCAL_DEV_KEYS: "true" };
    const c = company();
    const ds = await createDataset({ company_id: c });
    const client = await createClientWith(local, c, [ds.dataset_id]);
    const token = await tokenWith(local, client);
    // Another app instance (no key in its environment either) verifies it with the key from KV.
    expect((await callWith(local, DATA, bearer(token))).status).toBe(200);
    const stored = await env.CONFIG.get("local/jwt-signing-key");
    expect(stored).toBeTruthy();
    expect(decodePart(token.split(".")[0]!).kid).toBe((await toSigningKey(stored!)).kid);
    // A deployment with a configured key does not accept tokens of the local key.
    expect((await callWith(withKey(), DATA, bearer(token))).status).toBe(401);
  });
});

describe("HTTP Basic credentials on data routes", () => {
  it("accepts the client's id and secret, refuses a wrong secret or unknown id", async () => {
    const client = await clientWithDataset();
    expect((await callWith(withKey(), DATA, { headers: { Authorization: basicAuth(client) } })).status).toBe(200);
    const wrong = { ...client, client_secret: `${client.client_secret.slice(0, -2)}zz` };
    await expectUnauthorized(await callWith(withKey(), DATA, { headers: { Authorization: basicAuth(wrong) } }));
    const unknown = { ...client, client_id: crypto.randomUUID() };
    await expectUnauthorized(await callWith(withKey(), DATA, { headers: { Authorization: basicAuth(unknown) } }));
  });
});

describe("the client behind the credentials", () => {
  it("a disabled client is refused at once, with a token it already has and with Basic; enabling it again restores access", async () => {
    const client = await clientWithDataset();
    const token = await tokenWith(withKey(), client);
    expect((await callWith(withKey(), DATA, bearer(token))).status).toBe(200);

    const disable = await adminWith(withKey(), `/admin/clients/${client.client_id}`, { method: "PATCH", json: { disabled: true } });
    expect(disable.status).toBe(200);
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(token)));
    await expectUnauthorized(await callWith(withKey(), DATA, { headers: { Authorization: basicAuth(client) } }));
    const refused = await tokenRequestWith(withKey(), client);
    expect(refused.status).toBe(401);
    expect((await refused.json<{ error: string }>()).error).toBe("invalid_client");

    await adminWith(withKey(), `/admin/clients/${client.client_id}`, { method: "PATCH", json: { disabled: false } });
    expect((await callWith(withKey(), DATA, bearer(token))).status).toBe(200);
  });

  it("a deleted client is refused at once, with a token it already has, with Basic and at the token endpoint", async () => {
    const client = await clientWithDataset();
    const token = await tokenWith(withKey(), client);
    expect((await callWith(withKey(), DATA, bearer(token))).status).toBe(200);

    expect((await adminWith(withKey(), `/admin/clients/${client.client_id}`, { method: "DELETE" })).status).toBe(204);
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(token)));
    await expectUnauthorized(await callWith(withKey(), DATA, { headers: { Authorization: basicAuth(client) } }));
    expect((await tokenRequestWith(withKey(), client)).status).toBe(401);
  });

  it("after a secret rotation the old secret and the tokens it got are refused, the new secret works", async () => {
    const client = await clientWithDataset();
    const oldToken = await tokenWith(withKey(), client);
    expect((await callWith(withKey(), DATA, bearer(oldToken))).status).toBe(200);

    const rotated = await adminWith(withKey(), `/admin/clients/${client.client_id}/secret`, { method: "POST" });
    expect(rotated.status).toBe(200);
    const fresh = { ...client, client_secret: (await rotated.json<{ data: TestClient[] }>()).data[0]!.client_secret };
    expect(fresh.client_secret).not.toBe(client.client_secret);

    // Within the same second as the rotation: refused all the same.
    await expectUnauthorized(await callWith(withKey(), DATA, bearer(oldToken)));
    await expectUnauthorized(await callWith(withKey(), DATA, { headers: { Authorization: basicAuth(client) } }));
    const oldGrant = await tokenRequestWith(withKey(), client);
    expect(oldGrant.status).toBe(401);
    expect((await oldGrant.json<{ error: string }>()).error).toBe("invalid_client");

    expect((await callWith(withKey(), DATA, { headers: { Authorization: basicAuth(fresh) } })).status).toBe(200);
    const newToken = await tokenWith(withKey(), fresh);
    expect((await callWith(withKey(), DATA, bearer(newToken))).status).toBe(200);
  });
});

describe("signing key rotation", () => {
  it("tokens of the previous key stay valid while it is configured as JWT_PREVIOUS_SIGNING_KEY, and only then", async () => {
    const before = { JWT_SIGNING_KEY: TEST_PREVIOUS_KEY };
    const during = { JWT_SIGNING_KEY: TEST_SIGNING_KEY, JWT_PREVIOUS_SIGNING_KEY: TEST_PREVIOUS_KEY };
    const after = { JWT_SIGNING_KEY: TEST_SIGNING_KEY };
    const client = await clientWithDataset();

    const oldToken = await tokenWith(before, client);
    expect(decodePart(oldToken.split(".")[0]!).kid).toBe((await toSigningKey(TEST_PREVIOUS_KEY)).kid);
    expect((await callWith(before, DATA, bearer(oldToken))).status).toBe(200);

    // Rotating: the old token is still accepted, new tokens are signed with the new key.
    expect((await callWith(during, DATA, bearer(oldToken))).status).toBe(200);
    const newToken = await tokenWith(during, client);
    expect(decodePart(newToken.split(".")[0]!).kid).toBe((await toSigningKey(TEST_SIGNING_KEY)).kid);
    expect((await callWith(during, DATA, bearer(newToken))).status).toBe(200);

    // The previous key removed: its tokens are refused, the new ones are not.
    await expectUnauthorized(await callWith(after, DATA, bearer(oldToken)));
    expect((await callWith(after, DATA, bearer(newToken))).status).toBe(200);
    // And a deployment that never knew the new key does not accept its tokens.
    await expectUnauthorized(await callWith(before, DATA, bearer(newToken)));
  });
});

describe("a deployment without its signing key", () => {
  afterEach(() => vi.restoreAllMocks());
  const production = { JWT_SIGNING_KEY: undefined, JWT_PREVIOUS_SIGNING_KEY: undefined, LOCAL_DEV_KEYS: "false" };

  it("answers 503 on /oauth/token and on Bearer routes, logs why, and never signs or verifies with a fallback key", async () => {
    const client = await clientWithDataset();
    // A token signed with the local development key (which is in this KV): must not be accepted either.
    const local = { JWT_SIGNING_KEY: undefined, JWT_PREVIOUS_SIGNING_KEY: undefined, LOCAL_DEV_KEYS: "true" };
    const localToken = await tokenWith(local, client);
    expect((await callWith(local, DATA, bearer(localToken))).status).toBe(200);

    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const grant = await tokenRequestWith(production, client);
    const body = await expectProblem(grant, 503);
    expect(grant.headers.get("Cache-Control")).toBe("no-store");
    expect(JSON.stringify(body)).not.toMatch(/JWT_SIGNING_KEY|secret/i);
    expect(body).not.toHaveProperty("access_token");

    await expectProblem(await callWith(production, DATA, bearer(localToken)), 503);
    const logged = errors.mock.calls.map((args) => args.join(" ")).join("\n");
    expect(logged).toContain("JWT_SIGNING_KEY is not configured");

    // HTTP Basic involves no signing key and keeps working.
    expect((await callWith(production, DATA, { headers: { Authorization: basicAuth(client) } })).status).toBe(200);
  });
});
