import type { Bindings } from "../env";
import { ApiError } from "../errors";
import { storage } from "../storage/errors";
import type { FileQueueMessage } from "./messages";

/**
 * Asks the file queue to process a file: a nudge (start or resume, `chunk` unset) or the
 * continuation of a file processed in chunks. Without the `FILE_QUEUE` binding nothing can be
 * processed: 503, logged.
 */
export async function enqueueFile(env: Bindings, fileId: string, chunk?: number): Promise<void> {
  const queue = env.FILE_QUEUE;
  if (!queue) {
    console.error(JSON.stringify({ level: "error", msg: "FILE_QUEUE binding missing: uploaded files cannot be processed" }));
    throw new ApiError("unavailable", "File processing is not configured on this deployment.", { internal: "FILE_QUEUE binding missing" });
  }
  const message: FileQueueMessage = { type: "process-file", file_id: fileId, ...(chunk !== undefined ? { chunk } : {}) };
  await storage("queue.send file", () => queue.send(message, { contentType: "json" }));
}
