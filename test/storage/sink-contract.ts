/**
 * The behaviour every Sink must have (src/storage/sink.ts), run against each implementation by
 * sink-r2.test.ts and sink-s3.test.ts — so both store the same keys with the same metadata.
 */
import { describe, expect, it } from "vitest";
import { StorageError } from "../../src/storage/errors";
import { MIN_PART_BYTES, type Sink, type StoredObject } from "../../src/storage/sink";
import { sha256Hex } from "../../src/storage/sink-common";

/** `count` bytes covering every byte value, different on every call. */
export function randomBytes(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  for (let offset = 0; offset < count; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(count, offset + 65536)));
  }
  for (let i = 0; i < Math.min(256, count); i++) bytes[i] = i;
  return bytes;
}

export async function readAll(object: StoredObject): Promise<Uint8Array> {
  return new Uint8Array(await new Response(object.body).arrayBuffer());
}

/** A fresh prefix under the storage layout, so test files sharing a bucket never see each other's keys. */
export function freshPrefix(): string {
  return `datasets/${crypto.randomUUID()}/date=2026-12-03/`;
}

/** The StorageError a promise rejects with (fails the test if it resolves or throws something else). */
export async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "expected a StorageError").toBeInstanceOf(StorageError);
  return error as StorageError;
}

export const RECORD_METADATA = {
  client_id: "0b7f6c1e-8a43-4d55-9a43-1f0f0c9b2a11",
  company_id: "acme",
  schema_version: "3",
  records: "2",
  received_at: "2026-12-03T10:11:12.345Z",
  sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
};

