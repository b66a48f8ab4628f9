import { AwsV4Signer } from "aws4fetch";
import { MAX_URL_TTL_SECONDS } from "./config";
import { parseAmzDate } from "./presign";
import { UploadRefusal } from "./s3-xml";
import type { UploadKey } from "./signing-key";

/** How far in the future a signing time may lie (clock skew), as S3 allows. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const QUERY_AUTH = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
] as const;

export interface VerifyOptions {
  now?: Date;
  /** Headers the signature must cover (upload URLs always bind the content type). */
  requiredSignedHeaders?: string[];
}

export interface VerifiedRequest {
  accessKeyId: string;
  signedAt: Date;
  expiresAt: Date;
  /** Lowercase names, sorted, always including the required ones. */
  signedHeaders: string[];
}

const encoder = new TextEncoder();

function denied(code: string, message: string, internal?: string): UploadRefusal {
  return new UploadRefusal(403, code, message, internal);
}

/**
 * Verifies an AWS Signature V4 presigned (query-string) request the way S3 does: the signature is
 * computed again by aws4fetch from the request as received (method, path, query, the signed
 * headers' values) with the key the credential names, and compared in constant time. Any change to
 * the method, path, query, a signed header or the signature itself, an expired or not-yet-valid
 * URL, an unknown key or a foreign scope is refused with 403 (an `UploadRefusal`).
 */
export async function verifyPresignedRequest(
  request: Request,
  keys: UploadKey[],
  region: string,
  options: VerifyOptions = {},
): Promise<VerifiedRequest> {
  const now = options.now ?? new Date();
  const required = options.requiredSignedHeaders ?? ["host", "content-type"];
  const url = new URL(request.url);
  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (params.has(name)) throw denied("AuthorizationQueryParametersError", `Query parameter ${name} is given more than once.`);
    params.set(name, value);
  }
  const missing = QUERY_AUTH.filter((name) => !params.has(name));
  if (missing.length === QUERY_AUTH.length) throw denied("AccessDenied", "This URL is not a presigned upload URL.");
  if (missing.length > 0) {
    throw denied("AuthorizationQueryParametersError", `The presigned URL lacks ${missing.join(", ")}.`);
  }
  const get = (name: (typeof QUERY_AUTH)[number]) => params.get(name)!;

  if (get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") {
    throw denied("AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256.");
  }
  const datetime = get("X-Amz-Date");
  const signedAt = parseAmzDate(datetime);
  if (Number.isNaN(signedAt.getTime())) throw denied("AuthorizationQueryParametersError", "X-Amz-Date is malformed.");

  const [accessKeyId = "", scopeDate, scopeRegion, service, terminator, ...extra] = get("X-Amz-Credential").split("/");
  if (extra.length > 0 || scopeDate !== datetime.slice(0, 8) || service !== "s3" || terminator !== "aws4_request") {
    throw denied("AuthorizationQueryParametersError", "X-Amz-Credential is malformed.");
  }
  if (scopeRegion !== region) throw denied("AuthorizationQueryParametersError", `The credential scope must name region ${region}.`);

  const expiresText = get("X-Amz-Expires");
  const expires = /^[0-9]{1,7}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expires >= 1 && expires <= MAX_URL_TTL_SECONDS)) {
    throw denied("AuthorizationQueryParametersError", `X-Amz-Expires must be between 1 and ${MAX_URL_TTL_SECONDS} seconds.`);
  }
  const expiresAt = new Date(signedAt.getTime() + expires * 1000);

  const signedHeaderList = get("X-Amz-SignedHeaders");
  const signedHeaders = signedHeaderList.split(";");
  const wellFormed =
    /^[a-z0-9-]+(?:;[a-z0-9-]+)*$/.test(signedHeaderList) &&
    signedHeaders.every((h, i) => i === 0 || signedHeaders[i - 1]! < h) &&
    required.every((h) => signedHeaders.includes(h));
  if (!wellFormed)
    throw denied("AuthorizationQueryParametersError", `X-Amz-SignedHeaders must be sorted and name ${required.join(" and ")}.`);

  const signature = get("X-Amz-Signature");
  if (!/^[0-9a-f]{64}$/.test(signature))
    throw denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");

  const key = keys.find((k) => k.accessKeyId === accessKeyId);
  if (!key) throw denied("InvalidAccessKeyId", "The access key id in this URL is not one of ours (it may have been rotated out).");

  // Headers the client sends beyond the signed ones are not covered: refuse x-amz-* ones (as S3 does).
  for (const [name] of request.headers) {
    if (name.startsWith("x-amz-") && !signedHeaders.includes(name)) {
      throw denied("AccessDenied", `There were headers present in the request which were not signed: ${name}.`);
    }
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    if (name === "host") continue;
    const value = request.headers.get(name);
    if (value === null) {
      throw denied("SignatureDoesNotMatch", `The signed header ${name} is missing from the request.`);
    }
    headers[name] = value;
  }

  const unsigned = new URL(url);
  unsigned.searchParams.delete("X-Amz-Signature");
  let expected: string;
  try {
    const signer = new AwsV4Signer({
      url: unsigned.toString(),
      method: request.method,
      headers,
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      service: "s3",
      region,
      datetime,
      signQuery: true,
      allHeaders: true,
    });
    if (signer.signedHeaders !== signedHeaderList) throw new Error("signed header lists differ");
    const signed = await signer.sign();
    expected = signed.url.searchParams.get("X-Amz-Signature") ?? "";
  } catch (e) {
    throw denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", String(e));
  }
  const a = encoder.encode(expected);
  const b = encoder.encode(signature);
  if (a.byteLength !== b.byteLength || !crypto.subtle.timingSafeEqual(a, b)) {
    throw denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
  }

  // Time is checked after the signature, so that a tampered X-Amz-Date or X-Amz-Expires is reported as such.
  if (signedAt.getTime() - now.getTime() > MAX_CLOCK_SKEW_MS) throw denied("AccessDenied", "Request is not yet valid.");
  if (now.getTime() > expiresAt.getTime()) throw denied("AccessDenied", "Request has expired.");

  return { accessKeyId, signedAt, expiresAt, signedHeaders };
}
