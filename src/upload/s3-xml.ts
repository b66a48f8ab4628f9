/**
 * Errors of the worker-backend upload endpoint, shaped like S3's (an `<Error>` XML document), since
 * whoever PUTs to a presigned URL is an S3 client (curl, an SDK, a browser) and reads them as such.
 */
export class UploadRefusal extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 409 | 411 | 500 | 503,
    readonly code: string,
    message: string,
    /** For our logs only. */
    readonly internal?: string,
  ) {
    super(message);
    this.name = "UploadRefusal";
  }
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

export function s3ErrorResponse(refusal: UploadRefusal, resource: string, requestId: string): Response {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(refusal.code)}</Code><Message>${escapeXml(refusal.message)}</Message>` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${escapeXml(requestId)}</RequestId></Error>`;
  const headers: Record<string, string> = { "Content-Type": "application/xml", "x-amz-request-id": requestId };
  if (refusal.status === 503) headers["Retry-After"] = "5";
  return new Response(body, { status: refusal.status, headers });
}
