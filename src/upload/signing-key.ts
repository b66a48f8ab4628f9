import { deploymentSecret } from "../auth/deployment-secret";
import type { Bindings } from "../env";
import { sha256, toHex } from "../lib/crypto";
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
  const secret = await deploymentSecret(env, {
    name: "UPLOAD_SIGNING_KEY",
    value: env.UPLOAD_SIGNING_KEY,
    localKey: kvKeys.localUploadSigningKey(),
    feature: "file uploads",
  });
  const current = await toUploadKey(secret);
  const accepted = [current];
  if (env.UPLOAD_PREVIOUS_SIGNING_KEY) accepted.push(await toUploadKey(env.UPLOAD_PREVIOUS_SIGNING_KEY));
  return { current, accepted };
}
