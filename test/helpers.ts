import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
const BASE = "http://data-api.test";

/** Calls the whole Worker (its real `fetch` export) inside workerd. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export function admin(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("Authorization")) headers.set("Authorization", `Bearer ${ADMIN_TOKEN}`);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  return call(path, { ...init, headers, body });
}

/** The original Data API page's example schema, with its trailing comma removed. */
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

export const EXAMPLE_RECORD = { date: "2023-05-04", "well-name": "ExampleWell 10 #1", flow_bbl_d: 7.5 };

export async function createDataset(
  overrides: { company_id?: string; name?: string; format?: string; schema?: unknown } = {},
): Promise<{ dataset_id: string; company_id: string; schema_version: number }> {
  const res = await admin("/admin/datasets", {
    method: "POST",
    json: { company_id: "acme", name: "wells", format: "json", schema: EXAMPLE_SCHEMA, ...overrides },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await res.json<{ data: Array<{ dataset_id: string; company_id: string; schema_version: number }> }>();
  return body.data[0]!;
}

/** Asserts a problem+json response with the given status, and returns its body. */
export async function expectProblem(res: Response, status: number): Promise<Record<string, any>> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = JSON.parse(text);
  expect(body.status).toBe(status);
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  expect(body.transaction_id).toBe(res.headers.get("X-Request-Id"));
  return body;
}

export interface TestClient {
  client_id: string;
  client_secret: string;
  company_id: string;
  dataset_ids: string[];
}

export async function createClient(company_id: string, dataset_ids: string[], name = "integration"): Promise<TestClient> {
  const res = await admin("/admin/clients", { method: "POST", json: { company_id, name, dataset_ids } });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await res.json<{ data: TestClient[] }>();
  return body.data[0]!;
}

export function basicAuth(client: { client_id: string; client_secret: string }): string {
  return `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`;
}

export async function getToken(client: { client_id: string; client_secret: string }): Promise<string> {
  const res = await call("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json<{ access_token: string }>()).access_token;
}
