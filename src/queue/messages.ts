import { isUuid } from "../lib/input";

/**
 * What this Worker sends to its file queue: "process file X". `chunk` is set on a continuation
 * (the next chunk of a file processed in parts); a message without it is a nudge (after an upload,
 * from `POST /data/files/{id}/complete`) that starts or resumes processing wherever it stands.
 */
export interface FileQueueMessage {
  type: "process-file";
  file_id: string;
  chunk?: number;
}

/**
 * The body of an R2 event notification (https://developers.cloudflare.com/r2/buckets/event-notifications/).
 * Only `object.key` and `action` are used; the rest is logged.
 */
export interface R2EventNotification {
  account: string;
  bucket: string;
  action: string;
  object: { key: string; size?: number; eTag?: string };
  eventTime?: string;
  copySource?: { bucket: string; object: string };
}

/** The actions that create an object (the `object-create` event type). */
const CREATE_ACTIONS = new Set(["PutObject", "CopyObject", "CompleteMultipartUpload"]);

/** What a queue message asks for, whichever of the two shapes it has. */
export type FileWork =
  | { kind: "process"; fileId: string; chunk?: number; source: "api" }
  | { kind: "process"; fileId: string; source: "r2-notification"; key: string; datasetId: string; fileName: string }
  | { kind: "ignore"; reason: string };

/** `uploads/{dataset_id}/{file_id}/{file_name}`, split; undefined for any other key. */
export function parseUploadKey(key: string): { datasetId: string; fileId: string; fileName: string } | undefined {
  const parts = key.split("/");
  if (parts.length !== 4 || parts[0] !== "uploads") return undefined;
  const [, datasetId = "", fileId = "", fileName = ""] = parts;
  if (!isUuid(datasetId) || !isUuid(fileId) || fileName === "") return undefined;
  return { datasetId, fileId, fileName };
}

/** Reads a message body of either shape; anything else is ignored (retrying cannot make it readable). */
export function parseFileWork(body: unknown): FileWork {
  if (typeof body !== "object" || body === null) return { kind: "ignore", reason: "not an object" };
  const b = body as Record<string, unknown>;
  if (b.type === "process-file") {
    if (typeof b.file_id !== "string" || !isUuid(b.file_id)) return { kind: "ignore", reason: "process-file without a file_id" };
    const chunk = typeof b.chunk === "number" && Number.isSafeInteger(b.chunk) && b.chunk >= 0 ? b.chunk : undefined;
    return { kind: "process", fileId: b.file_id, chunk, source: "api" };
  }
  const object = b.object as Record<string, unknown> | undefined;
  if (typeof b.action === "string" && typeof object === "object" && object !== null && typeof object.key === "string") {
    if (!CREATE_ACTIONS.has(b.action)) return { kind: "ignore", reason: `R2 action ${b.action}` };
    const parsed = parseUploadKey(object.key);
    if (!parsed) return { kind: "ignore", reason: "R2 notification for a key outside uploads/" };
    return {
      kind: "process",
      fileId: parsed.fileId,
      source: "r2-notification",
      key: object.key,
      datasetId: parsed.datasetId,
      fileName: parsed.fileName,
    };
  }
  return { kind: "ignore", reason: "unknown message shape" };
}
