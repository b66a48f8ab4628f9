import type { RecordError } from "../ingest/ingest";
import type { UploadBackend } from "../upload/config";
import { storage } from "./errors";
import { r2Keys } from "./keys";
import type { DatasetFormat } from "./registry";

export type FileStatus = "awaiting_upload" | "processing" | "succeeded" | "failed";

/**
 * Where processing of a file stands: the next chunk starts at byte `offset` of the file, after
 * `rows` rows (and, for CSV, `lines` physical lines and the `header`). Saved after every chunk.
 */
export interface FileCheckpoint {
  /** Index of the next chunk (0 for the first); names the chunk's objects deterministically. */
  chunk: number;
  offset: number;
  rows: number;
  lines: number;
  header?: string[];
}

/**
 * The status record of one upload, `files/{file_id}.json` in R2 (read-after-write consistent, and
 * updated only with a conditional put on its etag, so concurrent processors never lose an update).
 */
export interface FileRecord {
  file_id: string;
  dataset_id: string;
  company_id: string;
  /** The client that asked for the upload URL: accepted records carry it as theirs. */
  client_id: string;
  file_name: string;
  format: DatasetFormat;
  content_type: string;
  /** Where the URL points and the file is read from. */
  backend: UploadBackend;
  object_key: string;
  /** What the URL binds the upload to, when the client named them. */
  content_length?: number;
  checksum_sha256?: string;
  status: FileStatus;
  created_at: string;
  expires_at: string;
  uploaded_at?: string;
  processing_started_at?: string;
  completed_at?: string;
  /** Size and etag of the uploaded object when processing started; a later change fails the file. */
  size?: number;
  object_etag?: string;
  /** Fixed when processing starts, so every chunk validates against the same version. */
  schema_version?: number;
  rows: number;
  accepted: number;
  rejected: number;
  /** The first errors (up to MAX_ERRORS), `record` = the row number in the file. */
  errors: RecordError[];
  errors_truncated: boolean;
  /** Why the file failed. */
  reason?: string;
  /** Chunks processed so far (each stores its own objects under datasets/… and quarantine/…). */
  chunks: number;
  /** The chunk size fixed when processing started, so a chunk processed again has the same rows. */
  chunking?: { rows: number; bytes: number };
  checkpoint?: FileCheckpoint;
  /** Why the last attempt failed (shown in `reason` if the file ends in the dead-letter queue). */
  last_error?: string;
}

/** What `GET /data/files/{file_id}` shows: everything but internals (keys, checkpoint, etag). */
export function fileView(record: FileRecord): Record<string, unknown> {
  return {
    file_id: record.file_id,
    dataset_id: record.dataset_id,
    file_name: record.file_name,
    status: record.status,
    rows: record.rows,
    accepted: record.accepted,
    rejected: record.rejected,
    errors: record.errors,
    errors_truncated: record.errors_truncated,
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    format: record.format,
    content_type: record.content_type,
    ...(record.content_length !== undefined ? { content_length: record.content_length } : {}),
    ...(record.size !== undefined ? { size: record.size } : {}),
    ...(record.schema_version !== undefined ? { schema_version: record.schema_version } : {}),
    chunks: record.chunks,
    client_id: record.client_id,
    created_at: record.created_at,
    expires_at: record.expires_at,
    ...(record.uploaded_at !== undefined ? { uploaded_at: record.uploaded_at } : {}),
    ...(record.processing_started_at !== undefined ? { processing_started_at: record.processing_started_at } : {}),
    ...(record.completed_at !== undefined ? { completed_at: record.completed_at } : {}),
  };
}

export interface VersionedFileRecord {
  record: FileRecord;
  etag: string;
}

/** Thrown by `FileStore.update` when the record changed since it was read. */
export class FileRecordConflict extends Error {}

export class FileStore {
  constructor(private readonly bucket: R2Bucket) {}

  async get(fileId: string): Promise<VersionedFileRecord | undefined> {
    const object = await storage("r2.get file status", () => this.bucket.get(r2Keys.fileStatus(fileId)));
    if (!object) return undefined;
    return { record: await object.json<FileRecord>(), etag: object.etag };
  }

  async create(record: FileRecord): Promise<void> {
    await storage("r2.put file status", () =>
      this.bucket.put(r2Keys.fileStatus(record.file_id), JSON.stringify(record), { httpMetadata: { contentType: "application/json" } }),
    );
  }

  /** Replaces the record only if it is still the version read (etag); returns the new version. */
  async update(current: VersionedFileRecord, next: FileRecord): Promise<VersionedFileRecord> {
    const written = await storage("r2.put file status", () =>
      this.bucket.put(r2Keys.fileStatus(next.file_id), JSON.stringify(next), {
        httpMetadata: { contentType: "application/json" },
        onlyIf: { etagMatches: current.etag },
      }),
    );
    if (written === null) throw new FileRecordConflict(`file status ${next.file_id} changed concurrently`);
    return { record: next, etag: written.etag };
  }

  /**
   * Read-modify-write with retries on conflicts: `change` gets the latest record and returns the
   * next one, or undefined to leave it as it is. Resolves with what is stored in the end.
   */
  async mutate(fileId: string, change: (record: FileRecord) => FileRecord | undefined, attempts = 8): Promise<FileRecord | undefined> {
    for (let i = 0; i < attempts; i++) {
      const current = await this.get(fileId);
      if (!current) return undefined;
      const next = change(structuredClone(current.record));
      if (next === undefined) return current.record;
      try {
        return (await this.update(current, next)).record;
      } catch (e) {
        if (!(e instanceof FileRecordConflict)) throw e;
      }
    }
    throw new FileRecordConflict(`file status ${fileId} kept changing`);
  }
}
