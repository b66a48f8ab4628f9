import type { Hono } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { envelope } from "../lib/envelope";
import { isUuid } from "../lib/input";
import { getReceipt } from "../storage/receipts";

/** `GET /data/submissions/{id}`: the receipt of a submission of the caller's company. */
export function registerDataSubmissions(app: Hono<HonoEnv>): void {
  app.get("/data/submissions/:submission_id", async (c) => {
    const id = c.req.param("submission_id");
    const client = c.get("client");
    const receipt = isUuid(id) ? await getReceipt(c.env.DATA, id) : undefined;
    // Another company's submission is indistinguishable from a missing one.
    if (!receipt || receipt.company_id !== client.company_id) throw new ApiError("not_found", `No submission ${JSON.stringify(id)}.`);
    return envelope(c, "SubmissionReceipt", [receipt]);
  });
}
