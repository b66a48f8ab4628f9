/**
 * Tenant isolation: with company A's credentials nothing of company B is visible or writable, on
 * every data route (the table in ./tenant-routes.ts), with a token and with HTTP Basic.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { newApp } from "../../src/app";
import { hashSecret } from "../../src/auth/secrets";
import { basicAuth, call, createClient, createDataset, expectProblem, getToken, type TestClient } from "../helpers";
import { DATA_ROUTES, type DataRoute, type Party, type RouteRequest } from "./tenant-routes";

/** Every data route the app registers, as "METHOD /path" (middleware excluded). */
const REGISTERED = new Set(
  newApp()
    .routes.filter((r) => r.path.startsWith("/data/") && r.method !== "ALL")
    .map((r) => `${r.method} ${r.path}`),
);

describe("the isolation matrix covers every data route", () => {
  it("names each route the app registers under /data/ (add new ones to test/routes/tenant-routes.ts)", () => {
    expect(REGISTERED.size).toBeGreaterThanOrEqual(2);
    const missing = [...REGISTERED].filter((r) => !DATA_ROUTES.some((d) => d.route === r));
    expect(missing).toEqual([]);
  });
});

interface Company {
  company_id: string;
  dataset_id: string;
  granted: TestClient;
  /** Same company, granted nothing. */
  ungranted: TestClient;
}

const stamp = Date.now().toString(36);
let A: Company;
let B: Company;

async function company(name: string): Promise<Company> {
  const company_id = `tenant-${name}-${stamp}`;
  const ds = await createDataset({ company_id, name: `${name}-wells` });
  return {
    company_id,
    dataset_id: ds.dataset_id,
    granted: await createClient(company_id, [ds.dataset_id], `${name}-granted`),
    ungranted: await createClient(company_id, [], `${name}-ungranted`),
  };
}

beforeAll(async () => {
  A = await company("a");
  B = await company("b");
});

const AUTH_STYLES = {
  bearer: async (client: TestClient) => `Bearer ${await getToken(client)}`,
  basic: async (client: TestClient) => basicAuth(client),
} as const;

function send(request: RouteRequest, auth: string, query: Record<string, string> = {}): Promise<Response> {
  const url = new URL(request.path, "http://x");
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const headers = { ...request.init?.headers, Authorization: auth };
  return call(`${url.pathname}${url.search}`, { ...request.init, headers });
}

