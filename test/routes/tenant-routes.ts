/**
 * The table of data routes the tenant-isolation matrix (test/routes/tenant-isolation.test.ts) runs
 * against. EVERY route under /data/ belongs here: the matrix fails while the app registers a data
 * route this table does not name. To add one, append an entry:
 *
 * - `route`: method and path exactly as Hono registers it (`app.routes`), e.g. "GET /data/files/:file_id".
 * - `kind`:
 *   - "list": the route names nothing; it must show a client only what is its own (no id of another
 *     company anywhere in the body), and must succeed for a client with no grants.
 *   - "dataset": the route names a dataset: another company's is 404 (shaped exactly like an unknown
 *     id), one of the same company that is not granted is 403.
 *   - "resource": the route names something else (a submission, a file…): another company's is 404
 *     (shaped like an unknown id); `ungranted` says what a client of the same company without the grant gets.
 * - `target(owner)`: the request reaching what `owner` has. For "resource", create the thing first,
 *   as `owner` (through the API, with `owner.auth`). Bodies must be strings (requests are rebuilt).
 * - `unknown()`: the same request naming an id that does not exist (not for "list").
 * - `ok`: the status when `owner` (or a granted client of its company) sends it.
 */
import { expect } from "vitest";
import { call, EXAMPLE_RECORD, type TestClient } from "../helpers";

/** A company with one dataset and a client granted it. */
export interface Party {
  company_id: string;
  dataset_id: string;
  client: TestClient;
  /** The client's Authorization header value (Bearer or Basic, per matrix run). */
  auth: string;
}

export interface RouteRequest {
  path: string;
  init?: { method?: string; headers?: Record<string, string>; body?: string };
}

export interface DataRoute {
  route: string;
  kind: "list" | "dataset" | "resource";
  ok: number;
  target(owner: Party): RouteRequest | Promise<RouteRequest>;
  unknown?(): RouteRequest;
  /** Status for a same-company client not granted the owner's dataset (default 403; required for "resource"). */
  ungranted?: number;
}

const randomId = () => crypto.randomUUID();

function uploadUrl(datasetId: string): RouteRequest {
  // The datasets of the matrix have format "json" (createDataset's default).
  return { path: `/data/file_upload_url?dataset_id=${datasetId}&file_name=wells.json` };
}

/** Asks for an upload URL as `owner`, and returns the new file's id. */
async function newFile(owner: Party): Promise<string> {
  const res = await call(uploadUrl(owner.dataset_id).path, { headers: { Authorization: owner.auth } });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json<{ data: Array<{ file_id: string }> }>()).data[0]!.file_id;
}

function pushRecord(datasetId: string): RouteRequest {
  return {
    path: `/data/json?dataset_id=${datasetId}`,
    init: { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(EXAMPLE_RECORD) },
  };
}

export const DATA_ROUTES: DataRoute[] = [
  {
    route: "GET /data/datasets",
    kind: "list",
    ok: 200,
    target: () => ({ path: "/data/datasets" }),
  },
  {
    route: "GET /data/datasets/:dataset_id/schema",
    kind: "dataset",
    ok: 200,
    target: (owner) => ({ path: `/data/datasets/${owner.dataset_id}/schema` }),
    unknown: () => ({ path: `/data/datasets/${randomId()}/schema` }),
  },
  {
    route: "POST /data/json",
    kind: "dataset",
    ok: 202,
    target: (owner) => pushRecord(owner.dataset_id),
    unknown: () => pushRecord(randomId()),
  },
  {
    route: "GET /data/submissions/:submission_id",
    kind: "resource",
    ok: 200,
    // A receipt belongs to the company: any client of it may read it.
    ungranted: 200,
    async target(owner) {
      const push = pushRecord(owner.dataset_id);
      const headers = { ...push.init!.headers, Authorization: owner.auth };
      const res = await call(push.path, { ...push.init, headers });
      expect(res.status, await res.clone().text()).toBe(202);
      const id = (await res.json<{ data: Array<{ submission_id: string }> }>()).data[0]!.submission_id;
      return { path: `/data/submissions/${id}` };
    },
    unknown: () => ({ path: `/data/submissions/${randomId()}` }),
  },
  {
    route: "GET /data/file_upload_url",
    kind: "dataset",
    ok: 200,
    target: (owner) => uploadUrl(owner.dataset_id),
    unknown: () => uploadUrl(randomId()),
  },
  {
    route: "GET /data/files/:file_id",
    kind: "resource",
    ok: 200,
    // Like a receipt, a file's status belongs to the company.
    ungranted: 200,
    target: async (owner) => ({ path: `/data/files/${await newFile(owner)}` }),
    unknown: () => ({ path: `/data/files/${randomId()}` }),
  },
  {
    route: "POST /data/files/:file_id/complete",
    kind: "resource",
    // Nothing was uploaded: 409 (found, but not ready) shows the owner reaches it, without depending
    // on the upload backend or the queue. Another company's file is still 404, an ungranted client 403.
    ok: 409,
    ungranted: 403,
    target: async (owner) => ({ path: `/data/files/${await newFile(owner)}/complete`, init: { method: "POST" } }),
    unknown: () => ({ path: `/data/files/${randomId()}/complete`, init: { method: "POST" } }),
  },
];
