const encoder = new TextEncoder();

/**
 * Compares two secrets in constant time. Both are hashed first so that neither their contents nor
 * their lengths influence how long the comparison takes.
 */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([sha256(encoder.encode(a)), sha256(encoder.encode(b))]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

export async function sha256(data: BufferSource): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", data);
}

export function toHex(buffer: ArrayBuffer | Uint8Array): string {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
