import type { Bindings } from "../env";
import { ingestRecords } from "../ingest/ingest";
import { pushLimits } from "../ingest/limits";
import type { IncomingRecord } from "../ingest/records";
import { depthExceeds } from "../ingest/records";
import { enqueueFile } from "../queue/send";
import type { CompiledSchema, SchemaError } from "../schema/compile";
import type { SchemaObject } from "../schema/walk";
import { type FileRecord, FileRecordConflict, FileStore, type VersionedFileRecord } from "../storage/files";
import { addToRecentSample } from "../storage/receipts";
import { Registry } from "../storage/registry";
import { R2Sink } from "../storage/sink-r2";
import { sinkFor } from "../storage/sinks";
import { chunkSubmissionId } from "./chunk-id";
import { uploadSettings } from "./config";
import { readCsvRows } from "./csv";
import { readJsonRows } from "./json";
import { readNdjsonRows } from "./ndjson";
import { FileFault, type ReaderOptions, type ReadProgress, type RowReader } from "./rows";
import { fileSourceFor } from "./source";

/** A condition that may pass by itself (eventual consistency): the queue retries the message. */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RetryLater";
  }
}

export type ProcessOutcome =
  | { kind: "skipped"; reason: string }
  | { kind: "continued"; chunk: number }
  | { kind: "finished"; status: "succeeded" | "failed" };

export interface FileWorkItem {
  fileId: string;
  /** Set on a continuation: only that chunk is due (any other means the message is stale). */
  chunk?: number;
  /** Set for an R2 notification: the object it is about. */
  objectKey?: string;
}

const READERS: Record<FileRecord["format"], RowReader> = { csv: readCsvRows, ndjson: readNdjsonRows, json: readJsonRows };

/**
 * Processes the next chunk of an uploaded file (what one queue message does):
 *
 * 1. The first time, it checks the upload is there and fixes what every chunk must agree on: the
 *    object's size and etag, the schema version, the upload date (the records' partition), the
 *    chunk size.
 * 2. It streams the file from the checkpoint's byte offset, reads at most `chunkRows` rows or about
 *    `chunkBytes` bytes, and stores them with `ingestRecords` (valid rows in the dataset, invalid ones
 *    in quarantine, with `file_id` in the metadata) under the chunk's fixed submission id.
 * 3. It saves the counts, the first errors and the next checkpoint with a conditional write; if more
 *    is left, it enqueues the continuation; at the end the file is `succeeded`, or `failed` with the
 *    reason when the file could not be read on (rows before the fault stay stored).
 *
 * Idempotent: a chunk processed twice (redelivery, a second nudge, `complete` called twice) writes
 * the same objects under the same keys, and only one of two racing invocations advances the
 * checkpoint. Throws (so the queue retries) on storage failures and on `RetryLater`.
 */
export async function processFile(env: Bindings, work: FileWorkItem, now: () => Date = () => new Date()): Promise<ProcessOutcome> {
  const store = new FileStore(env.DATA);
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await processOnce(env, store, work, now);
    } catch (e) {
      // Another invocation changed the record while this one started the file: look again.
      if (!(e instanceof FileRecordConflict)) throw e;
    }
  }
  return { kind: "skipped", reason: "the status record kept changing" };
}

