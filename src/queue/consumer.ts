import type { Bindings } from "../env";
import { StorageError } from "../storage/errors";
import { FileStore } from "../storage/files";
import { DEFAULT_RETRY_BASE_SECONDS, uploadSettings } from "../upload/config";
import { processFile, RetryLater } from "../upload/process";
import { type FileWork, parseFileWork } from "./messages";

/** Longest wait between two attempts at a message (Queues allow up to 12 hours). */
export const MAX_RETRY_DELAY_SECONDS = 900;

/** Exponential backoff: base, 2·base, 4·base … for attempts 1, 2, 3 …, capped. */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, attempts - 1));
}

/** The dead-letter queue's name ends in `-dlq` (wrangler.toml names it `data-api-files-dlq`). */
export function isDeadLetterQueue(queueName: string): boolean {
  return queueName.endsWith("-dlq");
}

/**
 * The Worker's `queue` handler. Messages of the file queue (ours, or R2 event notifications for
 * `uploads/…`) process the next chunk of a file; a failure that may pass (storage, a schema not yet
 * readable, our own bug) is retried with exponential backoff, and after `max_retries` the Queue
 * moves the message to the dead-letter queue, whose messages mark the file `failed`. Messages are
 * handled one at a time, each acknowledged or retried on its own.
 */
export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  const deadLetters = isDeadLetterQueue(batch.queue);
  for (const message of batch.messages) {
    const work = parseFileWork(message.body);
    if (work.kind === "ignore") {
      console.log(JSON.stringify({ level: "info", msg: "queue message ignored", queue: batch.queue, reason: work.reason }));
      message.ack();
      continue;
    }
    try {
      if (deadLetters) {
        await markDeadLettered(env, work);
      } else {
        const outcome = await processFile(env, {
          fileId: work.fileId,
          chunk: work.source === "api" ? work.chunk : undefined,
          objectKey: work.source === "r2-notification" ? work.key : undefined,
        });
        console.log(JSON.stringify({ level: "info", msg: "file processed", file_id: work.fileId, attempts: message.attempts, ...outcome }));
      }
      message.ack();
    } catch (e) {
      const delaySeconds = retryDelaySeconds(message.attempts, retryBase(env));
      console.error(
        JSON.stringify({
          level: "error",
          msg: deadLetters ? "dead letter not recorded" : "file processing failed; retrying",
          file_id: work.fileId,
          attempts: message.attempts,
          delay_seconds: delaySeconds,
          reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
        }),
      );
      if (!deadLetters) await noteFailure(env, work.fileId, e);
      message.retry({ delaySeconds });
    }
  }
}

/** FILE_RETRY_BASE_SECONDS, read so that even a misconfiguration elsewhere cannot break retrying. */
function retryBase(env: Bindings): number {
  try {
    return uploadSettings(env).retryBaseSeconds;
  } catch {
    return DEFAULT_RETRY_BASE_SECONDS;
  }
}

/** What a client may read of why an attempt failed (never internals). */
function publicReason(e: unknown): string {
  if (e instanceof RetryLater) return e.message;
  if (e instanceof StorageError) return "storage was unavailable";
  return "an internal error occurred";
}

async function noteFailure(env: Bindings, fileId: string, e: unknown): Promise<void> {
  await new FileStore(env.DATA)
    .mutate(
      fileId,
      (record) => (record.status === "succeeded" || record.status === "failed" ? undefined : { ...record, last_error: publicReason(e) }),
      2,
    )
    .catch(() => undefined);
}

/** A message the file queue gave up on: its file ends `failed` (unless it finished meanwhile). */
async function markDeadLettered(env: Bindings, work: Extract<FileWork, { kind: "process" }>): Promise<void> {
  const at = new Date().toISOString();
  const updated = await new FileStore(env.DATA).mutate(work.fileId, (record) => {
    if (record.status === "succeeded" || record.status === "failed") return undefined;
    if (work.source === "r2-notification" && record.object_key !== work.key) return undefined;
    const why = record.last_error ? ` The last attempt failed because ${record.last_error}.` : "";
    return {
      ...record,
      status: "failed",
      reason: `Processing was given up after repeated failures (the message went to the dead-letter queue).${why} Upload the file again, or ask support with this file_id.`,
      completed_at: at,
    };
  });
  console.error(JSON.stringify({ level: "error", msg: "file dead-lettered", file_id: work.fileId, status: updated?.status }));
}
