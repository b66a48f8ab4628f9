import { AwsClient } from "aws4fetch";
import { StorageError } from "./errors";
import type { MultipartWriter, Sink, StoredObject } from "./sink";
import { checkKey, checkMetadata, checkParts, contentTypeFor, invalid, MAX_PARTS, sha256Hex } from "./sink-common";

/**
 * The sink for any S3-compatible endpoint (AWS S3, R2's S3 API, MinIO), with path-style URLs
 * `${endpoint}/${bucket}/${key}` and every request signed (AWS Signature V4, by aws4fetch) over a
 * SHA-256 of its body, so the server refuses altered bytes.
 *
 * Every failure is a StorageError: retryable for no answer, a timeout, 5xx and 429; not for other
 * 4xx (wrong credentials, missing bucket: a misconfiguration that retrying cannot mend). Error
 * messages carry the HTTP status and S3's error code, never a body, a header or a credential.
 *
 * Credentials need s3:PutObject, s3:GetObject, s3:ListBucket and s3:AbortMultipartUpload. Without
 * ListBucket, S3 answers a missing key with 403 instead of 404, and `get` then throws.
 */
export interface S3Config {
  /** e.g. `https://s3.us-east-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`. */
  endpoint: string;
  bucket: string;
  /** `auto` for R2; the bucket's region for AWS; MinIO defaults to `us-east-1`. */
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** How long to wait for a response's headers (the request body is sent within it). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** Error codes S3 gives for conditions that pass. */
const RETRYABLE_CODES = new Set(["SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"]);
/** Codes of a CompleteMultipartUpload that can never succeed as sent. */
const FINAL_COMPLETE_CODES = new Set([
  "AccessDenied",
  "EntityTooSmall",
  "InvalidPart",
  "InvalidPartOrder",
  "MalformedXML",
  "NoSuchBucket",
  "NoSuchUpload",
]);
const META_PREFIX = "x-amz-meta-";
const encoder = new TextEncoder();

export class S3Sink implements Sink {
  readonly name = "s3";
  readonly #http: S3Http;

  constructor(config: S3Config) {
    this.#http = new S3Http(config);
  }

  async put(key: string, body: Uint8Array, metadata: Record<string, string>): Promise<void> {
    const op = "s3 put";
    checkKey(op, key);
    checkMetadata(op, metadata);
    const res = await this.#http.request(op, "PUT", this.#http.url(key), {
      body,
      headers: { "content-type": contentTypeFor(key), ...metadataHeaders(metadata) },
    });
    await expectOk(op, res);
    await res.body?.cancel();
  }

  async startMultipart(key: string, metadata: Record<string, string>): Promise<MultipartWriter> {
    const op = "s3 create multipart upload";
    checkKey(op, key);
    checkMetadata(op, metadata);
    const res = await this.#http.request(op, "POST", this.#http.url(key, "uploads"), {
      headers: { "content-type": contentTypeFor(key), ...metadataHeaders(metadata) },
    });
    await expectOk(op, res);
    const xml = await res.text();
    const uploadId = xmlElement(xml, "UploadId");
    if (uploadId === undefined || uploadId === "") throw errorInBody(op, xml, false);
    return new S3MultipartWriter(this.#http, key, uploadId);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const op = "s3 get";
    checkKey(op, key);
    const res = await this.#http.request(op, "GET", this.#http.url(key));
    if (res.status === 404) {
      const code = xmlElement(await readCapped(res), "Code");
      // A missing bucket is a misconfiguration, not a missing object.
      if (code === "NoSuchBucket") throw new StorageError(op, false, new Error("S3 answered 404 NoSuchBucket"));
      return undefined;
    }
    await expectOk(op, res);
    const metadata: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      const lower = name.toLowerCase();
      if (lower.startsWith(META_PREFIX)) metadata[lower.slice(META_PREFIX.length)] = decodeMetadataValue(value);
    });
    const length = res.headers.get("content-length");
    if (res.body !== null && length !== null && /^\d+$/.test(length)) {
      return { body: res.body, size: Number(length), metadata };
    }
    // No length announced (chunked): read it to know the size.
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { body: new Response(bytes).body!, size: bytes.byteLength, metadata };
  }

  async delete(key: string): Promise<void> {
    const op = "s3 delete";
    checkKey(op, key);
    const res = await this.#http.request(op, "DELETE", this.#http.url(key));
    // S3 answers 204 whether or not the key existed; some compatible servers answer 404 NoSuchKey.
    if (res.status === 404) {
      const code = xmlElement(await readCapped(res), "Code");
      if (code === "NoSuchBucket") throw new StorageError(op, false, new Error("S3 answered 404 NoSuchBucket"));
      return;
    }
    await expectOk(op, res);
    await res.body?.cancel();
  }

  async list(prefix: string, limit: number): Promise<string[]> {
    const op = "s3 list";
    const max = Math.max(0, Math.floor(limit));
    const keys: string[] = [];
    let token: string | undefined;
    while (keys.length < max) {
      let query = `list-type=2&max-keys=${Math.min(1000, max - keys.length)}&prefix=${rfc3986(prefix)}`;
      if (token !== undefined) query += `&continuation-token=${rfc3986(token)}`;
      const res = await this.#http.request(op, "GET", this.#http.bucketUrl(query));
      await expectOk(op, res);
      const xml = await res.text();
      if (!/<ListBucketResult[\s>]/.test(xml)) throw errorInBody(op, xml, true);
      for (const contents of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = xmlElement(contents[1] ?? "", "Key");
        if (key !== undefined) keys.push(key);
      }
      token = xmlElement(xml, "NextContinuationToken");
      if (xmlElement(xml, "IsTruncated") !== "true" || !token) break;
    }
    return keys.slice(0, max);
  }
}

