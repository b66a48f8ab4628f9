import type { Context, Hono } from "hono";
import { generateSecret, hashSecret } from "../auth/secrets";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { envelope } from "../lib/envelope";
import { isUuid, requireCompanyId, requireString } from "../lib/input";
import { readJsonObject } from "../lib/json-body";
import { type ClientRecord, ClientStore, clientView } from "../storage/clients";
import { Registry } from "../storage/registry";

/** Datasets one client may be granted. */
export const MAX_GRANTS = 1000;

/** Operators' client management: `/admin/clients…` of API.md. Secrets are shown once, at creation or rotation. */
export function registerAdminClients(app: Hono<HonoEnv>): void {
  app.post("/admin/clients", async (c) => {
    const body = await readJsonObject(c);
    const company_id = requireCompanyId(body.company_id);
    const name = requireString(body.name, "name");
    const dataset_ids = await checkGrants(c, company_id, body.dataset_ids ?? []);

    const secret = generateSecret();
    const now = new Date().toISOString();
    const record: ClientRecord = {
      client_id: crypto.randomUUID(),
      company_id,
      name,
      dataset_ids,
      disabled: false,
      secret_hash: await hashSecret(secret),
      secret_rotated_at: 0,
      created_at: now,
      updated_at: now,
    };
    await new ClientStore(c.env).put(record);
    return envelope(c, "Client", [{ ...clientView(record), client_secret: secret }], 201);
  });

  app.get("/admin/clients", async (c) => {
    const companyId = requireCompanyId(c.req.query("company_id"));
    const records = await new ClientStore(c.env).list(companyId);
    return envelope(c, "Client", records.map(clientView));
  });

  app.get("/admin/clients/:client_id", async (c) => {
    return envelope(c, "Client", [clientView(await findClient(c))]);
  });

  app.patch("/admin/clients/:client_id", async (c) => {
    const body = await readJsonObject(c);
    const record = await findClient(c);
    const unknown = Object.keys(body).filter((k) => k !== "dataset_ids" && k !== "disabled");
    if (unknown.length > 0) {
      throw new ApiError("bad_request", `Only \`dataset_ids\` and \`disabled\` can be changed (got ${unknown.join(", ")}).`);
    }
    const next: ClientRecord = { ...record, updated_at: new Date().toISOString() };
    if (body.dataset_ids !== undefined) next.dataset_ids = await checkGrants(c, record.company_id, body.dataset_ids);
    if (body.disabled !== undefined) {
      if (typeof body.disabled !== "boolean")
        throw new ApiError("bad_request", "`disabled` must be true or false.", { extra: { field: "disabled" } });
      next.disabled = body.disabled;
    }
    await new ClientStore(c.env).put(next);
    return envelope(c, "Client", [clientView(next)]);
  });

  app.delete("/admin/clients/:client_id", async (c) => {
    const record = await findClient(c);
    await new ClientStore(c.env).delete(record);
    return c.body(null, 204);
  });

  app.post("/admin/clients/:client_id/secret", async (c) => {
    const record = await findClient(c);
    const secret = generateSecret();
    const now = new Date();
    const next: ClientRecord = {
      ...record,
      secret_hash: await hashSecret(secret),
      secret_rotated_at: Math.floor(now.getTime() / 1000),
      updated_at: now.toISOString(),
    };
    await new ClientStore(c.env).put(next);
    return envelope(c, "Client", [{ ...clientView(next), client_secret: secret }]);
  });
}

async function findClient(c: Context<HonoEnv>): Promise<ClientRecord> {
  const id = c.req.param("client_id") ?? "";
  const record = isUuid(id) ? await new ClientStore(c.env).get(id, { fresh: true }) : undefined;
  if (!record) throw new ApiError("not_found", `No client ${JSON.stringify(id)}.`);
  return record;
}

/** Grants may only name existing datasets of the client's own company. */
async function checkGrants(c: Context<HonoEnv>, companyId: string, value: unknown): Promise<string[]> {
  if (!Array.isArray(value) || value.length > MAX_GRANTS || !value.every((v) => typeof v === "string")) {
    throw new ApiError("bad_request", `\`dataset_ids\` must be an array of at most ${MAX_GRANTS} dataset ids.`, {
      extra: { field: "dataset_ids" },
    });
  }
  const ids = [...new Set(value as string[])];
  const registry = new Registry(c.env);
  const datasets = await Promise.all(ids.map((id) => (isUuid(id) ? registry.getDataset(id, { fresh: true }) : undefined)));
  const foreign = ids.filter((_id, i) => datasets[i]?.company_id !== companyId);
  if (foreign.length > 0) {
    throw new ApiError("bad_request", `\`dataset_ids\` may only name datasets of company ${companyId}; not: ${foreign.join(", ")}.`, {
      extra: { field: "dataset_ids", invalid: foreign },
    });
  }
  return ids;
}