export function sinkContract(makeSink: () => Sink): void {
  describe("the Sink contract", () => {
    it("put then get gives back the bytes byte for byte, their size and the metadata", async () => {
      const sink = makeSink();
      const key = `${freshPrefix()}${crypto.randomUUID()}.ndjson`;
      const body = randomBytes(70_000);
      await sink.put(key, body, RECORD_METADATA);

      const stored = await sink.get(key);
      expect(stored).toBeDefined();
      expect(stored!.size).toBe(body.byteLength);
      expect(stored!.metadata).toEqual(RECORD_METADATA);
      const read = await readAll(stored!);
      expect(read.byteLength).toBe(body.byteLength);
      expect(await sha256Hex(read)).toBe(await sha256Hex(body));
    });

    it("keeps metadata values that are not plain ASCII tokens exactly", async () => {
      const sink = makeSink();
      const key = `${freshPrefix()}meta.ndjson`;
      const metadata = {
        file_name: "Bohrloch Müller – Nord №1.csv",
        spaced: "  two  spaces and trailing ",
        empty: "",
        encoded_looking: "=?UTF-8?B?aGk=?=",
        tab: "a\tb",
        emoji: "🛢️",
      };
      await sink.put(key, new TextEncoder().encode('{"a":1}\n'), metadata);
      const stored = await sink.get(key);
      await stored?.body.cancel();
      expect(stored?.metadata).toEqual(metadata);
    });

    it("an empty object round-trips", async () => {
      const sink = makeSink();
      const key = `${freshPrefix()}empty.ndjson`;
      await sink.put(key, new Uint8Array(0), { records: "0" });
      const stored = await sink.get(key);
      expect(stored?.size).toBe(0);
      expect((await readAll(stored!)).byteLength).toBe(0);
      expect(stored?.metadata).toEqual({ records: "0" });
    });

    it("get of a key never written is undefined", async () => {
      expect(await makeSink().get(`${freshPrefix()}missing.ndjson`)).toBeUndefined();
    });

    it("delete removes an object, and deleting a missing key is no error", async () => {
      const sink = makeSink();
      const key = `${freshPrefix()}gone.ndjson`;
      await sink.put(key, new Uint8Array([1, 2, 3]), {});
      await sink.delete(key);
      expect(await sink.get(key)).toBeUndefined();
      await sink.delete(key);
    });

    it("list gives the keys under a prefix, in lexicographic order, at most `limit`", async () => {
      const sink = makeSink();
      const prefix = freshPrefix();
      const names = ["b.ndjson", "a.ndjson", "c/d.ndjson", "a b+c=d!.ndjson", "ä.ndjson"];
      for (const name of names) await sink.put(`${prefix}${name}`, new Uint8Array([1]), {});
      await sink.put(`${prefix.slice(0, -1)}x/other.ndjson`, new Uint8Array([1]), {}); // a sibling, not under it

      const expected = names.map((n) => `${prefix}${n}`).sort();
      expect(await sink.list(prefix, 100)).toEqual(expected);
      expect(await sink.list(prefix, 2)).toEqual(expected.slice(0, 2));
      expect(await sink.list(prefix, 0)).toEqual([]);
      expect(await sink.list(`${prefix}c/`, 100)).toEqual([`${prefix}c/d.ndjson`]);
      expect(await sink.list(freshPrefix(), 100)).toEqual([]);
    });

    it("stores keys with characters URLs and signatures treat specially under exactly that key", async () => {
      const sink = makeSink();
      const prefix = freshPrefix();
      const key = `${prefix}uploads/a b+c%20d=e&f?g#h!'()*~;,@$[]/Müller №1.csv`;
      const body = new TextEncoder().encode("a,b\n1,2\n");
      await sink.put(key, body, { file_name: "Müller №1.csv" });
      expect(await sink.list(prefix, 10)).toEqual([key]);
      const stored = await sink.get(key);
      expect(await readAll(stored!)).toEqual(body);
      // Not found under what the key would be after a wrong decoding of its escapes.
      expect(await sink.get(`${prefix}uploads/a b+c d=e&f?g#h!'()*~;,@$[]/Müller №1.csv`)).toBeUndefined();
    });

    it("a 2-part multipart upload (5 MiB + a small last part) is invisible until complete, then whole", async () => {
      const sink = makeSink();
      const prefix = freshPrefix();
      const key = `${prefix}${crypto.randomUUID()}.ndjson`;
      const first = randomBytes(MIN_PART_BYTES);
      const last = randomBytes(12_345);
      const writer = await sink.startMultipart(key, RECORD_METADATA);
      await writer.uploadPart(first);
      expect(await sink.get(key)).toBeUndefined();
      await writer.uploadPart(last);
      expect(await sink.get(key)).toBeUndefined();
      expect(await sink.list(prefix, 10)).toEqual([]);

      await writer.complete();
      const stored = await sink.get(key);
      expect(stored?.size).toBe(first.byteLength + last.byteLength);
      expect(stored?.metadata).toEqual(RECORD_METADATA);
      const whole = new Uint8Array(first.byteLength + last.byteLength);
      whole.set(first);
      whole.set(last, first.byteLength);
      expect(await sha256Hex(await readAll(stored!))).toBe(await sha256Hex(whole));
      expect(await sink.list(prefix, 10)).toEqual([key]);

      await writer.abort(); // after complete: a no-op, the object stays
      expect((await sink.get(key))?.size).toBe(whole.byteLength);
    });

    it("an aborted multipart upload leaves nothing, and takes no more parts", async () => {
      const sink = makeSink();
      const prefix = freshPrefix();
      const key = `${prefix}aborted.ndjson`;
      const writer = await sink.startMultipart(key, RECORD_METADATA);
      await writer.uploadPart(randomBytes(MIN_PART_BYTES));
      await writer.abort();
      await writer.abort(); // never throws
      expect(await sink.get(key)).toBeUndefined();
      expect(await sink.list(prefix, 10)).toEqual([]);
      expect((await storageError(writer.uploadPart(new Uint8Array(1)))).retryable).toBe(false);
      expect((await storageError(writer.complete())).retryable).toBe(false);
      expect(await sink.get(key)).toBeUndefined();
    });

    it("refuses to complete when a part but the last is under 5 MiB, or there is no part", async () => {
      const sink = makeSink();
      const key = `${freshPrefix()}small.ndjson`;
      const writer = await sink.startMultipart(key, {});
      await writer.uploadPart(randomBytes(1000));
      await writer.uploadPart(randomBytes(1000));
      const error = await storageError(writer.complete());
      expect(error.retryable).toBe(false);
      await writer.abort();
      expect(await sink.get(key)).toBeUndefined();

      const empty = await sink.startMultipart(key, {});
      expect((await storageError(empty.complete())).retryable).toBe(false);
      await empty.abort();
      expect(await sink.get(key)).toBeUndefined();
    });

    it("a single small part is a valid multipart upload", async () => {
      const sink = makeSink();
      const key = `${freshPrefix()}one-part.ndjson`;
      const body = randomBytes(100);
      const writer = await sink.startMultipart(key, { records: "1" });
      await writer.uploadPart(body);
      await writer.complete();
      const stored = await sink.get(key);
      expect(await readAll(stored!)).toEqual(body);
      expect(stored?.metadata).toEqual({ records: "1" });
    });

    it("refuses, without retry, keys and metadata the other sink could not store the same way", async () => {
      const sink = makeSink();
      const prefix = freshPrefix();
      for (const key of ["", `${prefix}../x`, `${prefix}./x`, `${prefix}a\nb`, `${prefix}\ud800`, `${prefix}${"x".repeat(1025)}`]) {
        expect((await storageError(sink.put(key, new Uint8Array(1), {}))).retryable, JSON.stringify(key)).toBe(false);
      }
      const badMetadata: Array<Record<string, string>> = [{ Client_ID: "x" }, { "a b": "x" }, { a: "\udc00" }, { big: "x".repeat(3000) }];
      for (const metadata of badMetadata) {
        const error = await storageError(sink.put(`${prefix}m.ndjson`, new Uint8Array(1), metadata));
        expect(error.retryable, JSON.stringify(Object.keys(metadata))).toBe(false);
        const multipart = await storageError(sink.startMultipart(`${prefix}m.ndjson`, metadata));
        expect(multipart.retryable).toBe(false);
      }
      expect(await sink.list(prefix, 10)).toEqual([]);
    });
  });
}
