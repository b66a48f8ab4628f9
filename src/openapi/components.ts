import { type ErrorCode, problemType } from "../errors";
import { bytes, type DocumentSettings } from "./settings";
import type { Header, Parameter, Reference, Response, SecurityScheme } from "./types";

export const PROBLEM_JSON = "application/problem+json";

export function parameterRef(name: string): Reference {
  return { $ref: `#/components/parameters/${name}` };
}
export function responseRef(name: string): Reference {
  return { $ref: `#/components/responses/${name}` };
}
export function headerRef(name: string): Reference {
  return { $ref: `#/components/headers/${name}` };
}

const EXAMPLE_TRANSACTION_ID = "6f1c2b8e-3d4a-4e5f-9a0b-1c2d3e4f5a6b";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** An example problem body, as `problemResponse` renders it. */
export function problemExample(code: ErrorCode, status: number, detail: string, extra: Record<string, unknown> = {}): unknown {
  return { type: problemType(code), title: TITLES[status], status, detail, transaction_id: EXAMPLE_TRANSACTION_ID, ...extra };
}

/** A problem+json response with the shared `Problem` schema. */
export function problem(
  description: string,
  examples: Record<string, { summary: string; value: unknown }> = {},
  headers: Record<string, Header | Reference> = {},
): Response {
  return {
    description,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: {
      [PROBLEM_JSON]: {
        schema: { $ref: "#/components/schemas/Problem" },
        ...(Object.keys(examples).length > 0 ? { examples } : {}),
      },
    },
  };
}

export function parameters(s: DocumentSettings): Record<string, Parameter> {
  const uuidPath = (name: string, description: string): Parameter => ({
    name,
    in: "path",
    required: true,
    description: `${description} Anything that is not a UUID is answered like an unknown id (404).`,
    schema: { type: "string", format: "uuid" },
  });
  const flag = (name: string, description: string): Parameter => ({
    name,
    in: "query",
    required: false,
    description: `${description} \`true\` (or the bare \`?${name}\`) turns it on; absent or \`false\` leaves it off; anything else is a 400.`,
    schema: { type: "boolean", default: false },
  });
  return {
    DatasetIdPath: uuidPath("dataset_id", "The dataset."),
    ClientIdPath: uuidPath("client_id", "The client."),
    SubmissionIdPath: uuidPath("submission_id", "The submission (from a 202 of `POST /data/json`)."),
    FileIdPath: uuidPath("file_id", "The upload (from `GET /data/file_upload_url`)."),
    CompanyIdQuery: {
      name: "company_id",
      in: "query",
      required: true,
      description: "The company whose resources to list.",
      schema: { $ref: "#/components/schemas/CompanyId" },
    },
    DatasetIdQuery: {
      name: "dataset_id",
      in: "query",
      required: true,
      description:
        "The dataset: one of the client's own company (404 otherwise, exactly as for an unknown id) that it is granted (403 otherwise).",
      schema: { type: "string", format: "uuid" },
    },
    ClientIdCheckQuery: {
      name: "client_id",
      in: "query",
      required: false,
      description:
        "Optional cross-check: when given it must be the `client_id` of the credentials (403 otherwise). Any data route accepts it, and `company_id` likewise.",
      schema: { type: "string", format: "uuid" },
    },
    ForceQuery: flag("force", "Register the schema even if registered examples or recently accepted records would no longer validate."),
    PartialQuery: flag(
      "partial",
      "Store the valid records even when some are invalid (202, listing the rejected ones); without it one invalid record refuses the whole push (422).",
    ),
    DryRunQuery: flag(
      "dry_run",
      "Validate and answer exactly as a real push would (202 or 422 bodies, with `dry_run: true`), but store nothing and keep no receipt; an `Idempotency-Key` is ignored.",
    ),
    VersionQuery: {
      name: "version",
      in: "query",
      required: false,
      description: "A schema version (default: the current one).",
      schema: { type: "integer", minimum: 1 },
    },
    IdempotencyKey: {
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description:
        `Makes a push safe to retry (IETF httpapi Idempotency-Key draft), scoped to the client and the dataset. The same key with the same request within ${s.idempotencyWindowSeconds / 3600} h returns the first response again (with \`Idempotent-Replayed: true\` and the first \`transaction_id\`) and stores nothing new; ` +
        "the same key with a different body (or different `Content-Type`, `Content-Encoding` or `partial`) is a 422; a retry while the first request with the key is still in flight is a 409. " +
        "A first request that failed on our side (5xx) does not use the key up. A surrounding pair of double quotes is ignored.",
      schema: { type: "string", minLength: 1, maxLength: s.idempotencyKeyMaxLength, pattern: "^[\\x20-\\x7E]+$" },
      example: "push-2023-05-04-0001",
    },
    ContentEncoding: {
      name: "Content-Encoding",
      in: "header",
      required: false,
      description: `\`gzip\` to send the body compressed; limits apply to the decompressed body. Any other encoding is a 415.`,
      schema: { type: "string", enum: ["gzip", "identity"] },
    },
  };
}

