import type { Hono } from "hono";
import { authorizeDataset } from "../auth/authorize";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { envelope } from "../lib/envelope";
import { type Dataset, Registry } from "../storage/registry";

/** Clients discover their datasets and the schemas to validate against before sending. */
export function registerDataDatasets(app: Hono<HonoEnv>): void {
  app.get("/data/datasets", async (c) => {
    const client = c.get("client");
    const registry = new Registry(c.env);
    const found = await Promise.all(client.dataset_ids.map((id) => registry.getDataset(id)));
    const datasets = found.filter((d): d is Dataset => d !== undefined && d.company_id === client.company_id);
    return envelope(c, "Dataset", datasets);
  });

  app.get("/data/datasets/:dataset_id/schema", async (c) => {
    const dataset = await authorizeDataset(c, c.req.param("dataset_id"));
    const schema = await new Registry(c.env).getSchema(dataset.dataset_id, dataset.schema_version);
    if (!schema) throw new ApiError("unavailable", "The schema is not available yet; retry shortly.", { headers: { "Retry-After": "5" } });
    return envelope(c, "Schema", [schema]);
  });
}
