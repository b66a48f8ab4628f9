import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("GET /health", () => {
  it("answers without authentication and carries X-Request-Id", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers unknown routes with a problem+json 404", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    const body = await res.json<Record<string, unknown>>();
    expect(body.transaction_id).toBe(res.headers.get("X-Request-Id"));
  });
});
