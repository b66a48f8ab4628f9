import type { Hono } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { envelope } from "../lib/envelope";
import { isUuid } from "../lib/input";
import { FileStore, fileView } from "../storage/files";
import { getReceipt } from "../storage/receipts";

/**
 * Any company's submission receipts and file statuses, for the data team's support work
 * (`npm run admin -- submissions show …`, `files show …`).
 */
export function registerAdminSubmissions(app: Hono<HonoEnv>): void {
  app.get("/admin/submissions/:submission_id", async (c) => {
    const id = c.req.param("submission_id");
    const receipt = isUuid(id) ? await getReceipt(c.env.DATA, id) : undefined;
    if (!receipt) throw new ApiError("not_found", `No submission ${JSON.stringify(id)}.`);
    return envelope(c, "SubmissionReceipt", [receipt]);
  });

  app.get("/admin/files/:file_id", async (c) => {
    const id = c.req.param("file_id");
    const found = isUuid(id) ? await new FileStore(c.env.DATA).get(id) : undefined;
    if (!found) throw new ApiError("not_found", `No file ${JSON.stringify(id)}.`);
    return envelope(c, "FileStatus", [fileView(found.record)]);
  });
}
