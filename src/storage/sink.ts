/**
 * Where accepted records go: the R2 binding (default) or any S3-compatible endpoint, chosen by
 * `SINK` in wrangler.toml. Both store the same keys (API.md "Storage layout") with the same metadata.
 * Every method resolves only once the backend confirmed the write, and throws `StorageError`
 * (retryable when trying again can help) otherwise — so the caller acknowledges nothing unstored.
 */
export interface StoredObject {
  body: ReadableStream<Uint8Array>;
  size: number;
  metadata: Record<string, string>;
}

export interface MultipartWriter {
  /** Uploads the next part (every part but the last must be at least 5 MiB). */
  uploadPart(bytes: Uint8Array): Promise<void>;
  /** Makes the object visible, atomically, with the metadata given at start. */
  complete(): Promise<void>;
  /** Discards the parts uploaded so far. Never throws. */
  abort(): Promise<void>;
}

export interface Sink {
  readonly name: "r2" | "s3";
  /** Stores one whole object. */
  put(key: string, body: Uint8Array, metadata: Record<string, string>): Promise<void>;
  /** Stores one large object in parts; nothing is visible under `key` until `complete()`. */
  startMultipart(key: string, metadata: Record<string, string>): Promise<MultipartWriter>;
  get(key: string): Promise<StoredObject | undefined>;
  /** Removes an object (no error when it does not exist). */
  delete(key: string): Promise<void>;
  /** Up to `limit` keys under a prefix, in lexicographic order. */
  list(prefix: string, limit: number): Promise<string[]>;
}

/** S3 requires parts of at least 5 MiB (but the last); R2 the same. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
