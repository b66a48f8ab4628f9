import { describe, expect, it } from "vitest";
import { admin, basicAuth, call, createClient, createDataset, getToken } from "../helpers";

describe("client credentials smoke", () => {
  it("creates a client, gets a token and lists granted datasets both ways", async () => {
    const ds = await createDataset({ company_id: "smoke" });
    const client = await createClient("smoke", [ds.dataset_id]);
    expect(client.client_secret.length).toBeGreaterThan(30);
    const token = await getToken(client);
    for (const auth of [`Bearer ${token}`, basicAuth(client)]) {
      const res = await call("/data/datasets", { headers: { Authorization: auth } });
      expect(res.status).toBe(200);
      const body = await res.json<{ data: Array<{ dataset_id: string }> }>();
      expect(body.data.map((d) => d.dataset_id)).toEqual([ds.dataset_id]);
    }
    const patched = await admin(`/admin/clients/${client.client_id}`, { method: "PATCH", json: { disabled: true } });
    expect(patched.status).toBe(200);
    const refused = await call("/data/datasets", { headers: { Authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toContain("Bearer");
  });
});
