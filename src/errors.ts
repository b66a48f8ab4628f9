import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The closed set of error codes the API answers with. Each maps to exactly one status, so a handler
 * names what went wrong and never picks a status by hand.
 */
const STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof STATUS;

const TITLES: Record<ErrorCode, string> = {
  bad_request: "Bad Request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  not_found: "Not Found",
  method_not_allowed: "Method Not Allowed",
  conflict: "Conflict",
  payload_too_large: "Content Too Large",
  unsupported_media_type: "Unsupported Media Type",
  unprocessable: "Unprocessable Content",
  rate_limited: "Too Many Requests",
  internal: "Internal Server Error",
  unavailable: "Service Unavailable",
};

export interface ApiErrorOptions {
  /** Extra members of the problem body (RFC 9457 extensions), e.g. `errors`. */
  extra?: Record<string, unknown>;
  /** Response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  headers?: Record<string, string>;
  /** Why it happened, for our logs only: never sent to the client. */
  internal?: string;
  cause?: unknown;
}

/** The one error type of the API. Thrown anywhere, rendered as problem+json by the app's `onError`. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly internal?: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options: ApiErrorOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = "ApiError";
    this.status = STATUS[code];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
    this.internal = options.internal;
  }

  get title(): string {
    return TITLES[this.code];
  }
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemType(code: ErrorCode): string {
  return `urn:data-api:problem:${code}`;
}

/** Renders an error as an RFC 9457 problem response. */
export function problemResponse(error: ApiError, transactionId: string): Response {
  const body = {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.detail,
    transaction_id: transactionId,
    ...error.extra,
  };
  const headers = new Headers(error.headers);
  headers.set("Content-Type", PROBLEM_CONTENT_TYPE);
  headers.set("X-Request-Id", transactionId);
  return new Response(JSON.stringify(body), { status: error.status, headers });
}
