import type { Bindings } from "../env";

/** The push limits, configurable as `[vars]` in wrangler.toml (documented in the README). */
export interface PushLimits {
  /** Decompressed body bytes of one push. */
  maxBodyBytes: number;
  /** An `application/json` body is parsed whole, so it has a lower bound than streamed NDJSON. */
  maxJsonBodyBytes: number;
  maxRecords: number;
  /** Bytes of one NDJSON line (one record). */
  maxRecordBytes: number;
  /** Nesting depth of one record (objects and arrays). */
  maxDepth: number;
  /** Errors reported in one response (`errors_truncated: true` beyond). */
  maxErrors: number;
}

function positive(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export function pushLimits(env: Bindings): PushLimits {
  return {
    maxBodyBytes: positive(env.MAX_BODY_BYTES, 256 * 1024 * 1024),
    maxJsonBodyBytes: positive(env.MAX_JSON_BODY_BYTES, 32 * 1024 * 1024),
    maxRecords: positive(env.MAX_RECORDS, 1_000_000),
    maxRecordBytes: positive(env.MAX_RECORD_BYTES, 1024 * 1024),
    maxDepth: positive(env.MAX_DEPTH, 32),
    maxErrors: positive(env.MAX_ERRORS, 100),
  };
}
