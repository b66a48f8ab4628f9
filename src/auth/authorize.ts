import type { Context } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { isUuid } from "../lib/input";
import { type Dataset, Registry } from "../storage/registry";

/**
 * Resolves a dataset for the authenticated client. A dataset of another company answers exactly
 * like one that does not exist (404), so no company learns what another has; a dataset of the
 * client's own company that it is not granted is 403.
 */
export async function authorizeDataset(c: Context<HonoEnv>, datasetId: string | undefined): Promise<Dataset> {
  if (!datasetId) throw new ApiError("bad_request", "`dataset_id` is required.", { extra: { field: "dataset_id" } });
  const client = c.get("client");
  const dataset = isUuid(datasetId) ? await new Registry(c.env).getDataset(datasetId) : undefined;
  if (!dataset || dataset.company_id !== client.company_id) {
    throw new ApiError("not_found", `No dataset ${JSON.stringify(datasetId)}.`);
  }
  if (!client.dataset_ids.includes(dataset.dataset_id)) {
    throw new ApiError("forbidden", `This client is not granted dataset ${dataset.dataset_id}.`);
  }
  c.set("dataset", dataset);
  return dataset;
}
