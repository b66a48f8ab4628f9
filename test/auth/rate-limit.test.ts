/**
 * Per-client rate limiting with the Workers Rate Limiting binding (Miniflare's local implementation).
 * The deployment's CLIENT_RATE_LIMITER is swapped for TEST_RATE_LIMITER (vitest.config.ts: 3 requests
 * per 60 s), so a handful of requests reaches the limit.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Bindings } from "../../src/env";
import { basicAuth, createDataset, expectProblem, type TestClient } from "../helpers";
import { bearer, callWith, createClientWith, tokenWith, withKey } from "./support";

const TEST_LIMIT = 3;
const PERIOD_MS = 60_000;
const limited = (): Partial<Bindings> => ({
  ...withKey(),
  CLIENT_RATE_LIMITER: (env as unknown as { TEST_RATE_LIMITER: RateLimit }).TEST_RATE_LIMITER,
});
let seq = 0;

async function clients(n: number): Promise<TestClient[]> {
  const company = `ratelimit-${Date.now().toString(36)}-${seq++}`;
  const ds = await createDataset({ company_id: company });
  const out: TestClient[] = [];
  for (let i = 0; i < n; i++) out.push(await createClientWith(withKey(), company, [ds.dataset_id]));
  return out;
}

/**
 * Runs `scenario` inside one window of the limiter. Miniflare's windows are aligned to the wall clock,
 * so a scenario that straddles a boundary sees its counts reset; then it runs again with fresh clients.
 */
async function withinOneWindow(scenario: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const start = Math.floor(Date.now() / PERIOD_MS);
    try {
      await scenario();
      return;
    } catch (e) {
      if (attempt >= 2 || Math.floor(Date.now() / PERIOD_MS) === start) throw e;
    }
  }
}

describe("per-client rate limit", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers 429 problem+json with Retry-After once a client is over the limit, for tokens and Basic alike", async () => {
    await withinOneWindow(async () => {
      const [client] = await clients(1);
      const token = await tokenWith(withKey(), client!);
      for (let i = 0; i < TEST_LIMIT; i++) {
        const auth = i % 2 ? bearer(token) : { headers: { Authorization: basicAuth(client!) } };
        expect((await callWith(limited(), "/data/datasets", auth)).status, `request ${i + 1}`).toBe(200);
      }
      for (const auth of [bearer(token), { headers: { Authorization: basicAuth(client!) } }]) {
        const res = await callWith(limited(), "/data/datasets", auth);
        const body = await expectProblem(res, 429);
        expect(res.headers.get("Retry-After")).toBe(env.RATE_LIMIT_PERIOD_SECONDS);
        expect(body.retry_after).toBe(Number(env.RATE_LIMIT_PERIOD_SECONDS));
        expect(body.type).toBe("urn:data-api:problem:rate_limited");
      }
    });
  });

  it("counts per client: another client (also of the same company) is unaffected", async () => {
    await withinOneWindow(async () => {
      const [noisy, quiet] = await clients(2);
      for (let i = 0; i < TEST_LIMIT; i++) await callWith(limited(), "/data/datasets", { headers: { Authorization: basicAuth(noisy!) } });
      expect((await callWith(limited(), "/data/datasets", { headers: { Authorization: basicAuth(noisy!) } })).status).toBe(429);
      for (let i = 0; i < TEST_LIMIT; i++) {
        expect((await callWith(limited(), "/data/datasets", { headers: { Authorization: basicAuth(quiet!) } })).status).toBe(200);
      }
    });
  });

  it("does not count refused credentials against the client, and never limits before authenticating", async () => {
    await withinOneWindow(async () => {
      const [client] = await clients(1);
      const wrong = { ...client!, client_secret: "wrong" };
      for (let i = 0; i < TEST_LIMIT + 2; i++) {
        expect((await callWith(limited(), "/data/datasets", { headers: { Authorization: basicAuth(wrong) } })).status).toBe(401);
      }
      expect((await callWith(limited(), "/data/datasets", { headers: { Authorization: basicAuth(client!) } })).status).toBe(200);
    });
  });

  it("is off when the binding is absent", async () => {
    const [client] = await clients(1);
    const unlimited = { ...withKey(), CLIENT_RATE_LIMITER: undefined };
    for (let i = 0; i < TEST_LIMIT * 3; i++) {
      expect((await callWith(unlimited, "/data/datasets", { headers: { Authorization: basicAuth(client!) } })).status).toBe(200);
    }
  });

  it("lets requests through (and logs) when the limiter itself fails", async () => {
    const [client] = await clients(1);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const failing: RateLimit = { limit: () => Promise.reject(new Error("limiter down")) };
    const res = await callWith({ ...withKey(), CLIENT_RATE_LIMITER: failing }, "/data/datasets", {
      headers: { Authorization: basicAuth(client!) },
    });
    expect(res.status).toBe(200);
    expect(errors.mock.calls.map((c) => c.join(" ")).join("\n")).toContain("rate limiter failed");
  });

  it("the deployment's binding from wrangler.toml is in place, keyed by client", async () => {
    // The real binding exists in this environment (so production config is exercised by every other test)…
    expect(typeof env.CLIENT_RATE_LIMITER?.limit).toBe("function");
    // …and the middleware keys it by client_id.
    const [client] = await clients(1);
    const keys: string[] = [];
    const spy: RateLimit = {
      limit: async ({ key }) => {
        keys.push(key);
        return { success: true };
      },
    };
    await callWith({ ...withKey(), CLIENT_RATE_LIMITER: spy }, "/data/datasets", { headers: { Authorization: basicAuth(client!) } });
    expect(keys).toEqual([`client:${client!.client_id}`]);
  });
});
