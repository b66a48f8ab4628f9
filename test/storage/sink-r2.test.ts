import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { R2Sink } from "../../src/storage/sink-r2";
import { freshPrefix, RECORD_METADATA, sinkContract, storageError } from "./sink-contract";

describe("R2Sink", () => {
  sinkContract(() => new R2Sink(env.DATA));

  it("is named r2 and stores under the exact key in the DATA bucket, with a content type", async () => {
    const sink = new R2Sink(env.DATA);
    expect(sink.name).toBe("r2");
    const key = `${freshPrefix()}${crypto.randomUUID()}.ndjson`;
    const body = new TextEncoder().encode('{"a":1}\n{"a":2}\n');
    await sink.put(key, body, RECORD_METADATA);
    const object = await env.DATA.get(key);
    expect(object?.customMetadata).toEqual(RECORD_METADATA);
    expect(object?.httpMetadata?.contentType).toBe("application/x-ndjson");
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(body);
  });

  it("lists past R2's 1000-key page", async () => {
    const sink = new R2Sink(env.DATA);
    const prefix = freshPrefix();
    const keys = Array.from({ length: 1005 }, (_, i) => `${prefix}${String(i).padStart(4, "0")}.ndjson`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => env.DATA.put(key, "x")));
    }
    expect(await sink.list(prefix, 2000)).toEqual(keys);
    expect(await sink.list(prefix, 1002)).toEqual(keys.slice(0, 1002));
  });

  it("turns a failing binding into a retryable StorageError, and acknowledges nothing", async () => {
    const broken = new Proxy(env.DATA, {
      get(target, property) {
        if (["put", "get", "list", "delete", "createMultipartUpload"].includes(String(property))) {
          return () => Promise.reject(new Error("R2 is down"));
        }
        return Reflect.get(target, property);
      },
    });
    const sink = new R2Sink(broken);
    const key = `${freshPrefix()}x.ndjson`;
    for (const call of [
      sink.put(key, new Uint8Array(1), {}),
      sink.get(key),
      sink.list(key, 1),
      sink.delete(key),
      sink.startMultipart(key, {}),
    ]) {
      const error = await storageError(call);
      expect(error.retryable).toBe(true);
      expect(error.toApiError().status).toBe(503);
    }
    expect(await new R2Sink(env.DATA).get(key)).toBeUndefined();
  });

  it("a failing part upload is a retryable StorageError; the upload can still be aborted", async () => {
    const real = env.DATA;
    const withBrokenParts = new Proxy(real, {
      get(target, property) {
        if (property !== "createMultipartUpload") return Reflect.get(target, property);
        return async (key: string, options?: R2MultipartOptions) => {
          const upload = await real.createMultipartUpload(key, options);
          return new Proxy(upload, {
            get(u, p) {
              if (p === "uploadPart") return () => Promise.reject(new Error("connection reset"));
              const value = Reflect.get(u, p);
              return typeof value === "function" ? value.bind(u) : value;
            },
          });
        };
      },
    });
    const sink = new R2Sink(withBrokenParts);
    const key = `${freshPrefix()}part-fails.ndjson`;
    const writer = await sink.startMultipart(key, {});
    expect((await storageError(writer.uploadPart(new Uint8Array(10)))).retryable).toBe(true);
    // The failed part leaves a gap: completing is refused rather than storing a partial object.
    expect((await storageError(writer.complete())).retryable).toBe(false);
    await writer.abort();
    expect(await new R2Sink(env.DATA).get(key)).toBeUndefined();
  });
});
