import type { Context, Hono } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { envelope } from "../lib/envelope";
import { isUuid } from "../lib/input";
import { enqueueFile } from "../queue/send";
import { type FileRecord, FileStore, fileView } from "../storage/files";
import { fileSourceFor } from "../upload/source";

/**
 * `GET /data/files/{file_id}`: the status of an upload of the caller's company (any client of it,
 * like a submission receipt). `POST /data/files/{file_id}/complete`: start processing an uploaded
 * file now (202) — for storage that cannot notify the API by itself; by a client granted the
 * file's dataset; calling it again does no harm.
 */
export function registerFiles(app: Hono<HonoEnv>): void {
  app.get("/data/files/:file_id", async (c) => {
    const record = await companyFile(c, c.req.param("file_id"));
    return envelope(c, "FileStatus", [fileView(record)]);
  });

  app.post("/data/files/:file_id/complete", async (c) => {
    const record = await companyFile(c, c.req.param("file_id"));
    if (!c.get("client").dataset_ids.includes(record.dataset_id)) {
      throw new ApiError("forbidden", `This client is not granted dataset ${record.dataset_id}.`);
    }
    const store = new FileStore(c.env.DATA);
    let latest = record;
    if (record.status === "awaiting_upload") {
      const object = await fileSourceFor(c.env, record.backend).head(record.object_key);
      if (!object) {
        throw new ApiError("conflict", "The file has not been uploaded yet: PUT it to the upload URL first.", {
          extra: { file_id: record.file_id, file_status: record.status },
        });
      }
      const uploadedAt = (object.uploaded ?? new Date()).toISOString();
      latest =
        (await store.mutate(record.file_id, (r) =>
          r.status === "awaiting_upload" ? { ...r, status: "processing", uploaded_at: r.uploaded_at ?? uploadedAt } : undefined,
        )) ?? record;
    }
    // A nudge: processing starts, or resumes from its checkpoint; while it runs, a second one is harmless.
    if (latest.status === "processing") await enqueueFile(c.env, latest.file_id);
    return envelope(c, "FileStatus", [fileView(latest)], 202);
  });
}

/** A file of the caller's company; another company's answers exactly like one that does not exist. */
async function companyFile(c: Context<HonoEnv>, fileId: string): Promise<FileRecord> {
  const found = isUuid(fileId) ? await new FileStore(c.env.DATA).get(fileId) : undefined;
  if (!found || found.record.company_id !== c.get("client").company_id) {
    throw new ApiError("not_found", `No file ${JSON.stringify(fileId)}.`);
  }
  return found.record;
}
