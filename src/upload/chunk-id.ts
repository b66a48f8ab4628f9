import { sha256 } from "../lib/crypto";

const encoder = new TextEncoder();

/**
 * The submission id of chunk `chunk` of file `fileId`: a UUID (version 8, name-based on SHA-256)
 * that is the same every time the chunk is processed. Its objects
 * (`datasets/{dataset_id}/date=…/{id}.ndjson`, `quarantine/…/{id}.rejected.ndjson`) therefore have
 * fixed keys, and processing a chunk again overwrites them with the same content: each row of a file
 * is stored once, however often it is processed.
 */
export async function chunkSubmissionId(fileId: string, chunk: number): Promise<string> {
  const bytes = new Uint8Array(await sha256(encoder.encode(`data-api:file-chunk:${fileId}:${chunk}`))).slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
