import { encodeBase64Url } from "hono/utils/encode";
import type { Bindings } from "../env";
import { ApiError } from "../errors";
import { storage } from "../storage/errors";

export interface SecretSpec {
  /** The secret's name, e.g. "JWT_SIGNING_KEY" (for logs). */
  name: string;
  /** The configured value (from `wrangler secret put`), if any. */
  value: string | undefined;
  /** KV key of the generated key of a local deployment. */
  localKey: string;
  /** What stops working without it, for the log line and the 503. */
  feature: string;
}

/**
 * A signing secret of the deployment. Without it a deployment refuses the feature (503, logged
 * loudly) — unless it is a local one (`LOCAL_DEV_KEYS = "true"`), which generates a random 256-bit
 * key once and keeps it in its local KV, so `wrangler dev` needs no secret. There is no built-in
 * default key anywhere.
 */
export async function deploymentSecret(env: Bindings, spec: SecretSpec): Promise<string> {
  if (spec.value) return spec.value;
  if (env.LOCAL_DEV_KEYS !== "true") {
    console.error(JSON.stringify({ level: "error", msg: `${spec.name} is not configured; ${spec.feature} disabled` }));
    throw new ApiError("unavailable", `${capitalise(spec.feature)} is not configured on this deployment.`, {
      internal: `${spec.name} secret missing`,
    });
  }
  const existing = await storage("kv.get local key", () => env.CONFIG.get(spec.localKey));
  if (existing) return existing;
  const generated = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)).buffer).replace(/=+$/, "");
  await storage("kv.put local key", () => env.CONFIG.put(spec.localKey, generated));
  // Two first requests racing may each write a key; read back so both end up using the stored one.
  return (await storage("kv.get local key", () => env.CONFIG.get(spec.localKey))) ?? generated;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
