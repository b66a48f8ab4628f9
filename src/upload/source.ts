import type { Bindings } from "../env";
import { StorageError, storage } from "../storage/errors";
import { type S3Config, S3Http } from "../storage/sink-s3";
import { s3ConfigFrom } from "../storage/sinks";
import type { UploadBackend } from "./config";

/** What processing needs to know of an uploaded file before reading it. */
export interface UploadedObject {
  size: number;
  etag: string;
  uploaded?: Date;
}

/**
 * Where an uploaded file is read from: the R2 binding (worker backend) or the S3-compatible
 * endpoint (s3 backend). Reads start at a byte offset (a checkpoint) and only succeed while the
 * object is still the version processing started on (its etag), so a file replaced midway is noticed.
 */
export interface FileSource {
  head(key: string): Promise<UploadedObject | undefined>;
  /** The bytes from `offset` to the end; "changed" when the object is no longer `etag`; undefined when gone. */
  read(key: string, offset: number, etag: string): Promise<ReadableStream<Uint8Array> | "changed" | undefined>;
}

export function fileSourceFor(env: Bindings, backend: UploadBackend): FileSource {
  return backend === "s3" ? new S3FileSource(s3ConfigFrom(env)) : new R2FileSource(env.DATA);
}

export class R2FileSource implements FileSource {
  constructor(private readonly bucket: R2Bucket) {}

  async head(key: string): Promise<UploadedObject | undefined> {
    const object = await storage("r2.head upload", () => this.bucket.head(key));
    return object ? { size: object.size, etag: object.etag, uploaded: object.uploaded } : undefined;
  }

  async read(key: string, offset: number, etag: string): Promise<ReadableStream<Uint8Array> | "changed" | undefined> {
    const object = await storage("r2.get upload", () =>
      this.bucket.get(key, { onlyIf: { etagMatches: etag }, ...(offset > 0 ? { range: { offset } } : {}) }),
    );
    if (object === null) return undefined;
    // A failed precondition answers the object's metadata without a body.
    if (!("body" in object)) return "changed";
    return object.body;
  }
}

/**
 * Uploads on the S3 backend, read through the sink's S3 client (the same signing, URLs, timeout and
 * failure handling as the records sink).
 */
export class S3FileSource implements FileSource {
  readonly #http: S3Http;

  constructor(config: S3Config) {
    this.#http = new S3Http(config);
  }

  private send(operation: string, method: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.#http.request(operation, method, this.#http.url(key), { headers });
  }

  async head(key: string): Promise<UploadedObject | undefined> {
    const res = await this.send("s3 head upload", "HEAD", key);
    await res.body?.cancel();
    if (res.status === 404) return undefined;
    if (!res.ok) throw s3Error("s3 head upload", res);
    const lastModified = res.headers.get("last-modified");
    return {
      size: Number(res.headers.get("content-length") ?? 0),
      etag: res.headers.get("etag") ?? "",
      uploaded: lastModified ? new Date(lastModified) : undefined,
    };
  }

  async read(key: string, offset: number, etag: string): Promise<ReadableStream<Uint8Array> | "changed" | undefined> {
    const headers: Record<string, string> = {};
    if (etag) headers["if-match"] = etag;
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const res = await this.send("s3 get upload", "GET", key, headers);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status === 412) {
      await res.body?.cancel();
      return "changed";
    }
    if (!res.ok || res.body === null) {
      await res.body?.cancel();
      throw s3Error("s3 get upload", res);
    }
    if (offset > 0 && res.status !== 206) {
      // A server that ignores Range sends the whole object: skip to the offset here.
      return res.body.pipeThrough(skipBytes(offset));
    }
    return res.body;
  }
}

function s3Error(operation: string, res: Response): StorageError {
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  return new StorageError(operation, retryable, new Error(`S3 answered ${res.status}`));
}

function skipBytes(count: number): TransformStream<Uint8Array, Uint8Array> {
  let remaining = count;
  return new TransformStream({
    transform(chunk, controller) {
      if (remaining >= chunk.byteLength) {
        remaining -= chunk.byteLength;
        return;
      }
      controller.enqueue(remaining > 0 ? chunk.subarray(remaining) : chunk);
      remaining = 0;
    },
  });
}
