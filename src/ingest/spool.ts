import { toHex } from "../lib/crypto";
import { MIN_PART_BYTES, type MultipartWriter, type Sink } from "../storage/sink";

const encoder = new TextEncoder();

/**
 * Up to this many bytes an output is kept in memory; past it, it spills to a staging object in
 * parts of exactly this size (R2 requires every part but the last to have the same size).
 */
export const PART_BYTES = Math.max(8 * 1024 * 1024, MIN_PART_BYTES);

export interface SpoolResult {
  bytes: number;
  lines: number;
  sha256: string;
}

/**
 * Collects NDJSON output (accepted records, or rejected ones for quarantine) whose fate is decided
 * only when the whole push has been read. Small outputs stay in memory; a large one is written as a
 * multipart upload to a staging key, so memory stays bounded whatever the push size. `deliver` then
 * stores it under its final key with its final metadata (which includes the content's sha256, known
 * only at the end), and `discard` drops it.
 */
export class Spool {
  private chunks: Uint8Array[] = [];
  private pending = 0;
  private staged?: MultipartWriter;
  private totalBytes = 0;
  private lineCount = 0;
  private readonly digest = new crypto.DigestStream("SHA-256");
  private readonly hashWriter = this.digest.getWriter();

  constructor(
    /** Where a large output is staged (the R2 bucket), and under which key. */
    private readonly staging: Sink | undefined,
    private readonly stagingKey: string,
  ) {}

  get lines(): number {
    return this.lineCount;
  }

  async append(line: string): Promise<void> {
    const bytes = encoder.encode(line);
    this.lineCount++;
    this.totalBytes += bytes.byteLength;
    await this.hashWriter.write(bytes);
    if (!this.staging) return; // counting only (dry run)
    this.chunks.push(bytes);
    this.pending += bytes.byteLength;
    while (this.pending >= PART_BYTES) {
      this.staged ??= await this.staging.startMultipart(this.stagingKey, {});
      await this.staged.uploadPart(this.take(PART_BYTES));
    }
  }

  async finish(): Promise<SpoolResult> {
    await this.hashWriter.close();
    return { bytes: this.totalBytes, lines: this.lineCount, sha256: toHex(await this.digest.digest) };
  }

  /** Stores the output under `key` of `sink` with `metadata`; resolves once the sink confirmed it. */
  async deliver(sink: Sink, key: string, metadata: Record<string, string>): Promise<void> {
    if (!this.staging) throw new Error("a counting spool has nothing to deliver");
    if (!this.staged) {
      await sink.put(key, this.take(), metadata);
      return;
    }
    // Flush the tail, make the staging object whole, then copy it part by part to its final key.
    if (this.pending > 0) await this.staged.uploadPart(this.take());
    await this.staged.complete();
    this.staged = undefined;
    try {
      const source = await this.staging.get(this.stagingKey);
      if (!source) throw new Error("staging object vanished");
      const target = await sink.startMultipart(key, metadata);
      try {
        for await (const part of rechunk(source.body, PART_BYTES)) await target.uploadPart(part);
        await target.complete();
      } catch (e) {
        await target.abort();
        throw e;
      }
    } finally {
      await this.staging.delete(this.stagingKey).catch(() => undefined);
    }
  }

  async discard(): Promise<void> {
    this.chunks = [];
    this.pending = 0;
    if (this.staged) await this.staged.abort();
    this.staged = undefined;
  }

  /** Removes and returns the first `size` pending bytes (all of them by default). */
  private take(size = this.pending): Uint8Array {
    const all = concat(this.chunks, this.pending);
    const out = all.subarray(0, size);
    const rest = all.subarray(size);
    this.chunks = rest.byteLength > 0 ? [rest] : [];
    this.pending = rest.byteLength;
    return out;
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Regroups a byte stream into pieces of exactly `size` bytes (the last may be smaller). */
async function* rechunk(stream: ReadableStream<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let parts: Uint8Array[] = [];
  let pending = 0;
  for await (const chunk of stream) {
    parts.push(chunk);
    pending += chunk.byteLength;
    while (pending >= size) {
      const all = concat(parts, pending);
      yield all.subarray(0, size);
      const rest = all.subarray(size);
      parts = rest.byteLength > 0 ? [rest] : [];
      pending = rest.byteLength;
    }
  }
  if (pending > 0) yield concat(parts, pending);
}
