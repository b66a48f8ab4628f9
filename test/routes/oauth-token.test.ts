import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { toSigningKey } from "../../src/auth/tokens";
import { bearer, callWith, decodePart, TEST_SIGNING_KEY, tokenWith, withKey } from "../auth/support";
import { admin, basicAuth, call, createClient, createDataset, type TestClient } from "../helpers";

const COMPANY = `oauth-${Date.now().toString(36)}`;
let client: TestClient;

beforeAll(async () => {
  const ds = await createDataset({ company_id: COMPANY });
  client = await createClient(COMPANY, [ds.dataset_id]);
});

function post(init: { headers?: Record<string, string>; body?: string }): Promise<Response> {
  return call("/oauth/token", { method: "POST", ...init });
}

function json(params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return post({ headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(params) });
}

function form(params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return post({
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params).toString(),
  });
}

const creds = () => ({ grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret });

/** A 200 of the token endpoint: the RFC 6749 §5.1 body, uncacheable, with a token that works. */
async function expectToken(res: Response): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "scope", "token_type"]);
  expect(body.token_type).toBe("Bearer");
  expect(body.expires_in).toBe(Number(env.TOKEN_TTL_SECONDS));
  expect(typeof body.scope).toBe("string");
  const use = await call("/data/datasets", bearer(body.access_token));
  expect(use.status).toBe(200);
  return body.access_token;
}

/** An RFC 6749 §5.2 error: exactly `error` and `error_description`, uncacheable, not problem+json. */
async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe("string");
  expect(text).not.toContain(client.client_secret);
  if (status === 401) expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic /);
}

describe("POST /oauth/token: the three ways to send credentials", () => {
  it("JSON body", async () => {
    await expectToken(await json(creds()));
  });

  it("form body", async () => {
    await expectToken(await form(creds()));
  });

  it("HTTP Basic, with grant_type in a form body", async () => {
    await expectToken(await form({ grant_type: "client_credentials" }, { Authorization: basicAuth(client) }));
  });

  it("HTTP Basic, with grant_type in a JSON body", async () => {
    await expectToken(await json({ grant_type: "client_credentials" }, { Authorization: basicAuth(client) }));
  });

  it("accepts the optional audience when it is ours, refuses another", async () => {
    await expectToken(await json({ ...creds(), audience: env.TOKEN_AUDIENCE }));
    await expectOAuthError(await json({ ...creds(), audience: "https://elsewhere.example" }), 400, "invalid_request");
  });
});

describe("POST /oauth/token: refusals", () => {
  it("wrong secret → 401 invalid_client", async () => {
    await expectOAuthError(await json({ ...creds(), client_secret: `${client.client_secret}x` }), 401, "invalid_client");
    await expectOAuthError(await form({ ...creds(), client_secret: "short" }), 401, "invalid_client");
    const wrongBasic = basicAuth({ client_id: client.client_id, client_secret: "nope" });
    await expectOAuthError(await form({ grant_type: "client_credentials" }, { Authorization: wrongBasic }), 401, "invalid_client");
  });

  it("unknown client → 401 invalid_client, also for ids that are not UUIDs or are very long", async () => {
    await expectOAuthError(await json({ ...creds(), client_id: crypto.randomUUID() }), 401, "invalid_client");
    await expectOAuthError(await json({ ...creds(), client_id: "not-a-uuid" }), 401, "invalid_client");
    await expectOAuthError(await json({ ...creds(), client_id: "x".repeat(5000) }), 401, "invalid_client");
  });

  it("missing fields → 400 invalid_request", async () => {
    const { grant_type: _g, ...noGrant } = creds();
    const { client_id: _i, ...noId } = creds();
    const { client_secret: _s, ...noSecret } = creds();
    await expectOAuthError(await json(noGrant), 400, "invalid_request");
    await expectOAuthError(await json(noId), 400, "invalid_request");
    await expectOAuthError(await json(noSecret), 400, "invalid_request");
    await expectOAuthError(await form({ grant_type: "client_credentials" }), 400, "invalid_request");
    await expectOAuthError(await json({ ...creds(), client_secret: "" }), 400, "invalid_request");
    await expectOAuthError(await json({ ...creds(), client_id: 42 }), 400, "invalid_request");
    await expectOAuthError(await post({}), 400, "invalid_request");
  });

  it("unsupported grant → 400 unsupported_grant_type", async () => {
    await expectOAuthError(await json({ ...creds(), grant_type: "password" }), 400, "unsupported_grant_type");
    await expectOAuthError(await form({ ...creds(), grant_type: "authorization_code" }), 400, "unsupported_grant_type");
  });

  it("wrong content type or a malformed body → 400 invalid_request", async () => {
    const body = new URLSearchParams(creds()).toString();
    await expectOAuthError(await post({ headers: { "Content-Type": "text/plain" }, body }), 400, "invalid_request");
    await expectOAuthError(await post({ headers: { "Content-Type": "multipart/form-data; boundary=x" }, body }), 400, "invalid_request");
    await expectOAuthError(await post({ headers: { "Content-Type": "application/json" }, body: "{not json" }), 400, "invalid_request");
    await expectOAuthError(await post({ headers: { "Content-Type": "application/json" }, body: "[]" }), 400, "invalid_request");
  });

  it("credentials both in the Authorization header and in the body → 400 invalid_request", async () => {
    await expectOAuthError(await form(creds(), { Authorization: basicAuth(client) }), 400, "invalid_request");
    await expectOAuthError(
      await json({ ...creds(), client_secret: undefined }, { Authorization: basicAuth(client) }),
      400,
      "invalid_request",
    );
  });

  it("an Authorization header that is not Basic client credentials → 401 invalid_client", async () => {
    await expectOAuthError(await form({ grant_type: "client_credentials" }, { Authorization: "Bearer abc" }), 401, "invalid_client");
    await expectOAuthError(await form({ grant_type: "client_credentials" }, { Authorization: "Basic !!!" }), 401, "invalid_client");
  });

  it("a disabled client → 401 invalid_client, and a token again once enabled", async () => {
    const other = await createClient(COMPANY, []);
    const otherCreds = { grant_type: "client_credentials", client_id: other.client_id, client_secret: other.client_secret };
    await admin(`/admin/clients/${other.client_id}`, { method: "PATCH", json: { disabled: true } });
    await expectOAuthError(await json(otherCreds), 401, "invalid_client");
    await admin(`/admin/clients/${other.client_id}`, { method: "PATCH", json: { disabled: false } });
    expect((await json(otherCreds)).status).toBe(200);
  });

  it("a body over the size limit → 400 invalid_request, not a 500", async () => {
    await expectOAuthError(await json({ ...creds(), padding: "x".repeat(64 * 1024) }), 400, "invalid_request");
  });
});

