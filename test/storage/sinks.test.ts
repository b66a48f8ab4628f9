import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { StorageError } from "../../src/storage/errors";
import { R2Sink } from "../../src/storage/sink-r2";
import { S3Sink } from "../../src/storage/sink-s3";
import { sinkFor } from "../../src/storage/sinks";
import { s3Env } from "../setup/s3";
import { freshPrefix, readAll } from "./sink-contract";

function configError(run: () => unknown): StorageError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

describe("sinkFor", () => {
  it("is R2 by default and with SINK = r2 (wrangler.toml sets r2)", () => {
    expect(env.SINK).toBe("r2");
    expect(sinkFor(env)).toBeInstanceOf(R2Sink);
    expect(sinkFor({ DATA: env.DATA })).toBeInstanceOf(R2Sink);
    expect(sinkFor({ DATA: env.DATA, SINK: " R2 " }).name).toBe("r2");
  });

  it("with SINK = s3 writes to the configured S3 endpoint", async () => {
    const sink = sinkFor({ ...env, ...s3Env() });
    expect(sink).toBeInstanceOf(S3Sink);
    const key = `${freshPrefix()}via-env.ndjson`;
    await sink.put(key, new Uint8Array([42]), { records: "1" });
    expect(await new R2Sink(env.DATA).get(key)).toBeUndefined(); // not in R2
    const stored = await sink.get(key);
    expect(await readAll(stored!)).toEqual(new Uint8Array([42]));
  });

  it("defaults S3_REGION (the test server checks the region: us-east-1 for a non-R2 endpoint)", async () => {
    const { S3_REGION: _, ...withoutRegion } = s3Env();
    const sink = sinkFor({ DATA: env.DATA, ...withoutRegion });
    await sink.put(`${freshPrefix()}region.ndjson`, new Uint8Array([1]), {});
  });

  it("with SINK = s3 and missing settings throws a non-retryable StorageError naming them, not their values", () => {
    const full = s3Env();
    for (const name of ["S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const) {
      const error = configError(() => sinkFor({ DATA: env.DATA, ...full, [name]: " " }));
      expect(error.retryable, name).toBe(false);
      const api = error.toApiError();
      expect(api.status).toBe(500);
      expect(String(api.internal)).toContain(name);
      const everything = JSON.stringify([error.message, String(error.cause), api.message, api.internal]);
      expect(everything).not.toContain(full.S3_SECRET_ACCESS_KEY);
      expect(everything).not.toContain(full.S3_ACCESS_KEY_ID);
    }
    expect(String(configError(() => sinkFor({ DATA: env.DATA, SINK: "s3" })).cause)).toContain(
      "S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY",
    );
  });

  it("refuses a bad endpoint, a bucket with a slash and an unknown SINK, without retry", () => {
    const full = s3Env();
    for (const overrides of [
      { S3_ENDPOINT: "not a url" },
      { S3_ENDPOINT: "ftp://127.0.0.1/" },
      { S3_ENDPOINT: "https://user:pw@s3.example.com" },
      { S3_BUCKET: "bucket/prefix" },
      { SINK: "gcs" },
    ]) {
      const error = configError(() => sinkFor({ DATA: env.DATA, ...full, ...overrides }));
      expect(error.retryable, JSON.stringify(overrides)).toBe(false);
      expect(String(error.cause)).not.toContain("pw@");
    }
  });
});