class S3MultipartWriter implements MultipartWriter {
  /** Per part number - 1: the ETag S3 gave and the size (undefined while uploading or after a failure). */
  private readonly parts: Array<{ etag: string; size: number } | undefined> = [];
  private state: "open" | "completed" | "aborted" = "open";

  constructor(
    private readonly http: S3Http,
    private readonly key: string,
    private readonly uploadId: string,
  ) {}

  async uploadPart(bytes: Uint8Array): Promise<void> {
    const op = "s3 upload part";
    if (this.state !== "open") throw invalid(op, `multipart upload is ${this.state}`);
    // Numbered before the first await, so that concurrent calls get distinct part numbers.
    const index = this.parts.length;
    if (index >= MAX_PARTS) throw invalid(op, `more than ${MAX_PARTS} parts`);
    this.parts.push(undefined);
    const query = `partNumber=${index + 1}&uploadId=${rfc3986(this.uploadId)}`;
    const res = await this.http.request(op, "PUT", this.http.url(this.key, query), { body: bytes });
    await expectOk(op, res);
    await res.body?.cancel();
    const etag = res.headers.get("etag");
    if (etag === null || etag === "") throw new StorageError(op, false, new Error("S3 answered a part without ETag"));
    this.parts[index] = { etag, size: bytes.byteLength };
  }

  async complete(): Promise<void> {
    const op = "s3 complete multipart upload";
    if (this.state !== "open") throw invalid(op, `multipart upload is ${this.state}`);
    checkParts(
      op,
      Array.from(this.parts, (p) => p?.size),
    );
    const xml =
      '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      this.parts.map((p, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(p!.etag)}</ETag></Part>`).join("") +
      "</CompleteMultipartUpload>";
    const query = `uploadId=${rfc3986(this.uploadId)}`;
    const res = await this.http.request(op, "POST", this.http.url(this.key, query), {
      body: encoder.encode(xml),
      headers: { "content-type": "application/xml" },
    });
    await expectOk(op, res);
    // S3 may answer 200 and report the failure in the body (it has sent the status before finishing).
    const answer = await res.text();
    if (!/<CompleteMultipartUploadResult[\s>]/.test(answer)) {
      const code = xmlElement(answer, "Code");
      throw errorInBody(op, answer, code === undefined || !FINAL_COMPLETE_CODES.has(code));
    }
    this.state = "completed";
  }

  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    const op = "s3 abort multipart upload";
    try {
      const res = await this.http.request(op, "DELETE", this.http.url(this.key, `uploadId=${rfc3986(this.uploadId)}`));
      await res.body?.cancel();
      if (!res.ok && res.status !== 404) throw new Error(`S3 answered ${res.status}`);
    } catch (e) {
      // Nothing was made visible; a bucket lifecycle rule should expire incomplete uploads.
      const reason = e instanceof StorageError && e.cause instanceof Error ? e.cause.message : String(e);
      console.warn(JSON.stringify({ message: "s3 abort multipart upload failed", reason }));
    }
  }
}

/** Signs and sends requests; the one place that holds the credentials (in a private field). */
export class S3Http {
  readonly #client: AwsClient;
  readonly #bucketUrl: string;
  readonly #timeoutMs: number;

