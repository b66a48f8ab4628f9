import { AwsClient } from "aws4fetch";

/** SigV4 credentials and scope of a presigned URL. */
export interface PresignCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface PresignInput {
  /** The object's URL, without a query. */
  url: string;
  method: string;
  /**
   * Headers the request must carry, all signed (`content-type`, `content-length`,
   * `x-amz-checksum-sha256`): a request with other values does not match the signature.
   */
  headers: Record<string, string>;
  expiresSeconds: number;
  /** `YYYYMMDDTHHMMSSZ`; now by default. */
  datetime?: string;
}

export interface Presigned {
  url: string;
  expiresAt: string;
}

/** `2013-05-24T00:00:00.000Z` → `20130524T000000Z`. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/** `20130524T000000Z` → a Date (invalid when the text is not that format). */
export function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return new Date(Number.NaN);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
}

/**
 * An AWS Signature V4 presigned URL (query-string authentication, service `s3`), signed by
 * aws4fetch. Every header given is a signed header (`allHeaders`: aws4fetch would otherwise leave
 * out `content-type` and `content-length`), so the upload is bound to them; the payload is
 * `UNSIGNED-PAYLOAD`, as for any presigned S3 URL.
 */
export async function presignUrl(credentials: PresignCredentials, input: PresignInput): Promise<Presigned> {
  const client = new AwsClient({ ...credentials, service: "s3", retries: 0 });
  const url = new URL(input.url);
  url.searchParams.set("X-Amz-Expires", String(input.expiresSeconds));
  const datetime = input.datetime ?? amzDate(new Date());
  const signed = await client.sign(url.toString(), {
    method: input.method,
    headers: input.headers,
    aws: { signQuery: true, allHeaders: true, datetime },
  });
  const expiresAt = new Date(parseAmzDate(datetime).getTime() + input.expiresSeconds * 1000).toISOString();
  return { url: signed.url, expiresAt };
}