export function headers(): Record<string, Header> {
  return {
    XRequestId: {
      description:
        "The id of this request, equal to `transaction_id` in the body (of the first request, for an idempotent replay). Quote it to support.",
      schema: { type: "string", format: "uuid" },
    },
    RetryAfter: {
      description: "Seconds to wait before trying again.",
      schema: { type: "integer", minimum: 0 },
    },
    AdminChallenge: {
      description: 'The admin routes\' challenge, e.g. `Bearer realm="data-api-admin"` (with `error="invalid_token"` for a wrong token).',
      schema: { type: "string" },
    },
    ClientChallenge: {
      description:
        'The data routes\' challenge: `Bearer realm="data-api", Basic realm="data-api"`, with `error="invalid_token"` or `error="invalid_request"` when credentials were sent.',
      schema: { type: "string" },
    },
    IdempotentReplayed: {
      description: "`true` when this is the stored first response to an `Idempotency-Key`, replayed.",
      schema: { type: "string", const: "true" },
    },
  };
}

export function responses(s: DocumentSettings): Record<string, Response> {
  return {
    BadRequest: problem(
      "The request is malformed: a missing or invalid parameter or body member (named in `field`), or a body that is not valid JSON (`line` and `column` of the fault).",
      {
        field: {
          summary: "An invalid parameter",
          value: problemExample("bad_request", 400, "`company_id` must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -.", {
            field: "company_id",
          }),
        },
        json: {
          summary: "Invalid JSON",
          value: problemExample("bad_request", 400, 'The body is not valid JSON: trailing comma before "}" at line 12, column 3.', {
            line: 12,
            column: 3,
          }),
        },
      },
    ),
    AdminUnauthorized: problem(
      "The `Authorization: Bearer <ADMIN_TOKEN>` header is missing, malformed or wrong.",
      {
        missing: {
          summary: "No admin token",
          value: problemExample("unauthorized", 401, "Send the admin token as `Authorization: Bearer <token>`."),
        },
      },
      { "WWW-Authenticate": headerRef("AdminChallenge") },
    ),
    ClientUnauthorized: problem(
      "Credentials are missing, malformed, expired, badly signed or no longer valid (a disabled or deleted client, or a token from before the last secret rotation).",
      { expired: { summary: "An expired token", value: problemExample("unauthorized", 401, "The access token is invalid or expired.") } },
      { "WWW-Authenticate": headerRef("ClientChallenge") },
    ),
    Forbidden: problem(
      "The client may not do this: the dataset is its company's but not granted to it, or a `client_id`/`company_id` query parameter does not match the credentials (`field`).",
      {
        grant: {
          summary: "Not granted",
          value: problemExample("forbidden", 403, "This client is not granted dataset 0b6f3a52-1d1e-4d8e-9c1f-2f6c5b8e7a90."),
        },
      },
    ),
    NotFound: problem("No such resource, or one of another company (indistinguishable from a missing one).", {
      missing: { summary: "Unknown id", value: problemExample("not_found", 404, 'No dataset "0b6f3a52-1d1e-4d8e-9c1f-2f6c5b8e7a90".') },
    }),
    AdminPayloadTooLarge: problem(`The body is larger than ${bytes(s.adminBodyBytes)} (\`limit_bytes\`).`, {
      body: {
        summary: "Too large",
        value: problemExample("payload_too_large", 413, `The body is larger than the limit of ${s.adminBodyBytes} bytes.`, {
          limit_bytes: s.adminBodyBytes,
        }),
      },
    }),
    UnsupportedMediaType: problem("The body must be sent as `application/json` (or another `application/*+json` type)."),
    TooManyRequests: problem(
      `This client sent more requests than the rate limit allows within ${s.rateLimitPeriodSeconds} s (counted per client and per Cloudflare location). Retry after \`Retry-After\` seconds.`,
      {
        limited: {
          summary: "Rate limited",
          value: problemExample(
            "rate_limited",
            429,
            `This client sent too many requests; retry after ${s.rateLimitPeriodSeconds} seconds.`,
            { retry_after: s.rateLimitPeriodSeconds },
          ),
        },
      },
      { "Retry-After": headerRef("RetryAfter") },
    ),
    InternalError: problem(
      "Our own bug (never caused by what was sent); the body carries no internals. Quote the `transaction_id` to support.",
    ),
    ServiceUnavailable: problem(
      "Temporarily unavailable (storage could not be reached, nothing was stored or acknowledged), or not configured on this deployment (e.g. a missing secret). Retry after `Retry-After` seconds where given.",
      {
        storage: {
          summary: "Storage unavailable",
          value: problemExample("unavailable", 503, "Storage is temporarily unavailable; nothing was stored. Retry later."),
        },
      },
      { "Retry-After": headerRef("RetryAfter") },
    ),
  };
}

export function securitySchemes(s: DocumentSettings): Record<string, SecurityScheme> {
  return {
    adminBearer: {
      type: "http",
      scheme: "bearer",
      description:
        "The admin routes (`/admin/…`): `Authorization: Bearer <ADMIN_TOKEN>`, a secret of the deployment (`wrangler secret put ADMIN_TOKEN`). A deployment without it answers 503 on every admin route.",
    },
    clientBearer: {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: `The data routes (\`/data/…\`): an access token from \`POST /oauth/token\` (a signed JWT, \`sub\` = client_id, valid ${s.tokenTtlSeconds} s). Where the deployment trusts an external identity provider, its RS256/ES256 tokens are accepted too.`,
      "x-token-url": "/oauth/token",
    },
    clientBasic: {
      type: "http",
      scheme: "basic",
      description: "The data routes, and `POST /oauth/token`: HTTP Basic with `client_id:client_secret`.",
    },
  };
}
