// Seeds (or finds again) the demo company, dataset and client of a local API.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const DEMO_COMPANY = "demo-company";

/** The original Data API page's example schema (its trailing comma removed). */
export const EXAMPLE_SCHEMA = {
  $schema: "http://json-schema.org/draft-06/schema#",
  examples: [{ date: "2023-05-04", "well-name": "ExampleWell 10 #1", flow_bbl_d: 7.5 }],
  properties: {
    date: { type: "string" },
    "well-name": { type: "string" },
    flow_bbl_d: { type: "number" },
  },
  required: ["date", "well-name", "flow_bbl_d"],
};

async function adminCall(baseUrl, adminToken, method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Returns the demo credentials, creating them on first run. They are kept in a local state file
 * (under .wrangler/, git-ignored, beside the local KV/R2 state), so re-running keeps the same ones.
 */
export async function ensureDemo(baseUrl, adminToken, statePath = ".wrangler/demo.json") {
  if (existsSync(statePath)) {
    const saved = JSON.parse(readFileSync(statePath, "utf8"));
    const ds = await adminCall(baseUrl, adminToken, "GET", `/admin/datasets/${saved.dataset_id}`);
    const client = await adminCall(baseUrl, adminToken, "GET", `/admin/clients/${saved.client_id}`);
    if (ds.status === 200 && client.status === 200) return saved;
  }
  const ds = await adminCall(baseUrl, adminToken, "POST", "/admin/datasets", {
    company_id: DEMO_COMPANY,
    name: "Well production (demo)",
    format: "csv",
    schema: EXAMPLE_SCHEMA,
  });
  if (ds.status !== 201) throw new Error(`could not create the demo dataset: ${ds.status} ${JSON.stringify(ds.body)}`);
  const dataset_id = ds.body.data[0].dataset_id;
  const client = await adminCall(baseUrl, adminToken, "POST", "/admin/clients", {
    company_id: DEMO_COMPANY,
    name: "Demo client",
    dataset_ids: [dataset_id],
  });
  if (client.status !== 201) throw new Error(`could not create the demo client: ${client.status} ${JSON.stringify(client.body)}`);
  const demo = {
    company_id: DEMO_COMPANY,
    dataset_id,
    client_id: client.body.data[0].client_id,
    client_secret: client.body.data[0].client_secret,
  };
  mkdirSync(dirname(statePath), { recursive: true });
  writeFileSync(statePath, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return demo;
}
