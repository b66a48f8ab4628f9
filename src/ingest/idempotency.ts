import { ApiError } from "../errors";
import { sha256, toHex } from "../lib/crypto";
import { storage } from "../storage/errors";
import { r2Keys } from "../storage/keys";

const encoder = new TextEncoder();
/** How long a key's first response is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A request holding a key longer than this is presumed dead (its isolate crashed): the key is free again. */
const IN_FLIGHT_TIMEOUT_MS = 15 * 60 * 1000;
export const MAX_KEY_LENGTH = 255;

interface InFlight {
  state: "in_flight";
  started_at: number;
}

export interface StoredResponse {
  status: number;
  body: string;
  content_type: string;
}

interface Completed {
  state: "completed";
  completed_at: number;
  fingerprint: string;
  response: StoredResponse;
}

type IdempotencyRecord = InFlight | Completed;

export type Claim =
  | { kind: "claimed"; release: () => Promise<void>; complete: (fingerprint: string, response: StoredResponse) => Promise<void> }
  | { kind: "replay"; fingerprint: string; response: StoredResponse };

/** Checks an `Idempotency-Key` header value (IETF httpapi draft: a string, here at most 255 characters). */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const key = value.trim().replace(/^"(.*)"$/, "$1");
  if (key === "" || key.length > MAX_KEY_LENGTH || /[^\x20-\x7e]/.test(key)) {
    throw new ApiError("bad_request", `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters.`, {
      extra: { field: "Idempotency-Key" },
    });
  }
  return key;
}

/**
 * Claims an Idempotency-Key for one request, in R2, whose conditional put makes exactly one of
 * several concurrent requests win. Returns the first response to replay when the key was used and
 * completed within 24 h; throws 409 while another request holds it.
 */
export async function claimKey(bucket: R2Bucket, clientId: string, datasetId: string, key: string): Promise<Claim> {
  const objectKey = r2Keys.idempotency(clientId, datasetId, toHex(await sha256(encoder.encode(key))));
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await storage("r2.get idempotency", () => bucket.get(objectKey));
    let onlyIf: R2Conditional | Headers;
    if (existing) {
      const record = await existing.json<IdempotencyRecord>();
      const now = Date.now();
      if (record.state === "completed" && now - record.completed_at < IDEMPOTENCY_TTL_MS) {
        return { kind: "replay", fingerprint: record.fingerprint, response: record.response };
      }
      if (record.state === "in_flight" && now - record.started_at < IN_FLIGHT_TIMEOUT_MS) {
        throw new ApiError("conflict", "A request with this Idempotency-Key is still being processed; retry after it completes.", {
          headers: { "Retry-After": "1" },
        });
      }
      onlyIf = { etagMatches: existing.etag }; // expired or abandoned: take it over, unless someone else just did
    } else {
      onlyIf = new Headers({ "If-None-Match": "*" });
    }
    const record: InFlight = { state: "in_flight", started_at: Date.now() };
    const written = await storage("r2.put idempotency", () => bucket.put(objectKey, JSON.stringify(record), { onlyIf }));
    if (!written) continue; // lost the race: look again
    return {
      kind: "claimed",
      release: async () => {
        await bucket.delete(objectKey).catch(() => undefined);
      },
      complete: async (fingerprint, response) => {
        const done: Completed = { state: "completed", completed_at: Date.now(), fingerprint, response };
        await storage("r2.put idempotency", () => bucket.put(objectKey, JSON.stringify(done)));
      },
    };
  }
  throw new ApiError("conflict", "A request with this Idempotency-Key is still being processed; retry after it completes.", {
    headers: { "Retry-After": "1" },
  });
}

/** What makes two requests "the same" for a key: the body as sent and the options that change the outcome. */
export async function fingerprint(rawDigest: ArrayBuffer, parts: string[]): Promise<string> {
  return toHex(await sha256(encoder.encode(`${toHex(rawDigest)}|${parts.join("|")}`)));
}
