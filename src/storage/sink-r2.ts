import { StorageError, storage } from "./errors";
import type { MultipartWriter, Sink, StoredObject } from "./sink";
import { checkKey, checkMetadata, checkParts, contentTypeFor, invalid, MAX_PARTS, sha256Hex } from "./sink-common";

/** The default sink: the `DATA` R2 binding. */
export class R2Sink implements Sink {
  readonly name = "r2";

  constructor(private readonly bucket: R2Bucket) {}

  async put(key: string, body: Uint8Array, metadata: Record<string, string>): Promise<void> {
    checkKey("r2 put", key);
    checkMetadata("r2 put", metadata);
    // R2 checks the bytes it received against the hash, and refuses the write on a mismatch.
    const sha256 = await sha256Hex(body);
    const stored = await storage("r2 put", () =>
      this.bucket.put(key, body, {
        customMetadata: metadata,
        httpMetadata: { contentType: contentTypeFor(key) },
        sha256,
      }),
    );
    // Only a conditional put answers null, and this one has no condition: never acknowledge it.
    if (stored === null) throw new StorageError("r2 put", true, new Error("R2 put returned no object"));
  }

  async startMultipart(key: string, metadata: Record<string, string>): Promise<MultipartWriter> {
    checkKey("r2 create multipart upload", key);
    checkMetadata("r2 create multipart upload", metadata);
    const upload = await storage("r2 create multipart upload", () =>
      this.bucket.createMultipartUpload(key, {
        customMetadata: metadata,
        httpMetadata: { contentType: contentTypeFor(key) },
      }),
    );
    return new R2MultipartWriter(upload);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    checkKey("r2 get", key);
    const object = await storage("r2 get", () => this.bucket.get(key));
    if (object === null) return undefined;
    return { body: object.body, size: object.size, metadata: { ...object.customMetadata } };
  }

  async delete(key: string): Promise<void> {
    checkKey("r2 delete", key);
    await storage("r2 delete", () => this.bucket.delete(key));
  }

  async list(prefix: string, limit: number): Promise<string[]> {
    const max = Math.max(0, Math.floor(limit));
    const keys: string[] = [];
    let cursor: string | undefined;
    while (keys.length < max) {
      const page = await storage("r2 list", () => this.bucket.list({ prefix, limit: Math.min(1000, max - keys.length), cursor }));
      for (const object of page.objects) keys.push(object.key);
      if (!page.truncated) break;
      cursor = page.cursor;
    }
    return keys.slice(0, max);
  }
}

class R2MultipartWriter implements MultipartWriter {
  /** Per part number - 1: what R2 answered, and the size, for the checks before completing. */
  private readonly parts: Array<{ part?: R2UploadedPart; size: number } | undefined> = [];
  private state: "open" | "completed" | "aborted" = "open";

  constructor(private readonly upload: R2MultipartUpload) {}

  async uploadPart(bytes: Uint8Array): Promise<void> {
    if (this.state !== "open") throw invalid("r2 upload part", `multipart upload is ${this.state}`);
    // Numbered before the first await, so that concurrent calls get distinct part numbers.
    const index = this.parts.length;
    if (index >= MAX_PARTS) throw invalid("r2 upload part", `more than ${MAX_PARTS} parts`);
    this.parts.push(undefined);
    const part = await storage("r2 upload part", () => this.upload.uploadPart(index + 1, bytes));
    this.parts[index] = { part, size: bytes.byteLength };
  }

  async complete(): Promise<void> {
    if (this.state !== "open") throw invalid("r2 complete multipart upload", `multipart upload is ${this.state}`);
    checkParts(
      "r2 complete multipart upload",
      Array.from(this.parts, (p) => p?.size),
    );
    const parts = this.parts.map((p) => p!.part!);
    await storage("r2 complete multipart upload", () => this.upload.complete(parts));
    this.state = "completed";
  }

  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    try {
      await this.upload.abort();
    } catch (e) {
      // Nothing was made visible; R2 aborts incomplete uploads by itself after 7 days (default lifecycle).
      console.warn(JSON.stringify({ message: "r2 abort multipart upload failed", error: String(e) }));
    }
  }
}
