import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admin, basicAuth, call, createDataset, expectProblem } from "../helpers";

let seq = 0;
const company = () => `clients-${Date.now().toString(36)}-${seq++}`;

interface ClientBody {
  client_id: string;
  client_secret?: string;
  company_id: string;
  name: string;
  dataset_ids: string[];
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

async function create(json: unknown): Promise<Response> {
  return admin("/admin/clients", { method: "POST", json });
}

async function created(json: {
  company_id: string;
  name: string;
  dataset_ids?: string[];
}): Promise<ClientBody & { client_secret: string }> {
  const res = await create(json);
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await res.json<{ meta: { type: string }; data: Array<ClientBody & { client_secret: string }> }>();
  expect(body.meta.type).toBe("Client");
  return body.data[0]!;
}

async function getClient(id: string): Promise<Response> {
  return admin(`/admin/clients/${id}`);
}

/** No representation of a client the admin API returns after creation carries its secret or hash. */
function expectNoSecret(value: unknown, secret: string): void {
  const text = JSON.stringify(value);
  expect(text).not.toContain(secret);
  expect(text).not.toContain("secret_hash");
  expect(text).not.toContain("hmac-sha256");
  expect(text).not.toContain("client_secret");
}

describe("admin clients", () => {
  it("creates a client: 201 with a high-entropy secret shown once; GET never shows it", async () => {
    const c = company();
    const ds = await createDataset({ company_id: c });
    const client = await created({ company_id: c, name: "ingest", dataset_ids: [ds.dataset_id] });
    expect(client.client_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(client).toMatchObject({ company_id: c, name: "ingest", dataset_ids: [ds.dataset_id], disabled: false });
    // 32 random bytes, base64url: 43 characters of the URL-safe alphabet.
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(client).not.toHaveProperty("secret_hash");

    const res = await getClient(client.client_id);
    expect(res.status).toBe(200);
    const body = await res.json<{ data: ClientBody[] }>();
    expect(body.data[0]).toMatchObject({
      client_id: client.client_id,
      company_id: c,
      name: "ingest",
      dataset_ids: [ds.dataset_id],
      disabled: false,
    });
    expectNoSecret(body, client.client_secret);

    // Two clients never share a secret.
    const second = await created({ company_id: c, name: "second" });
    expect(second.client_secret).not.toBe(client.client_secret);
  });

  it("validates the body: company_id, name, dataset_ids", async () => {
    const c = company();
    for (const body of [
      { name: "x", dataset_ids: [] },
      { company_id: "has space", name: "x", dataset_ids: [] },
      { company_id: c, dataset_ids: [] },
      { company_id: c, name: "x", dataset_ids: "not-an-array" },
      { company_id: c, name: "x", dataset_ids: [42] },
    ]) {
      await expectProblem(await create(body), 400);
    }
    await expectProblem(await admin("/admin/clients", { method: "POST", body: "{}", headers: { "Content-Type": "text/plain" } }), 415);
  });

  it("refuses grants naming another company's dataset, or one that does not exist (400)", async () => {
    const a = company();
    const b = company();
    const dsA = await createDataset({ company_id: a });
    const dsB = await createDataset({ company_id: b });
    const foreign = await expectProblem(await create({ company_id: a, name: "x", dataset_ids: [dsA.dataset_id, dsB.dataset_id] }), 400);
    expect(foreign.invalid).toEqual([dsB.dataset_id]);
    const unknown = crypto.randomUUID();
    await expectProblem(await create({ company_id: a, name: "x", dataset_ids: [unknown] }), 400);
    await expectProblem(await create({ company_id: a, name: "x", dataset_ids: ["not-a-uuid"] }), 400);

    // The same through PATCH, and the grants stay as they were.
    const client = await created({ company_id: a, name: "x", dataset_ids: [dsA.dataset_id] });
    await expectProblem(
      await admin(`/admin/clients/${client.client_id}`, { method: "PATCH", json: { dataset_ids: [dsB.dataset_id] } }),
      400,
    );
    const after = await (await getClient(client.client_id)).json<{ data: ClientBody[] }>();
    expect(after.data[0]!.dataset_ids).toEqual([dsA.dataset_id]);
  });

  it("lists the clients of one company, without secrets", async () => {
    const a = company();
    const b = company();
    const one = await created({ company_id: a, name: "one" });
    const two = await created({ company_id: a, name: "two" });
    const other = await created({ company_id: b, name: "other" });
    const res = await admin(`/admin/clients?company_id=${a}`);
    expect(res.status).toBe(200);
    const body = await res.json<{ data: ClientBody[] }>();
    expect(body.data.map((c) => c.client_id).sort()).toEqual([one.client_id, two.client_id].sort());
    expectNoSecret(body, one.client_secret);
    expectNoSecret(body, two.client_secret);
    expect(JSON.stringify(body)).not.toContain(other.client_id);
    await expectProblem(await admin("/admin/clients"), 400);
  });

  it("PATCH changes grants and disabled, and the change is what data routes see", async () => {
    const c = company();
    const ds1 = await createDataset({ company_id: c });
    const ds2 = await createDataset({ company_id: c, name: "second" });
    const client = await created({ company_id: c, name: "x", dataset_ids: [ds1.dataset_id] });
    const auth = { headers: { Authorization: basicAuth(client) } };
    const listed = async () =>
      (await (await call("/data/datasets", auth)).json<{ data: Array<{ dataset_id: string }> }>()).data.map((d) => d.dataset_id);
    expect(await listed()).toEqual([ds1.dataset_id]);

    const patched = await admin(`/admin/clients/${client.client_id}`, { method: "PATCH", json: { dataset_ids: [ds2.dataset_id] } });
    expect(patched.status).toBe(200);
    const patchedBody = await patched.json<{ data: ClientBody[] }>();
    expect(patchedBody.data[0]!.dataset_ids).toEqual([ds2.dataset_id]);
    expectNoSecret(patchedBody, client.client_secret);
    expect(await listed()).toEqual([ds2.dataset_id]);
    expect((await call(`/data/datasets/${ds1.dataset_id}/schema`, auth)).status).toBe(403);
    expect((await call(`/data/datasets/${ds2.dataset_id}/schema`, auth)).status).toBe(200);

    const disabled = await admin(`/admin/clients/${client.client_id}`, { method: "PATCH", json: { disabled: true } });
    expect((await disabled.json<{ data: ClientBody[] }>()).data[0]!.disabled).toBe(true);
    expect((await getClient(client.client_id)).status).toBe(200);
    expect((await call("/data/datasets", auth)).status).toBe(401);

    // Only dataset_ids and disabled can change; a bad value changes nothing.
    await expectProblem(await admin(`/admin/clients/${client.client_id}`, { method: "PATCH", json: { company_id: "elsewhere" } }), 400);
    await expectProblem(await admin(`/admin/clients/${client.client_id}`, { method: "PATCH", json: { disabled: "no" } }), 400);
    const still = await (await getClient(client.client_id)).json<{ data: ClientBody[] }>();
    expect(still.data[0]).toMatchObject({ company_id: c, disabled: true, dataset_ids: [ds2.dataset_id] });
  });

  it("DELETE answers 204, then the client is gone (404) and its credentials are refused", async () => {
    const client = await created({ company_id: company(), name: "x" });
    const res = await admin(`/admin/clients/${client.client_id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    await expectProblem(await getClient(client.client_id), 404);
    await expectProblem(await admin(`/admin/clients/${client.client_id}`, { method: "DELETE" }), 404);
    await expectProblem(await admin(`/admin/clients/${client.client_id}/secret`, { method: "POST" }), 404);
    expect((await call("/data/datasets", { headers: { Authorization: basicAuth(client) } })).status).toBe(401);
    const list = await (await admin(`/admin/clients?company_id=${client.company_id}`)).json<{ data: ClientBody[] }>();
    expect(list.data).toEqual([]);
  });

  it("404 for an unknown or malformed client id", async () => {
    await expectProblem(await getClient(crypto.randomUUID()), 404);
    await expectProblem(await getClient("not-a-uuid"), 404);
    await expectProblem(await admin(`/admin/clients/${crypto.randomUUID()}`, { method: "PATCH", json: { disabled: true } }), 404);
  });

  it("rotating the secret returns a new one once; only the new one works", async () => {
    const client = await created({ company_id: company(), name: "x" });
    const res = await admin(`/admin/clients/${client.client_id}/secret`, { method: "POST" });
    expect(res.status).toBe(200);
    const rotated = (await res.json<{ data: Array<ClientBody & { client_secret: string }> }>()).data[0]!;
    expect(rotated.client_id).toBe(client.client_id);
    expect(rotated.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.client_secret).not.toBe(client.client_secret);
    expect((await call("/data/datasets", { headers: { Authorization: basicAuth(client) } })).status).toBe(401);
    expect((await call("/data/datasets", { headers: { Authorization: basicAuth(rotated) } })).status).toBe(200);
    expectNoSecret(await (await getClient(client.client_id)).json(), rotated.client_secret);
  });

  it("requires the admin token", async () => {
    const res = await call("/admin/clients", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    await expectProblem(res, 401);
    const client = await created({ company_id: company(), name: "x" });
    // A client's own credentials are no admin credentials.
    await expectProblem(await call(`/admin/clients/${client.client_id}`, { headers: { Authorization: basicAuth(client) } }), 401);
  });
});

describe("KV holds no client secret", () => {
  it("a raw read of every key and value finds none of the secrets ever issued, only salted hashes", async () => {
    const c = company();
    const ds = await createDataset({ company_id: c });
    const secrets: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await created({ company_id: c, name: `raw-${i}`, dataset_ids: [ds.dataset_id] });
      secrets.push(client.client_secret);
      ids.push(client.client_id);
    }
    const rotated = await admin(`/admin/clients/${ids[0]}/secret`, { method: "POST" });
    secrets.push((await rotated.json<{ data: Array<{ client_secret: string }> }>()).data[0]!.client_secret);
    // Use the credentials too, so that anything a request might cache in KV is there.
    for (const [i, id] of ids.entries()) {
      const secret = i === 0 ? secrets[3]! : secrets[i]!;
      expect(
        (await call("/data/datasets", { headers: { Authorization: basicAuth({ client_id: id, client_secret: secret }) } })).status,
      ).toBe(200);
      const token = await call("/oauth/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ grant_type: "client_credentials", client_id: id, client_secret: secret }),
      });
      expect(token.status).toBe(200);
    }

    const entries: Array<[string, string]> = [];
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<unknown, string> = await env.CONFIG.list({ cursor });
      for (const key of page.keys) entries.push([key.name, (await env.CONFIG.get(key.name, "text")) ?? ""]);
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);

    // The scan did see the clients (so finding no secret means something).
    for (const id of ids) expect(entries.some(([k]) => k === `client/${id}`)).toBe(true);
    for (const secret of secrets) {
      for (const [key, value] of entries) {
        expect(key).not.toContain(secret);
        expect(value, key).not.toContain(secret);
      }
    }
    for (const id of ids) {
      const record = JSON.parse(entries.find(([k]) => k === `client/${id}`)![1]);
      expect(record.secret_hash).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(Object.keys(record)).not.toContain("client_secret");
    }
  });
});
