import { decodeBase64Url, encodeBase64Url } from "hono/utils/encode";

const encoder = new TextEncoder();
const SCHEME = "hmac-sha256";

/** A client secret: 32 random bytes (256 bits), base64url. Shown once, stored only as a hash. */
export function generateSecret(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)).buffer).replace(/=+$/, "");
}

/**
 * Hashes a secret as HMAC-SHA256 keyed with a per-client random salt. The secrets are high-entropy
 * random values, so a slow password hash buys nothing; the salt keeps equal secrets from having
 * equal hashes and defeats precomputation. Format: `hmac-sha256$<salt>$<mac>`.
 */
export async function hashSecret(secret: string, salt = crypto.getRandomValues(new Uint8Array(16))): Promise<string> {
  const mac = await hmac(salt, secret);
  return `${SCHEME}$${b64(salt)}$${b64(mac)}`;
}

/** Checks a presented secret against a stored hash, in constant time. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, expected] = stored.split("$");
  if (scheme !== SCHEME || !salt || !expected) return false;
  const mac = new Uint8Array(await hmac(decodeBase64Url(salt), secret));
  const want = decodeBase64Url(expected);
  if (want.byteLength !== mac.byteLength) return false;
  return crypto.subtle.timingSafeEqual(mac, want);
}

async function hmac(salt: Uint8Array, secret: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey("raw", salt, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", key, encoder.encode(secret));
}

function b64(data: ArrayBuffer | Uint8Array): string {
  const buffer = data instanceof Uint8Array ? data.slice().buffer : data;
  return encodeBase64Url(buffer).replace(/=+$/, "");
}