  constructor(config: S3Config) {
    this.#client = new AwsClient({
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      service: "s3",
      region: config.region,
    });
    this.#bucketUrl = `${config.endpoint.replace(/\/+$/, "")}/${rfc3986(config.bucket)}`;
    this.#timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  url(key: string, query?: string): string {
    const path = key.split("/").map(rfc3986).join("/");
    return `${this.#bucketUrl}/${path}${query ? `?${query}` : ""}`;
  }

  bucketUrl(query: string): string {
    return `${this.#bucketUrl}?${query}`;
  }

  /** Resolves with any HTTP answer; throws a retryable StorageError when there is none in time. */
  async request(
    operation: string,
    method: string,
    url: string,
    init: { body?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("x-amz-content-sha256", await sha256Hex(init.body ?? new Uint8Array(0)));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      // Only signed here, and sent with plain fetch: AwsClient.fetch would retry 5xx up to 10 times with
      // backoff, while the caller decides about retries (the client gets 503 + Retry-After).
      const signed = await this.#client.sign(url, { method, headers, body: init.body, signal: controller.signal });
      return await fetch(signed);
    } catch (e) {
      const reason = controller.signal.aborted
        ? `no answer within ${this.#timeoutMs} ms`
        : e instanceof Error
          ? e.message.slice(0, 200)
          : "unknown error";
      throw new StorageError(operation, true, new Error(`S3 ${method} failed: ${reason}`));
    } finally {
      clearTimeout(timer);
    }
  }
}

async function expectOk(operation: string, res: Response): Promise<void> {
  if (res.ok) return;
  const code = xmlElement(await readCapped(res), "Code");
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408 || RETRYABLE_CODES.has(code ?? "");
  throw new StorageError(operation, retryable, new Error(`S3 answered ${res.status}${code ? ` ${code}` : ""}`));
}

/** A 2xx whose body is not the expected result: an `<Error>` in it, or something else entirely. */
function errorInBody(operation: string, body: string, retryable: boolean): StorageError {
  const code = /<Error[\s>]/.test(body) ? xmlElement(body, "Code") : undefined;
  const what = code ? `an error in its body: ${code}` : "an unexpected body";
  return new StorageError(operation, retryable, new Error(`S3 answered 2xx with ${what}`));
}

/** At most `max` bytes of an error body, as text; the rest is discarded. */
async function readCapped(res: Response, max = 16 * 1024): Promise<string> {
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // A body that breaks off says no more than its status.
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all.subarray(0, max));
}

/** Encodes a string for a URL path segment or query value the way SigV4 canonicalises it. */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The text of the first `<name>…</name>` element, XML-unescaped. */
export function xmlElement(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match ? unescapeXml(match[1] ?? "") : undefined;
}

export function unescapeXml(s: string): string {
  return s.replace(/&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(lt|gt|amp|quot|apos));/g, (whole, hex, dec, named) => {
    if (hex !== undefined) return safeCodePoint(parseInt(hex, 16), whole);
    if (dec !== undefined) return safeCodePoint(parseInt(dec, 10), whole);
    return { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }[named as "lt"];
  });
}

function safeCodePoint(n: number, fallback: string): string {
  return n <= 0x10ffff ? String.fromCodePoint(n) : fallback;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * `x-amz-meta-*` header values must be ASCII, and HTTP trims and folds whitespace. A value that would
 * not survive as is travels as an RFC 2047 encoded word (what S3 itself uses for non-ASCII metadata),
 * and `get` decodes it: both sinks give back exactly the metadata they were given.
 */
function metadataHeaders(metadata: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) headers[META_PREFIX + name] = encodeMetadataValue(value);
  return headers;
}

const PLAIN_HEADER_VALUE = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;
const ENCODED_WORD = /^=\?UTF-8\?B\?([A-Za-z0-9+/]*={0,2})\?=$/i;

export function encodeMetadataValue(value: string): string {
  if (PLAIN_HEADER_VALUE.test(value) && !value.startsWith("=?")) return value;
  let binary = "";
  for (const byte of encoder.encode(value)) binary += String.fromCharCode(byte);
  return `=?UTF-8?B?${btoa(binary)}?=`;
}

export function decodeMetadataValue(value: string): string {
  const match = ENCODED_WORD.exec(value);
  if (!match) return value;
  try {
    const binary = atob(match[1] ?? "");
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return value;
  }
}
