import { encodeBase64Url } from "hono/utils/encode";
import type { Bindings } from "../env";
import { ApiError } from "../errors";
import { sha256, toHex } from "../lib/crypto";
import { storage } from "../storage/errors";
import { kvKeys } from "../storage/keys";

/** SigV4 credentials of worker-backend upload URLs. */
export interface UploadKey {
  accessKeyId: string;
  secretAccessKey: string;
}

const encoder = new TextEncoder();

/**
 * The access key id is derived from the secret (like a JWT `kid`), so a URL names the key that
 * signed it and rotating needs one secret, not two. 20 characters, like AWS's.
 */
export async function toUploadKey(secret: string): Promise<UploadKey> {
  const digest = toHex(await sha256(encoder.encode(`data-api-upload-akid:${secret}`)));
  return { accessKeyId: `DAPI${digest.slice(0, 16).toUpperCase()}`, secretAccessKey: secret };
}

/**
 * The key that signs worker-backend upload URLs (`UPLOAD_SIGNING_KEY`) and, during a rotation, the
 * previous one (`UPLOAD_PREVIOUS_SIGNING_KEY`, still accepted, never used to sign). Without the
 * secret a deployment refuses to sign or accept uploads (503, logged loudly) — unless it is a local
 * one (`LOCAL_DEV_KEYS = "true"`), which generates a random key once and keeps it in its local KV,
 * so `wrangler dev` needs no secret. There is no built-in default key.
 */
export async function uploadSigningKeys(env: Bindings): Promise<{ current: UploadKey; accepted: UploadKey[] }> {
  let secret = env.UPLOAD_SIGNING_KEY;
  if (!secret) {
    if (env.LOCAL_DEV_KEYS !== "true") {
      console.error(JSON.stringify({ level: "error", msg: "UPLOAD_SIGNING_KEY is not configured; worker-backend file uploads disabled" }));
      throw new ApiError("unavailable", "File uploads are not configured on this deployment.", {
        internal: "UPLOAD_SIGNING_KEY secret missing",
      });
    }
    secret = await localUploadKey(env);
  }
  const current = await toUploadKey(secret);
  const accepted = [current];
  if (env.UPLOAD_PREVIOUS_SIGNING_KEY) accepted.push(await toUploadKey(env.UPLOAD_PREVIOUS_SIGNING_KEY));
  return { current, accepted };
}

async function localUploadKey(env: Bindings): Promise<string> {
  const key = kvKeys.localUploadSigningKey();
  const existing = await storage("kv.get local upload key", () => env.CONFIG.get(key));
  if (existing) return existing;
  const generated = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)).buffer).replace(/=+$/, "");
  await storage("kv.put local upload key", () => env.CONFIG.put(key, generated));
  // Two first requests racing may each write a key; read back so both end up using the stored one.
  return (await storage("kv.get local upload key", () => env.CONFIG.get(key))) ?? generated;
}
