import type { Context, Hono } from "hono";
import { authorizeDataset } from "../auth/authorize";
import type { HonoEnv } from "../env";
import { ApiError, problemResponse } from "../errors";
import { bodyFormat, decodedBody } from "../ingest/body";
import { claimKey, fingerprint, parseIdempotencyKey, type StoredResponse } from "../ingest/idempotency";
import { type IngestResult, ingestRecords } from "../ingest/ingest";
import { pushLimits } from "../ingest/limits";
import { readRecords } from "../ingest/records";
import { envelope } from "../lib/envelope";
import { booleanQuery } from "../lib/input";
import { addToRecentSample, putReceipt } from "../storage/receipts";
import { type Dataset, Registry } from "../storage/registry";
import { R2Sink } from "../storage/sink-r2";
import { sinkFor } from "../storage/sinks";

/** `POST /data/json?dataset_id=…`: validate every record of a push and store it durably. */
export function registerDataJson(app: Hono<HonoEnv>): void {
  app.post("/data/json", async (c) => {
    // Validated input.
    const partial = booleanQuery(c.req.query("partial"), "partial");
    const dryRun = booleanQuery(c.req.query("dry_run"), "dry_run");
    const format = bodyFormat(c.req.header("Content-Type"));
    const idempotencyKey = parseIdempotencyKey(c.req.header("Idempotency-Key"));
    const limits = pushLimits(c.env);
    // Services.
    const client = c.get("client");
    const registry = new Registry(c.env);
    // Authorisation.
    const dataset = await authorizeDataset(c, c.req.query("dataset_id"));
    const compiled = await registry.compiled(dataset.dataset_id, dataset.schema_version);
    if (!compiled) {
      throw new ApiError("unavailable", "The dataset's schema is not readable yet; retry shortly.", { headers: { "Retry-After": "5" } });
    }
    // Storage.
    const hashBody = idempotencyKey !== undefined && !dryRun;
    const { stream, rawDigest } = decodedBody(c.req.raw, limits.maxBodyBytes, hashBody);
    // The same bytes sent as `gzip`, `GZip` or `x-gzip` are the same request.
    const encoding = /^\s*(x-)?gzip\s*$/i.test(c.req.header("Content-Encoding") ?? "") ? "gzip" : "identity";
    const requestFingerprint = async () => fingerprint(await rawDigest, [format, encoding, String(partial)]);

    // Dry runs store nothing, so they neither claim nor replay a key.
    const claim = hashBody ? await claimKey(c.env.DATA, client.client_id, dataset.dataset_id, idempotencyKey) : undefined;
    if (claim?.kind === "replay") {
      await stream.pipeTo(new WritableStream()).catch(() => undefined);
      if ((await requestFingerprint()) !== claim.fingerprint) {
        throw new ApiError("unprocessable", "This Idempotency-Key was already used with a different request body.", {
          extra: { field: "Idempotency-Key" },
        });
      }
      return replay(c, claim.response);
    }

    const submissionId = crypto.randomUUID();
    const receivedAt = new Date().toISOString();
    let response: Response;
    try {
      const result = await ingestRecords(
        {
          dataset,
          compiled,
          clientId: client.client_id,
          sink: sinkFor(c.env),
          r2: new R2Sink(c.env.DATA),
          limits,
          id: submissionId,
          receivedAt,
          partial,
          dryRun,
          metadata: { submission_id: submissionId },
        },
        readRecords(stream, format, limits),
      );
      c.set("counts", { records: result.records, accepted: result.accepted, rejected: result.rejected });
      response = await respond(c, dataset, result, { submissionId, receivedAt, partial, dryRun });
    } catch (e) {
      if (claim?.kind === "claimed") {
        if (e instanceof ApiError && e.status < 500) {
          await claim.complete(await requestFingerprint().catch(() => ""), await toStored(problemResponse(e, c.get("requestId"))));
        } else {
          await claim.release(); // a failure on our side: the client may retry with the same key
        }
      }
      throw e;
    }
    if (claim?.kind === "claimed") await claim.complete(await requestFingerprint(), await toStored(response.clone()));
    return response;
  });
}

async function respond(
  c: Context<HonoEnv>,
  dataset: Dataset,
  result: IngestResult,
  opts: { submissionId: string; receivedAt: string; partial: boolean; dryRun: boolean },
): Promise<Response> {
  const rejectedList = result.rejected > 0 ? { errors: result.errors, errors_truncated: result.errorsTruncated } : {};
  const acceptedAsWhole = result.rejected === 0 || (opts.partial && result.accepted > 0);
  if (!acceptedAsWhole) {
    throw new ApiError(
      "unprocessable",
      `${result.rejected} of ${result.records} records do not validate against schema version ${dataset.schema_version}; ${opts.dryRun ? "this was a dry run" : "nothing was stored in the dataset"}.`,
      {
        extra: {
          dataset_id: dataset.dataset_id,
          schema_version: dataset.schema_version,
          records: result.records,
          accepted: 0,
          rejected: result.rejected,
          ...rejectedList,
          ...(opts.dryRun ? { dry_run: true } : { quarantine_id: opts.submissionId }),
        },
      },
    );
  }
  const client = c.get("client");
  if (!opts.dryRun) {
    await putReceipt(c.env.DATA, {
      submission_id: opts.submissionId,
      dataset_id: dataset.dataset_id,
      company_id: dataset.company_id,
      client_id: client.client_id,
      schema_version: dataset.schema_version,
      records: result.records,
      accepted: result.accepted,
      rejected: result.rejected,
      received_at: opts.receivedAt,
      partial: opts.partial,
      object_key: result.objectKey!,
      sha256: result.sha256!,
      quarantine_keys: result.quarantineKeys,
    });
    c.executionCtx.waitUntil(
      addToRecentSample(c.env.DATA, dataset.dataset_id, result.sample).catch((e) =>
        console.error(JSON.stringify({ level: "warn", msg: "recent sample not updated", reason: String(e) })),
      ),
    );
  }
  return envelope(
    c,
    "DataSubmission",
    [
      {
        submission_id: opts.submissionId,
        dataset_id: dataset.dataset_id,
        schema_version: dataset.schema_version,
        records: result.records,
        accepted: result.accepted,
        rejected: result.rejected,
        received_at: opts.receivedAt,
        ...rejectedList,
        ...(opts.dryRun ? { dry_run: true } : {}),
      },
    ],
    202,
  );
}

async function toStored(response: Response): Promise<StoredResponse> {
  return {
    status: response.status,
    body: await response.text(),
    content_type: response.headers.get("Content-Type") ?? "application/json",
  };
}

/**
 * The first response, byte for byte. A replay is the same transaction, so its `X-Request-Id` is the
 * original `transaction_id` too.
 */
function replay(c: Context<HonoEnv>, stored: StoredResponse): Response {
  try {
    const original = JSON.parse(stored.body) as { meta?: { transaction_id?: string }; transaction_id?: string };
    const id = original.meta?.transaction_id ?? original.transaction_id;
    if (id) c.set("requestId", id);
  } catch {
    // Stored bodies are always JSON; if not, the new request id stands.
  }
  return new Response(stored.body, {
    status: stored.status,
    headers: { "Content-Type": stored.content_type, "Idempotent-Replayed": "true" },
  });
}
