import type { Hono } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { envelope } from "../lib/envelope";
import { isUuid } from "../lib/input";
import { getReceipt } from "../storage/receipts";

/** `GET /admin/submissions/{id}`: any company's receipt, for the data team's support work. */
export function registerAdminSubmissions(app: Hono<HonoEnv>): void {
  app.get("/admin/submissions/:submission_id", async (c) => {
    const id = c.req.param("submission_id");
    const receipt = isUuid(id) ? await getReceipt(c.env.DATA, id) : undefined;
    if (!receipt) throw new ApiError("not_found", `No submission ${JSON.stringify(id)}.`);
    return envelope(c, "SubmissionReceipt", [receipt]);
  });
}
