import type { Context, Hono } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { envelope } from "../lib/envelope";
import { booleanQuery, isUuid, requireCompanyId, requireOneOf, requireString } from "../lib/input";
import { readJsonObject } from "../lib/json-body";
import { checkSchema, incompatibilities } from "../schema/register";
import { recentSample } from "../storage/receipts";
import { DATASET_FORMATS, type Dataset, Registry } from "../storage/registry";

/** Operators' dataset & schema registry: `/admin/datasets…` of API.md. */
export function registerAdminDatasets(app: Hono<HonoEnv>): void {
  app.post("/admin/datasets", async (c) => {
    const body = await readJsonObject(c);
    const company_id = requireCompanyId(body.company_id);
    const name = requireString(body.name, "name");
    const format = requireOneOf(body.format, "format", DATASET_FORMATS);
    if (body.schema === undefined) throw new ApiError("bad_request", "`schema` is required.", { extra: { field: "schema" } });
    const { schema } = checkSchema(body.schema);

    const dataset = await new Registry(c.env).createDataset({ company_id, name, format, schema });
    c.set("dataset", dataset);
    return envelope(c, "Dataset", [dataset], 201);
  });

  app.get("/admin/datasets", async (c) => {
    const companyId = requireCompanyId(c.req.query("company_id"));
    const datasets = await new Registry(c.env).listDatasets(companyId);
    return envelope(c, "Dataset", datasets);
  });

  app.get("/admin/datasets/:dataset_id", async (c) => {
    const dataset = await findDataset(c);
    return envelope(c, "Dataset", [dataset]);
  });

  app.put("/admin/datasets/:dataset_id/schema", async (c) => {
    const body = await readJsonObject(c);
    const force = booleanQuery(c.req.query("force"), "force");
    const dataset = await findDataset(c);
    if (body.schema === undefined) throw new ApiError("bad_request", "`schema` is required.", { extra: { field: "schema" } });
    const { schema, compiled } = checkSchema(body.schema);

    const registry = new Registry(c.env);
    if (!force) {
      const current = await registry.getSchema(dataset.dataset_id, dataset.schema_version);
      const examples = Array.isArray(current?.schema.examples) ? current.schema.examples : [];
      const recent = await recentSample(c.env.DATA, dataset.dataset_id);
      const broken = incompatibilities(compiled, [
        ...examples.map((record, index) => ({ source: "example", index, record })),
        ...recent.map((record, index) => ({ source: "recent_record", index, record })),
      ]);
      if (broken.length > 0) {
        throw new ApiError(
          "conflict",
          `The new schema would reject ${broken.length} of the registered examples and recently accepted records of schema version ${dataset.schema_version}. Fix the schema, or register it anyway with ?force=true.`,
          { extra: { incompatible: broken } },
        );
      }
    }
    const updated = await registry.addSchemaVersion(dataset, schema);
    return envelope(c, "Dataset", [updated]);
  });

  app.get("/admin/datasets/:dataset_id/schema", async (c) => {
    const dataset = await findDataset(c);
    const raw = c.req.query("version");
    let version = dataset.schema_version;
    if (raw !== undefined) {
      version = Number(raw);
      if (!/^[1-9]\d{0,8}$/.test(raw))
        throw new ApiError("bad_request", "`version` must be a positive integer.", { extra: { field: "version" } });
    }
    const found = version <= dataset.schema_version ? await new Registry(c.env).getSchema(dataset.dataset_id, version) : undefined;
    if (!found) throw new ApiError("not_found", `Dataset ${dataset.dataset_id} has no schema version ${version}.`);
    return envelope(c, "Schema", [found]);
  });
}

async function findDataset(c: Context<HonoEnv>): Promise<Dataset> {
  const id = c.req.param("dataset_id") ?? "";
  const dataset = isUuid(id) ? await new Registry(c.env).getDataset(id, { fresh: true }) : undefined;
  if (!dataset) throw new ApiError("not_found", `No dataset ${JSON.stringify(id)}.`);
  c.set("dataset", dataset);
  return dataset;
}