describe("POST /oauth/token: the access token", () => {
  it("is an HS256 JWT with kid, sub, company_id, iat, nbf, exp, jti, iss, aud", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await tokenWith(withKey(), client);
    const after = Math.floor(Date.now() / 1000);
    const [h, p] = token.split(".") as [string, string];
    const header = decodePart(h);
    expect(header).toEqual({ alg: "HS256", typ: "JWT", kid: (await toSigningKey(TEST_SIGNING_KEY)).kid });
    const claims = decodePart(p);
    expect(claims.sub).toBe(client.client_id);
    expect(claims.company_id).toBe(COMPANY);
    expect(claims.iss).toBe(env.TOKEN_ISSUER);
    expect(claims.aud).toBe(env.TOKEN_AUDIENCE);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(after);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe((claims.iat as number) + Number(env.TOKEN_TTL_SECONDS));
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    // Nothing of the secret in the token.
    expect(token).not.toContain(client.client_secret);
    expect(JSON.stringify(claims)).not.toContain("hmac-sha256");
    // Every token is distinct.
    const again = await tokenWith(withKey(), client);
    expect(decodePart(again.split(".")[1]!).jti).not.toBe(claims.jti);
  });

  it("honours TOKEN_TTL_SECONDS, TOKEN_ISSUER and TOKEN_AUDIENCE", async () => {
    const config = { ...withKey(), TOKEN_TTL_SECONDS: "120", TOKEN_ISSUER: "issuer-x", TOKEN_AUDIENCE: "audience-y" };
    const res = await callWith(config, "/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(creds()),
    });
    expect(res.status).toBe(200);
    const body = await res.json<{ access_token: string; expires_in: number }>();
    expect(body.expires_in).toBe(120);
    const claims = decodePart(body.access_token.split(".")[1]!);
    expect([claims.iss, claims.aud, (claims.exp as number) - (claims.iat as number)]).toEqual(["issuer-x", "audience-y", 120]);
    expect((await callWith(config, "/data/datasets", bearer(body.access_token))).status).toBe(200);
    // The same token under the default issuer/audience is not ours.
    expect((await callWith(withKey(), "/data/datasets", bearer(body.access_token))).status).toBe(401);
  });
});

describe("Cache-Control: no-store on every answer of /oauth/token", () => {
  it("also on a 404 for another method and on a 503", async () => {
    const get = await call("/oauth/token");
    expect(get.headers.get("Cache-Control")).toBe("no-store");
    const unavailable = await callWith({ JWT_SIGNING_KEY: undefined, LOCAL_DEV_KEYS: "false" }, "/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(creds()),
    });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("Cache-Control")).toBe("no-store");
  });
});