async function processOnce(env: Bindings, store: FileStore, work: FileWorkItem, now: () => Date): Promise<ProcessOutcome> {
  let current = await store.get(work.fileId);
  if (!current) return { kind: "skipped", reason: "no such file" };
  const initial = current.record;
  if (work.objectKey !== undefined && work.objectKey !== initial.object_key) {
    return { kind: "skipped", reason: "notification for another object" };
  }
  if (initial.status === "succeeded" || initial.status === "failed") return { kind: "skipped", reason: `already ${initial.status}` };
  if (work.chunk !== undefined && initial.checkpoint && initial.checkpoint.chunk !== work.chunk) {
    return { kind: "skipped", reason: `stale continuation (chunk ${work.chunk}, checkpoint at ${initial.checkpoint.chunk})` };
  }
  const settings = uploadSettings(env);
  const registry = new Registry(env);
  const source = fileSourceFor(env, initial.backend);

  if (!initial.checkpoint) {
    const object = await source.head(initial.object_key);
    if (!object) {
      if (initial.status === "awaiting_upload") return { kind: "skipped", reason: "not uploaded yet" };
      return fail(store, current, "The uploaded file could not be found.", now);
    }
    // Datasets are never deleted: a miss is KV not having caught up at this location yet.
    const dataset = await registry.getDataset(initial.dataset_id, { fresh: true });
    if (!dataset) throw new RetryLater(`dataset ${initial.dataset_id} is not readable yet`);
    const at = now().toISOString();
    const started: FileRecord = {
      ...initial,
      status: "processing",
      uploaded_at: initial.uploaded_at ?? object.uploaded?.toISOString() ?? at,
      processing_started_at: at,
      size: object.size,
      object_etag: object.etag,
      schema_version: dataset.schema_version,
      chunking: { rows: settings.chunkRows, bytes: settings.chunkBytes },
      checkpoint: { chunk: 0, offset: 0, rows: 0, lines: 0 },
    };
    current = await store.update(current, started);
    if (object.size > settings.maxUploadBytes) {
      return fail(store, current, `The file is ${object.size} bytes; the limit is ${settings.maxUploadBytes} bytes.`, now);
    }
  }
  return processChunk(env, store, current, registry, source, now);
}

