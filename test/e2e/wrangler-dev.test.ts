import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script shared with `npm run dev`, no type declarations.
import { startWranglerDev } from "../../scripts/wrangler-dev.mjs";
import { freePort } from "./free-port";
import { freshTree } from "./fresh-tree";

const ADMIN_TOKEN = "e2e-admin-token";
const SCHEMA = {
  $schema: "http://json-schema.org/draft-06/schema#",
  examples: [{ date: "2023-05-04", "well-name": "ExampleWell 10 #1", flow_bbl_d: 7.5 }],
  properties: { date: { type: "string" }, "well-name": { type: "string" }, flow_bbl_d: { type: "number" } },
  required: ["date", "well-name", "flow_bbl_d"],
};

describe("wrangler dev as a real process", () => {
  let dev: { ready: Promise<void>; stop: () => Promise<void>; baseUrl: string; output: () => string };
  const tree = freshTree();

  beforeAll(async () => {
    // Exactly the README's minimal local run on a fresh clone: only ADMIN_TOKEN, no other secret.
    dev = startWranglerDev({ cwd: tree.dir, port: await freePort(), args: ["--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`] });
    await dev.ready;
  });

  afterAll(async () => {
    await dev?.stop();
    tree.remove();
  });

  it("serves /health and registers a dataset over HTTP", async () => {
    const health = await fetch(`${dev.baseUrl}/health`);
    expect(health.status).toBe(200);

    const created = await fetch(`${dev.baseUrl}/admin/datasets`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ company_id: "e2e", name: "wells", format: "json", schema: SCHEMA }),
    });
    expect(created.status).toBe(201);
    const dataset = ((await created.json()) as any).data[0];
    expect(dataset).toMatchObject({ company_id: "e2e", schema_version: 1 });

    const read = await fetch(`${dev.baseUrl}/admin/datasets/${dataset.dataset_id}/schema`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as any).data[0].schema).toEqual(SCHEMA);

    const refused = await fetch(`${dev.baseUrl}/admin/datasets`, { headers: { Authorization: "Bearer wrong" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("Content-Type")).toBe("application/problem+json");
  });

  it("issues a token with no signing key configured (local key generated and kept)", async () => {
    const headers = { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" };
    const ds = (
      (await (
        await fetch(`${dev.baseUrl}/admin/datasets`, {
          method: "POST",
          headers,
          body: JSON.stringify({ company_id: "e2e", name: "w2", format: "json", schema: SCHEMA }),
        })
      ).json()) as any
    ).data[0];
    const client = (
      (await (
        await fetch(`${dev.baseUrl}/admin/clients`, {
          method: "POST",
          headers,
          body: JSON.stringify({ company_id: "e2e", name: "c", dataset_ids: [ds.dataset_id] }),
        })
      ).json()) as any
    ).data[0];
    const token = await fetch(`${dev.baseUrl}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const push = await fetch(`${dev.baseUrl}/data/json?dataset_id=${ds.dataset_id}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json" },
      body: JSON.stringify(SCHEMA.examples[0]),
    });
    expect(push.status).toBe(202);
  });
});
