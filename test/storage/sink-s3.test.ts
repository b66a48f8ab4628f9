/**
 * The S3 sink against a real S3-compatible server on loopback (s3rver behind a SigV4-checking front,
 * test/setup/s3-server.ts): no stubbed fetch.
 */
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import type { StorageError } from "../../src/storage/errors";
import { MIN_PART_BYTES } from "../../src/storage/sink";
import { rfc3986, S3Sink } from "../../src/storage/sink-s3";
import { type S3TestOptions, s3Config, s3Server } from "../setup/s3";
import { freshPrefix, RECORD_METADATA, randomBytes, readAll, sinkContract, storageError } from "./sink-contract";

function sink(options: S3TestOptions = {}): S3Sink {
  return new S3Sink(s3Config(options));
}

/** What an error could show anywhere: its message, its cause and the API error made from it. */
function everythingIn(error: StorageError): string {
  const api = error.toApiError();
  return JSON.stringify([error.message, String(error.cause), api.message, api]) + String(api.internal ?? "");
}

function expectNoSecrets(error: StorageError): void {
  const text = everythingIn(error);
  expect(text).not.toContain(s3Server().secretAccessKey);
  expect(text).not.toContain("Signature=");
}

/** Every sink operation, each against a fresh key. */
function everyOperation(target: S3Sink): Array<[string, () => Promise<unknown>]> {
  const key = () => `${freshPrefix()}${crypto.randomUUID()}.ndjson`;
  return [
    ["put", () => target.put(key(), new Uint8Array([1, 2, 3]), RECORD_METADATA)],
    ["get", () => target.get(key())],
    ["delete", () => target.delete(key())],
    ["list", () => target.list(freshPrefix(), 10)],
    ["startMultipart", () => target.startMultipart(key(), RECORD_METADATA)],
  ];
}

describe("S3Sink", () => {
  sinkContract(() => sink());

  it("writes path-style {endpoint}/{bucket}/{key} URLs with x-amz-meta-* headers and a content type", async () => {
    const server = s3Server();
    const s3 = sink();
    expect(s3.name).toBe("s3");
    const key = `${freshPrefix()}${crypto.randomUUID()}.ndjson`;
    const body = new TextEncoder().encode('{"a":1}\n');
    await s3.put(key, body, RECORD_METADATA);

    // Read it back with a request of our own, not through the sink.
    const client = new AwsClient({
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      service: "s3",
      region: server.region,
      retries: 0,
    });
    const url = `${server.endpoint}/${server.bucket}/${key.split("/").map(rfc3986).join("/")}`;
    const res = await client.fetch(url, {
      headers: { "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(body);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    for (const [name, value] of Object.entries(RECORD_METADATA)) {
      expect(res.headers.get(`x-amz-meta-${name}`), name).toBe(value);
    }
  });

  it("lists past S3's 1000-key page (ListObjectsV2 continuation)", async () => {
    const s3 = sink();
    const prefix = freshPrefix();
    const keys = Array.from({ length: 1003 }, (_, i) => `${prefix}${String(i).padStart(4, "0")}.ndjson`);
    for (let i = 0; i < keys.length; i += 25) {
      await Promise.all(keys.slice(i, i + 25).map((key) => s3.put(key, new Uint8Array([1]), {})));
    }
    expect(await s3.list(prefix, 5000)).toEqual(keys);
    expect(await s3.list(prefix, 1001)).toEqual(keys.slice(0, 1001));
  }, 120_000);

  describe("failures", () => {
    it("a refused connection is a retryable StorageError on every operation", async () => {
      for (const [name, run] of everyOperation(sink({ refusing: true }))) {
        const error = await storageError(run());
        expect(error.retryable, name).toBe(true);
        expect(error.toApiError().status, name).toBe(503);
        expectNoSecrets(error);
      }
    });

    it("503 SlowDown is a retryable StorageError, answered at once (no hidden retries)", async () => {
      const started = Date.now();
      for (const [name, run] of everyOperation(sink({ bucket: s3Server().faultBuckets.unavailable }))) {
        const error = await storageError(run());
        expect(error.retryable, name).toBe(true);
        expect(String(error.cause), name).toContain("503 SlowDown");
      }
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("a server that never answers is a retryable StorageError after the timeout", async () => {
      const s3 = sink({ bucket: s3Server().faultBuckets.hang, timeoutMs: 300 });
      const started = Date.now();
      const error = await storageError(s3.put(`${freshPrefix()}x.ndjson`, new Uint8Array([1]), {}));
      expect(error.retryable).toBe(true);
      expect(String(error.cause)).toContain("no answer within 300 ms");
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("a wrong secret key is refused (SignatureDoesNotMatch): not retryable, nothing stored", async () => {
      const key = `${freshPrefix()}x.ndjson`;
      const wrong = sink({ secretAccessKey: "not-the-secret-0000000000000000000000000" });
      const error = await storageError(wrong.put(key, new Uint8Array([1]), RECORD_METADATA));
      expect(error.retryable).toBe(false);
      expect(error.toApiError().status).toBe(500);
      expect(String(error.cause)).toContain("403 SignatureDoesNotMatch");
      expect(everythingIn(error)).not.toContain("not-the-secret");
      expectNoSecrets(error);
      expect(await sink().get(key)).toBeUndefined();
      for (const [name, run] of everyOperation(wrong)) {
        expect((await storageError(run())).retryable, name).toBe(false);
      }
    });

    it("an unknown access key id, a wrong region or a missing bucket is not retryable", async () => {
      const cases: Array<[S3TestOptions, string]> = [
        [{ accessKeyId: "AKIAUNKNOWN000000000" }, "403 InvalidAccessKeyId"],
        [{ region: "eu-west-3" }, "400 AuthorizationHeaderMalformed"],
        [{ bucket: "no-such-bucket" }, "404 NoSuchBucket"],
      ];
      for (const [options, expected] of cases) {
        const error = await storageError(sink(options).put(`${freshPrefix()}x.ndjson`, new Uint8Array([1]), {}));
        expect(error.retryable, expected).toBe(false);
        expect(String(error.cause)).toContain(expected);
        expectNoSecrets(error);
      }
      // A missing bucket is no "missing object" either.
      const noBucket = sink({ bucket: "no-such-bucket" });
      expect((await storageError(noBucket.get(`${freshPrefix()}x.ndjson`))).retryable).toBe(false);
      expect((await storageError(noBucket.delete(`${freshPrefix()}x.ndjson`))).retryable).toBe(false);
    });

    it("CompleteMultipartUpload answered 200 with an <Error> body fails, and nothing becomes visible", async () => {
      const key = `${freshPrefix()}${crypto.randomUUID()}.ndjson`;
      const faulty = sink({ bucket: s3Server().faultBuckets.completeError }); // otherwise the main bucket
      const writer = await faulty.startMultipart(key, RECORD_METADATA);
      await writer.uploadPart(randomBytes(MIN_PART_BYTES));
      await writer.uploadPart(randomBytes(10));
      const error = await storageError(writer.complete());
      expect(error.retryable).toBe(true);
      expect(String(error.cause)).toContain("InternalError");
      await writer.abort();
      expect(await sink().get(key)).toBeUndefined();
    });
  });

  it("decodes XML escapes in listed keys", async () => {
    const s3 = sink();
    const prefix = freshPrefix();
    const key = `${prefix}<a & "b">'c'.ndjson`;
    await s3.put(key, new Uint8Array([1]), {});
    expect(await s3.list(prefix, 10)).toEqual([key]);
    const stored = await s3.get(key);
    expect(await readAll(stored!)).toEqual(new Uint8Array([1]));
  });
});