async function processChunk(
  env: Bindings,
  store: FileStore,
  current: VersionedFileRecord,
  registry: Registry,
  source: ReturnType<typeof fileSourceFor>,
  now: () => Date,
): Promise<ProcessOutcome> {
  const record = current.record;
  const checkpoint = record.checkpoint!;
  const version = record.schema_version!;
  const dataset = await registry.getDataset(record.dataset_id);
  if (!dataset) throw new RetryLater(`dataset ${record.dataset_id} is not readable yet`);
  const compiled = await registry.compiled(record.dataset_id, version);
  const schema = compiled ? (await registry.getSchema(record.dataset_id, version))?.schema : undefined;
  if (!compiled || !schema) throw new RetryLater(`schema version ${version} of dataset ${record.dataset_id} is not readable yet`);

  const limits = pushLimits(env);
  const chunking = record.chunking ?? { rows: uploadSettings(env).chunkRows, bytes: uploadSettings(env).chunkBytes };
  let stream: ReadableStream<Uint8Array>;
  if (record.format !== "json" && checkpoint.offset >= (record.size ?? 0)) {
    stream = new ReadableStream({ start: (controller) => controller.close() });
  } else {
    const read = await source.read(record.object_key, record.format === "json" ? 0 : checkpoint.offset, record.object_etag ?? "");
    if (read === "changed")
      return fail(store, current, "The file was replaced while it was processed; upload it again as a new file.", now);
    if (read === undefined) return fail(store, current, "The uploaded file could not be found.", now);
    stream = read;
  }

  const progress: ReadProgress = { offset: checkpoint.offset, rows: checkpoint.rows, lines: checkpoint.lines, header: checkpoint.header };
  const options: ReaderOptions = {
    maxRecordBytes: limits.maxRecordBytes,
    maxDepth: limits.maxDepth,
    maxJsonBytes: limits.maxJsonBodyBytes,
    schema: schema as SchemaObject,
  };
  const reader = READERS[record.format](stream, progress, options);
  const structural = new WeakMap<object, SchemaError[]>();
  const state: { eof: boolean; fault?: string } = { eof: false };

  async function* rows(): AsyncGenerator<IncomingRecord> {
    try {
      for (;;) {
        if (progress.rows - checkpoint.rows >= chunking.rows || progress.offset - checkpoint.offset >= chunking.bytes) return;
        let next: IteratorResult<Awaited<ReturnType<typeof reader.next>>["value"]>;
        try {
          next = await reader.next();
        } catch (e) {
          if (!(e instanceof FileFault)) throw e;
          state.fault = e.message;
          return;
        }
        if (next.done) {
          state.eof = true;
          return;
        }
        const { row, value, errors } = next.value;
        if (errors) {
          structural.set(value as object, errors);
        } else if (depthExceeds(value, limits.maxDepth)) {
          const marker = {};
          structural.set(marker, [
            { path: "", keyword: "maxDepth", message: `Row ${row} is nested deeper than the limit of ${limits.maxDepth} levels.` },
          ]);
          yield { record: row, value: marker };
          continue;
        }
        yield { record: row, value };
      }
    } finally {
      await reader.return(undefined);
    }
  }

  const submissionId = await chunkSubmissionId(record.file_id, checkpoint.chunk);
  const result = await ingestRecords(
    {
      dataset: { ...dataset, schema_version: version },
      compiled: withStructuralErrors(compiled, structural),
      clientId: record.client_id,
      sink: sinkFor(env),
      r2: new R2Sink(env.DATA),
      limits,
      id: submissionId,
      receivedAt: record.uploaded_at!,
      partial: true,
      dryRun: false,
      metadata: { file_id: record.file_id, submission_id: submissionId, file_chunk: String(checkpoint.chunk) },
    },
    rows(),
  );

  const errors = [...record.errors];
  let truncated = record.errors_truncated || result.errorsTruncated;
  for (const e of result.errors) {
    if (errors.length < limits.maxErrors) errors.push(e);
    else truncated = true;
  }
  const next: FileRecord = {
    ...record,
    rows: record.rows + result.records,
    accepted: record.accepted + result.accepted,
    rejected: record.rejected + result.rejected,
    errors,
    errors_truncated: truncated,
    chunks: checkpoint.chunk + 1,
    checkpoint: {
      chunk: checkpoint.chunk + 1,
      offset: progress.offset,
      rows: progress.rows,
      lines: progress.lines,
      header: progress.header,
    },
  };
  let outcome: ProcessOutcome;
  if (state.fault !== undefined) {
    Object.assign(next, { status: "failed", reason: state.fault, completed_at: now().toISOString() });
    outcome = { kind: "finished", status: "failed" };
  } else if (state.eof) {
    const empty = next.rows === 0;
    Object.assign(next, empty ? { status: "failed", reason: "The file has no rows." } : { status: "succeeded" }, {
      completed_at: now().toISOString(),
    });
    outcome = { kind: "finished", status: empty ? "failed" : "succeeded" };
  } else {
    outcome = { kind: "continued", chunk: checkpoint.chunk + 1 };
  }
  try {
    await store.update(current, next);
  } catch (e) {
    // Another invocation stored this very chunk (same keys, same content) and moved on first.
    if (e instanceof FileRecordConflict) return { kind: "skipped", reason: `chunk ${checkpoint.chunk} was processed concurrently` };
    throw e;
  }
  if (result.sample.length > 0) {
    await addToRecentSample(env.DATA, record.dataset_id, result.sample).catch((e) =>
      console.error(JSON.stringify({ level: "warn", msg: "recent sample not updated", file_id: record.file_id, reason: String(e) })),
    );
  }
  // Saved first, then enqueued: if enqueuing fails, this message is retried and carries on from the checkpoint.
  if (outcome.kind === "continued") await enqueueFile(env, record.file_id, outcome.chunk);
  return outcome;
}

/**
 * The dataset's validator, except for rows the reader could not make records of (a bad NDJSON
 * line, extra CSV cells): those are rejected with the reader's errors, through the same path as
 * invalid records (quarantine, counts, the file's first errors).
 */
function withStructuralErrors(compiled: CompiledSchema, structural: WeakMap<object, SchemaError[]>): CompiledSchema {
  return {
    draft: compiled.draft,
    validate: (value) => (typeof value === "object" && value !== null && structural.get(value)) || compiled.validate(value),
  };
}

async function fail(store: FileStore, current: VersionedFileRecord, reason: string, now: () => Date): Promise<ProcessOutcome> {
  try {
    await store.update(current, { ...current.record, status: "failed", reason, completed_at: now().toISOString() });
  } catch (e) {
    if (e instanceof FileRecordConflict) return { kind: "skipped", reason: "the status record changed concurrently" };
    throw e;
  }
  return { kind: "finished", status: "failed" };
}