/** A problem body with transaction id and every UUID blanked: what is left must not tell two 404s apart. */
function shape(body: Record<string, unknown>): unknown {
  const { transaction_id: _t, ...rest } = body;
  return JSON.parse(JSON.stringify(rest).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>"));
}

function expectNothingOf(text: string, other: Company): void {
  expect(text).not.toContain(other.company_id);
  expect(text).not.toContain(other.dataset_id);
  expect(text).not.toContain(other.granted.client_id);
  expect(text).not.toContain(other.ungranted.client_id);
}

for (const [style, authFor] of Object.entries(AUTH_STYLES)) {
  describe(`tenant isolation (${style})`, () => {
    const party = async (c: Company, client = c.granted): Promise<Party> => ({
      company_id: c.company_id,
      dataset_id: c.dataset_id,
      client,
      auth: await authFor(client),
    });

    for (const route of DATA_ROUTES) {
      describe.skipIf(!REGISTERED.has(route.route))(route.route, () => {
        if (route.kind === "list") defineListCases(route, party);
        else defineTargetCases(route, party);
      });
    }
  });
}

type PartyOf = (c: Company, client?: TestClient) => Promise<Party>;

function defineListCases(route: DataRoute, party: PartyOf): void {
  it("shows a client only its own company's granted things, nothing of the other company", async () => {
    for (const [self, other] of [
      [A, B],
      [B, A],
    ] as const) {
      const me = await party(self);
      const res = await send(await route.target(me), me.auth);
      const text = await res.text();
      expect(res.status, text).toBe(route.ok);
      expect(text).toContain(self.dataset_id);
      expectNothingOf(text, other);
    }
  });

  it("shows a client without grants nothing, and still answers", async () => {
    const me = await party(A, A.ungranted);
    const res = await send(await route.target(me), me.auth);
    const text = await res.text();
    expect(res.status, text).toBe(route.ok);
    expect(text).not.toContain(A.dataset_id);
    expectNothingOf(text, B);
  });

  it("refuses client_id / company_id query parameters that disagree with the credentials (403)", async () => {
    await expectQueryMismatch(route, await party(A));
  });
}

function defineTargetCases(route: DataRoute, party: PartyOf): void {
  it("the owner and granted clients reach their own", async () => {
    for (const c of [A, B]) {
      const owner = await party(c);
      const res = await send(await route.target(owner), owner.auth);
      expect(res.status, await res.clone().text()).toBe(route.ok);
    }
  });

  it("another company's is 404, answered exactly like an id that does not exist", async () => {
    const attacker = await party(A);
    const victimsThing = await route.target(await party(B));
    const foreign = await send(victimsThing, attacker.auth);
    const foreignBody = await expectProblem(foreign, 404);
    const unknown = await send(route.unknown!(), attacker.auth);
    const unknownBody = await expectProblem(unknown, 404);
    expect(shape(foreignBody)).toEqual(shape(unknownBody));
    expect(JSON.stringify(foreignBody)).not.toContain(B.company_id);
    // Also for A's client without grants, and with the other company named in the query.
    const ungranted = await party(A, A.ungranted);
    expect((await send(victimsThing, ungranted.auth)).status).toBe(404);
    const named = await send(victimsThing, attacker.auth, { company_id: B.company_id });
    expect([403, 404]).toContain(named.status);
    expectNothingOf(JSON.stringify(shape(await named.json())), B);
  });

  it(`a client of the same company without the grant gets ${route.ungranted ?? 403}`, async () => {
    const thing = await route.target(await party(A));
    const ungranted = await party(A, A.ungranted);
    const res = await send(thing, ungranted.auth);
    if ((route.ungranted ?? 403) === 403) await expectProblem(res, 403);
    else expect(res.status, await res.clone().text()).toBe(route.ungranted);
  });

  it("refuses client_id / company_id query parameters that disagree with the credentials (403)", async () => {
    await expectQueryMismatch(route, await party(A));
  });
}

async function expectQueryMismatch(route: DataRoute, me: Party): Promise<void> {
  const request = await route.target(me);
  const mismatches: Array<Record<string, string>> = [
    { client_id: B.granted.client_id },
    { client_id: A.ungranted.client_id },
    { client_id: "not-a-client" },
    { company_id: B.company_id },
  ];
  for (const query of mismatches) {
    const body = await expectProblem(await send(request, me.auth, query), 403);
    expect(body.field).toBe(Object.keys(query)[0]);
  }
  // Parameters that agree are fine.
  const agreeing = await send(await route.target(me), me.auth, { client_id: me.client.client_id, company_id: me.company_id });
  expect(agreeing.status, await agreeing.clone().text()).toBe(route.ok);
}

describe("a grant of another company's dataset, should one ever be stored", () => {
  it("shows nothing of it: the admin API refuses such grants, and the data routes check the company again", async () => {
    // Written straight into KV, as a corrupted or hand-edited record would be.
    const secret = "a-secret-for-a-hand-written-client-record";
    const client_id = crypto.randomUUID();
    const record = {
      client_id,
      company_id: A.company_id,
      name: "hand-written",
      dataset_ids: [A.dataset_id, B.dataset_id],
      disabled: false,
      secret_hash: await hashSecret(secret),
      secret_rotated_at: 0,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    };
    await env.CONFIG.put(`client/${client_id}`, JSON.stringify(record));
    const auth = basicAuth({ client_id, client_secret: secret });

    const list = await call("/data/datasets", { headers: { Authorization: auth } });
    const text = await list.text();
    expect(list.status, text).toBe(200);
    expect(text).toContain(A.dataset_id);
    expectNothingOf(text, B);
    await expectProblem(await call(`/data/datasets/${B.dataset_id}/schema`, { headers: { Authorization: auth } }), 404);
  });
});

describe("nothing was written into the other company's storage", () => {
  it("every object under company B's dataset was written by a client of company B", async () => {
    const aClients = new Set([A.granted.client_id, A.ungranted.client_id]);
    for (const prefix of [`datasets/${B.dataset_id}/`, `quarantine/${B.dataset_id}/`, `uploads/${B.dataset_id}/`]) {
      let cursor: string | undefined;
      do {
        const page = await env.DATA.list({ prefix, cursor, include: ["customMetadata"] });
        for (const object of page.objects) {
          expect(aClients.has(object.customMetadata?.client_id ?? ""), object.key).toBe(false);
          expect(object.customMetadata?.company_id ?? B.company_id, object.key).toBe(B.company_id);
        }
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
    }
  });
});
