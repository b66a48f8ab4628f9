import { ApiError } from "../errors";
import type { CompiledSchema, SchemaError } from "../schema/compile";
import { partitionDate, r2Keys } from "../storage/keys";
import type { Dataset } from "../storage/registry";
import type { Sink } from "../storage/sink";
import type { PushLimits } from "./limits";
import { depthExceeds, type IncomingRecord } from "./records";
import { Spool } from "./spool";

export interface RecordError extends SchemaError {
  record: number;
}

export interface IngestContext {
  dataset: Dataset;
  compiled: CompiledSchema;
  clientId: string;
  /** Accepted records go here (R2 or S3). */
  sink: Sink;
  /** Quarantine and staging: always the R2 bucket. */
  r2: Sink;
  limits: PushLimits;
  /** The id of this submission (or file); names every object written. */
  id: string;
  receivedAt: string;
  partial: boolean;
  dryRun: boolean;
  /** Extra object metadata (e.g. `file_id`). */
  metadata?: Record<string, string>;
}

export interface IngestResult {
  records: number;
  accepted: number;
  rejected: number;
  errors: RecordError[];
  errorsTruncated: boolean;
  /** Whether the accepted records were stored in the dataset (false: a whole-push rejection or dry run). */
  stored: boolean;
  objectKey?: string;
  sha256?: string;
  quarantineKeys: string[];
  /** A few accepted records, for the dataset's recent-records sample. */
  sample: unknown[];
}

const SAMPLE_PER_PUSH = 20;

const NOT_AN_OBJECT: SchemaError = { path: "", keyword: "type", message: "A record must be a JSON object." };

/**
 * Validates every record and stores the outcome: all valid → the records object in the sink;
 * some invalid → nothing in the dataset (or, with `partial`, the valid ones), and the rejected
 * records with their errors in quarantine — so nothing a client sent is lost. Resolves only once
 * every write is confirmed; any storage failure throws `StorageError` and nothing is acknowledged.
 */
export async function ingestRecords(ctx: IngestContext, records: AsyncIterable<IncomingRecord>): Promise<IngestResult> {
  const staging = ctx.dryRun ? undefined : ctx.r2;
  const accepted = new Spool(staging, r2Keys.staging(ctx.id, "accepted"));
  const rejected = new Spool(staging, r2Keys.staging(ctx.id, "rejected"));
  const errors: RecordError[] = [];
  let errorsTruncated = false;
  let total = 0;
  const sample: unknown[] = [];
  try {
    for await (const { record, value } of records) {
      total++;
      let problems: SchemaError[];
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        problems = [NOT_AN_OBJECT];
      } else if (depthExceeds(value, ctx.limits.maxDepth)) {
        throw new ApiError("payload_too_large", `Record ${record} is nested deeper than the limit of ${ctx.limits.maxDepth} levels.`, {
          extra: { record, limit_depth: ctx.limits.maxDepth },
        });
      } else {
        problems = validate(ctx.compiled, value);
      }
      if (problems.length === 0) {
        await accepted.append(`${JSON.stringify(value)}\n`);
        if (sample.length < SAMPLE_PER_PUSH) sample.push(value);
        continue;
      }
      await rejected.append(`${JSON.stringify({ record, errors: problems, data: value })}\n`);
      for (const p of problems) {
        if (errors.length < ctx.limits.maxErrors) errors.push({ record, ...p });
        else errorsTruncated = true;
      }
    }
    const acceptedOut = await accepted.finish();
    const rejectedOut = await rejected.finish();
    const result: IngestResult = {
      records: total,
      accepted: acceptedOut.lines,
      rejected: rejectedOut.lines,
      errors,
      errorsTruncated,
      stored: false,
      quarantineKeys: [],
      sample,
    };
    if (ctx.dryRun) return result;

    const date = partitionDate(ctx.receivedAt);
    const storeAccepted = result.accepted > 0 && (result.rejected === 0 || ctx.partial);
    if (result.rejected > 0) {
      const key = r2Keys.quarantine(ctx.dataset.dataset_id, date, ctx.id, "rejected");
      await rejected.deliver(ctx.r2, key, baseMetadata(ctx, { records: String(result.rejected), sha256: rejectedOut.sha256 }));
      result.quarantineKeys.push(key);
    }
    if (result.accepted > 0 && !storeAccepted) {
      // The push is refused as a whole: its valid records are kept beside the rejected ones.
      const key = r2Keys.quarantine(ctx.dataset.dataset_id, date, ctx.id, "held");
      await accepted.deliver(ctx.r2, key, baseMetadata(ctx, { records: String(result.accepted), sha256: acceptedOut.sha256 }));
      result.quarantineKeys.push(key);
    }
    if (storeAccepted) {
      const key = r2Keys.records(ctx.dataset.dataset_id, date, ctx.id);
      await accepted.deliver(ctx.sink, key, baseMetadata(ctx, { records: String(result.accepted), sha256: acceptedOut.sha256 }));
      result.stored = true;
      result.objectKey = key;
      result.sha256 = acceptedOut.sha256;
    }
    return result;
  } catch (e) {
    await Promise.all([accepted.discard(), rejected.discard()]).catch(() => undefined);
    throw e;
  }
}

function baseMetadata(ctx: IngestContext, extra: Record<string, string>): Record<string, string> {
  return {
    client_id: ctx.clientId,
    company_id: ctx.dataset.company_id,
    dataset_id: ctx.dataset.dataset_id,
    schema_version: String(ctx.dataset.schema_version),
    received_at: ctx.receivedAt,
    ...ctx.metadata,
    ...extra,
  };
}

/** A schema fault the validator only meets on some record is reported on that record, not as a 500. */
function validate(compiled: CompiledSchema, value: unknown): SchemaError[] {
  try {
    return compiled.validate(value);
  } catch (e) {
    return [
      {
        path: "",
        keyword: "$schema",
        message: `The schema could not be evaluated for this record: ${e instanceof Error ? e.message : String(e)}`,
      },
    ];
  }
}
