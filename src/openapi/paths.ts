import { SUPPORTED_DRAFT_URIS } from "../schema/drafts";
import { headerRef, parameterRef, problem, problemExample, responseRef } from "./components";
import { DOCS_FILES } from "./docs-page";
import { ref } from "./schemas";
import { bytes, type DocumentSettings } from "./settings";
import type { MediaType, Operation, Parameter, PathItem, RequestBody, Response, Responses, SecurityRequirement } from "./types";

const ADMIN: SecurityRequirement[] = [{ adminBearer: [] }];
const CLIENT: SecurityRequirement[] = [{ clientBearer: [] }, { clientBasic: [] }];
const NONE: SecurityRequirement[] = [];

const json = (schema: string, extra: Omit<MediaType, "schema"> = {}): Record<string, MediaType> => ({
  "application/json": { schema: ref(schema), ...extra },
});

function ok(description: string, schema: string, headers?: Response["headers"]): Response {
  return { description, ...(headers ? { headers } : {}), content: json(schema) };
}

function jsonBody(schema: string, description: string, s: DocumentSettings): RequestBody {
  return {
    required: true,
    description: `${description} Sent as \`application/json\` (any \`application/*+json\` type is accepted), at most ${bytes(s.adminBodyBytes)}.`,
    content: json(schema),
  };
}

/** The responses every admin route can give besides its own. */
function adminCommon(): Responses {
  return {
    "401": responseRef("AdminUnauthorized"),
    "500": responseRef("InternalError"),
    "503": responseRef("ServiceUnavailable"),
  };
}

/** The responses every data route can give besides its own. */
function dataCommon(): Responses {
  return {
    "401": responseRef("ClientUnauthorized"),
    "403": responseRef("Forbidden"),
    "429": responseRef("TooManyRequests"),
    "500": responseRef("InternalError"),
    "503": responseRef("ServiceUnavailable"),
  };
}

/** Keeps status codes in ascending order, as readers expect them. */
function sorted(responses: Responses): Responses {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

function op(operation: Operation): Operation {
  return { ...operation, responses: sorted(operation.responses) };
}

const schemaRules = (s: DocumentSettings): string =>
  [
    "Schema registration rules:",
    "- the body must be valid JSON (400 with the `line` and `column` of the fault);",
    `- \`$schema\` selects the draft: ${SUPPORTED_DRAFT_URIS.map((u) => `\`${u}\``).join(", ")}; absent means draft-07; anything else is a 400 listing \`supported_drafts\`;`,
    "- the schema must be valid against its draft's meta-schema (400 with the meta-schema `errors`);",
    "- every entry of `examples` at the schema's root must validate against it (400 naming the example, `errors[].example`);",
    "- `$ref` may only point inside the document: a remote `$ref` (http…, urn…) is refused with 400 (`refs`) — the API never fetches anything a schema names.",
    `Bodies are limited to ${bytes(s.adminBodyBytes)}.`,
  ].join("\n");

function serviceRoutes(): Record<string, PathItem> {
  return {
    "/health": {
      get: op({
        operationId: "getHealth",
        summary: "Liveness check",
        tags: ["Service"],
        security: NONE,
        description: "No authentication. Answers without touching storage.",
        responses: { "200": ok("The Worker is up.", "Health") },
      }),
    },
    "/openapi.json": {
      get: op({
        operationId: "getOpenApiDocument",
        summary: "This OpenAPI 3.1 document",
        tags: ["Service"],
        security: NONE,
        description: "No authentication. The limits and lifetimes it states are this deployment's configured ones.",
        responses: {
          "200": {
            description: "The OpenAPI 3.1 document describing every route.",
            content: {
              "application/json": {
                schema: { type: "object", description: "An OpenAPI 3.1 document.", required: ["openapi", "info", "paths"] },
              },
            },
          },
        },
      }),
    },
    "/docs": {
      get: op({
        operationId: "getDocsPage",
        summary: "API documentation page",
        tags: ["Service"],
        security: NONE,
        description:
          "No authentication. An HTML page rendering `/openapi.json` with Swagger UI, served entirely from this origin (no CDN): it works offline and sets a strict `Content-Security-Policy`.",
        responses: {
          "200": {
            description: "The HTML page.",
            headers: {
              "Content-Security-Policy": { description: "Same-origin scripts only; no inline script.", schema: { type: "string" } },
            },
            content: { "text/html": { schema: { type: "string" } } },
          },
        },
      }),
    },
    "/docs/{file}": {
      get: op({
        operationId: "getDocsFile",
        summary: "A file of the documentation page",
        tags: ["Service"],
        security: NONE,
        description:
          "No authentication. Swagger UI's script, stylesheet and icon (from the pinned `swagger-ui-dist` package, deployed as static assets) and the page's start-up script.",
        parameters: [{ name: "file", in: "path", required: true, schema: { type: "string", enum: [...DOCS_FILES] } }],
        responses: {
          "200": {
            description: "The file.",
            content: {
              "text/javascript": { schema: { type: "string" } },
              "text/css": { schema: { type: "string" } },
              "image/png": { schema: { type: "string", contentEncoding: "binary" } },
            },
          },
          "404": responseRef("NotFound"),
          "503": problem("The deployment has no static assets (the `[assets]` block of wrangler.toml)."),
        },
      }),
    },
  };
}

function authRoutes(s: DocumentSettings): Record<string, PathItem> {
  const oauth = (description: string, example: { error: string; error_description: string }, headers?: Response["headers"]): Response => ({
    description,
    ...(headers ? { headers } : {}),
    content: { "application/json": { schema: ref("OAuthError"), example } },
  });
  return {
    "/oauth/token": {
      post: op({
        operationId: "issueAccessToken",
        summary: "Get an access token (OAuth 2.0 client credentials)",
        tags: ["Authentication"],
        description:
          "The client-credentials grant of RFC 6749 §4.4. Send `grant_type=client_credentials` with `client_id` and `client_secret` as a form or JSON body, or the credentials as HTTP Basic (and only `grant_type` in the body). " +
          `Every answer is \`Cache-Control: no-store\`. Errors use the RFC 6749 §5.2 shape (\`OAuthError\`): 401 \`invalid_client\` for bad credentials (or a disabled client), 400 otherwise. Bodies are limited to ${bytes(s.tokenRequestBytes)}.`,
        security: [{}, { clientBasic: [] }],
        requestBody: {
          required: true,
          content: {
            "application/x-www-form-urlencoded": { schema: ref("TokenRequest") },
            "application/json": { schema: ref("TokenRequest") },
          },
        },
        responses: {
          "200": ok("A Bearer access token for the data routes.", "TokenResponse", {
            "Cache-Control": { description: "`no-store`", schema: { type: "string", const: "no-store" } },
          }),
          "400": oauth(
            "`invalid_request` (a missing or malformed parameter, credentials both in the header and the body, a wrong `audience`, a body that is neither form nor JSON) or `unsupported_grant_type`.",
            {
              error: "unsupported_grant_type",
              error_description: "Only grant_type=client_credentials is supported.",
            },
          ),
          "401": oauth(
            "`invalid_client`: unknown client, wrong secret, disabled client, or a malformed Basic header.",
            {
              error: "invalid_client",
              error_description: "Client authentication failed.",
            },
            { "WWW-Authenticate": { description: 'Basic realm="data-api"', schema: { type: "string" } } },
          ),
          "500": responseRef("InternalError"),
          "503": problem("Token signing is not configured on this deployment (a missing `JWT_SIGNING_KEY`), or storage is unavailable."),
        },
      }),
    },
  };
}

function adminDatasetRoutes(s: DocumentSettings): Record<string, PathItem> {
  const registrationErrors = problem(
    `The body or the schema is refused; \`detail\` says why and extension members say where.\n\n${schemaRules(s)}`,
    {
      json: {
        summary: "Invalid JSON",
        value: problemExample("bad_request", 400, 'The body is not valid JSON: trailing comma before "}" at line 12, column 3.', {
          line: 12,
          column: 3,
        }),
      },
      draft: {
        summary: "Unsupported draft",
        value: problemExample(
          "bad_request",
          400,
          'Unsupported $schema "http://json-schema.org/draft-03/schema#". Supported drafts: … (absent means draft-07).',
          { supported_drafts: [...SUPPORTED_DRAFT_URIS] },
        ),
      },
      example: {
        summary: "An example that does not validate",
        value: problemExample("bad_request", 400, "examples[0] does not validate against the schema: …", {
          errors: [{ example: 0, path: "/flow_bbl_d", keyword: "type", message: 'Instance type "string" is invalid. Expected "number".' }],
        }),
      },
      ref: {
        summary: "A remote $ref",
        value: problemExample(
          "bad_request",
          400,
          'The schema\'s $ref "https://example.com/s.json" points outside this schema; remote references are not fetched.',
          {
            refs: [
              {
                at: "/properties/a",
                ref: "https://example.com/s.json",
                reason: "points outside this schema; remote references are not fetched",
              },
            ],
          },
        ),
      },
    },
  );
  return {
    "/admin/datasets": {
      post: op({
        operationId: "createDataset",
        summary: "Register a dataset with its schema",
        tags: ["Admin: datasets"],
        security: ADMIN,
        description: `Creates a dataset of a company with schema version 1.\n\n${schemaRules(s)}`,
        requestBody: jsonBody("DatasetCreate", "The dataset and its JSON Schema.", s),
        responses: {
          ...adminCommon(),
          "201": ok("The dataset, with `schema_version: 1`.", "DatasetEnvelope"),
          "400": registrationErrors,
          "413": responseRef("AdminPayloadTooLarge"),
          "415": responseRef("UnsupportedMediaType"),
        },
      }),
      get: op({
        operationId: "listDatasets",
        summary: "List a company's datasets",
        tags: ["Admin: datasets"],
        security: ADMIN,
        description: "Reads the registry directly (not through caches), so operators see their own writes.",
        parameters: [parameterRef("CompanyIdQuery")],
        responses: {
          ...adminCommon(),
          "200": ok("The company's datasets (possibly none).", "DatasetListEnvelope"),
          "400": responseRef("BadRequest"),
        },
      }),
    },
    "/admin/datasets/{dataset_id}": {
      parameters: [parameterRef("DatasetIdPath")],
      get: op({
        operationId: "getDataset",
        summary: "Get a dataset",
        tags: ["Admin: datasets"],
        security: ADMIN,
        responses: { ...adminCommon(), "200": ok("The dataset.", "DatasetEnvelope"), "404": responseRef("NotFound") },
      }),
    },
    "/admin/datasets/{dataset_id}/schema": {
      parameters: [parameterRef("DatasetIdPath")],
      put: op({
        operationId: "updateDatasetSchema",
        summary: "Register a new schema version",
        tags: ["Admin: datasets"],
        security: ADMIN,
        description:
          "Registers the schema as the dataset's next version, which every push validates against from then on (see `x-consistency`). " +
          "The change is refused with 409 when the current version's registered `examples` or a sample of the dataset's recently accepted records would no longer validate, listing which and why in `incompatible`; `?force=true` registers it anyway.\n\n" +
          schemaRules(s),
        parameters: [parameterRef("ForceQuery")],
        requestBody: jsonBody("SchemaUpdate", "The new JSON Schema.", s),
        responses: {
          ...adminCommon(),
          "200": ok("The dataset with its new `schema_version`.", "DatasetEnvelope"),
          "400": registrationErrors,
          "404": responseRef("NotFound"),
          "409": problem(
            "The new schema would reject registered examples or recently accepted records (`incompatible`). Fix the schema, or send `?force=true`.",
            {
              incompatible: {
                summary: "Incompatible change",
                value: problemExample(
                  "conflict",
                  409,
                  "The new schema would reject 1 of the registered examples and recently accepted records of schema version 1. Fix the schema, or register it anyway with ?force=true.",
                  {
                    incompatible: [
                      {
                        source: "example",
                        index: 0,
                        errors: [
                          { path: "/flow_bbl_d", keyword: "type", message: 'Instance type "number" is invalid. Expected "string".' },
                        ],
                      },
                    ],
                  },
                ),
              },
            },
          ),
          "413": responseRef("AdminPayloadTooLarge"),
          "415": responseRef("UnsupportedMediaType"),
        },
        "x-consistency":
          "The new version applies to pushes within `CONFIG_CACHE_SECONDS` plus KV propagation (see the document's `x-consistency`).",
      }),
      get: op({
        operationId: "getDatasetSchema",
        summary: "Get a schema version",
        tags: ["Admin: datasets"],
        security: ADMIN,
        parameters: [parameterRef("VersionQuery")],
        responses: {
          ...adminCommon(),
          "200": ok("The schema document of that version (default: the current one).", "SchemaEnvelope"),
          "400": responseRef("BadRequest"),
          "404": responseRef("NotFound"),
        },
      }),
    },
  };
}

function adminSubmissionRoutes(): Record<string, PathItem> {
  return {
    "/admin/submissions/{submission_id}": {
      parameters: [parameterRef("SubmissionIdPath")],
      get: op({
        operationId: "getSubmissionAsAdmin",
        summary: "Get any company's submission receipt",
        tags: ["Admin: submissions"],
        security: ADMIN,
        description:
          "For the data team's support work: the receipt of a submission of any company (clients see only their own company's, at `GET /data/submissions/{submission_id}`).",
        responses: { ...adminCommon(), "200": ok("The receipt.", "SubmissionReceiptEnvelope"), "404": responseRef("NotFound") },
      }),
    },
    "/admin/files/{file_id}": {
      parameters: [parameterRef("FileIdPath")],
      get: op({
        operationId: "getFileAsAdmin",
        summary: "Get any company's file status",
        tags: ["Admin: submissions"],
        security: ADMIN,
        description:
          "For the data team's support work: the status of an upload of any company (clients see only their own company's, at `GET /data/files/{file_id}`).",
        responses: { ...adminCommon(), "200": ok("The file's status.", "FileStatusEnvelope"), "404": responseRef("NotFound") },
      }),
    },
  };
}

function adminClientRoutes(s: DocumentSettings): Record<string, PathItem> {
  const grantsInvalid = problem(
    "A missing or invalid member (`field`), or `dataset_ids` naming datasets that are not the company's (`invalid`).",
    {
      foreign: {
        summary: "A dataset of another company",
        value: problemExample(
          "bad_request",
          400,
          "`dataset_ids` may only name datasets of company acme; not: 0b6f3a52-1d1e-4d8e-9c1f-2f6c5b8e7a90.",
          { field: "dataset_ids", invalid: ["0b6f3a52-1d1e-4d8e-9c1f-2f6c5b8e7a90"] },
        ),
      },
    },
  );
  const tags = ["Admin: clients"];
  return {
    "/admin/clients": {
      post: op({
        operationId: "createClient",
        summary: "Create a client (credentials)",
        tags,
        security: ADMIN,
        description: `Creates a client of a company, granted the given datasets (at most ${s.maxGrants}, each of the same company). The answer is the only time the secret is shown; the API keeps only a salted hash.`,
        requestBody: jsonBody("ClientCreate", "The client.", s),
        responses: {
          ...adminCommon(),
          "201": ok("The client with its `client_secret`.", "ClientWithSecretEnvelope"),
          "400": grantsInvalid,
          "413": responseRef("AdminPayloadTooLarge"),
          "415": responseRef("UnsupportedMediaType"),
        },
      }),
      get: op({
        operationId: "listClients",
        summary: "List a company's clients",
        tags,
        security: ADMIN,
        parameters: [parameterRef("CompanyIdQuery")],
        responses: {
          ...adminCommon(),
          "200": ok("The company's clients (possibly none), without secrets.", "ClientListEnvelope"),
          "400": responseRef("BadRequest"),
        },
      }),
    },
    "/admin/clients/{client_id}": {
      parameters: [parameterRef("ClientIdPath")],
      get: op({
        operationId: "getClient",
        summary: "Get a client",
        tags,
        security: ADMIN,
        responses: { ...adminCommon(), "200": ok("The client, without its secret.", "ClientEnvelope"), "404": responseRef("NotFound") },
      }),
      patch: op({
        operationId: "updateClient",
        summary: "Change a client's grants or disable it",
        tags,
        security: ADMIN,
        description:
          "Changes `dataset_ids` (replacing the grants) and/or `disabled`. A disabled client is refused at once in the isolate that made the change and everywhere within seconds (client records are cached for 5 s, plus KV propagation), also with tokens it obtained before.",
        requestBody: jsonBody("ClientUpdate", "The members to change.", s),
        responses: {
          ...adminCommon(),
          "200": ok("The changed client.", "ClientEnvelope"),
          "400": grantsInvalid,
          "404": responseRef("NotFound"),
          "413": responseRef("AdminPayloadTooLarge"),
          "415": responseRef("UnsupportedMediaType"),
        },
      }),
      delete: op({
        operationId: "deleteClient",
        summary: "Delete a client",
        tags,
        security: ADMIN,
        description: "Its credentials and the tokens it obtained stop working (as for disabling).",
        responses: { ...adminCommon(), "204": { description: "Deleted." }, "404": responseRef("NotFound") },
      }),
    },
    "/admin/clients/{client_id}/secret": {
      parameters: [parameterRef("ClientIdPath")],
      post: op({
        operationId: "rotateClientSecret",
        summary: "Rotate a client's secret",
        tags,
        security: ADMIN,
        description:
          "Issues a new secret, shown only in this answer. The old secret stops working at once, and so do access tokens issued before the rotation.",
        responses: {
          ...adminCommon(),
          "200": ok("The client with its new `client_secret`.", "ClientWithSecretEnvelope"),
          "404": responseRef("NotFound"),
        },
      }),
    },
  };
}

function dataRoutes(s: DocumentSettings): Record<string, PathItem> {
  const l = s.limits;
  const tags = ["Data"];
  const pushBody: RequestBody = {
    required: true,
    description:
      `The records. \`application/json\`: one record (object) or a non-empty array of records, parsed whole, at most ${bytes(l.maxJsonBodyBytes)}. ` +
      `\`application/x-ndjson\` (also \`application/ndjson\`, \`application/jsonl\`): one record per line, blank lines ignored, streamed, at most ${bytes(l.maxBodyBytes)} and ${l.maxRecordBytes} characters per line. ` +
      `Either may be sent with \`Content-Encoding: gzip\` (limits apply to the decompressed body). At most ${l.maxRecords} records and nesting depth ${l.maxDepth} per record.`,
    content: {
      "application/json": { schema: ref("RecordsJson") },
      "application/x-ndjson": { schema: ref("RecordsNdjson") },
    },
  };
  const validationExample = problemExample(
    "unprocessable",
    422,
    "1 of 2 records do not validate against schema version 1; nothing was stored in the dataset.",
    {
      dataset_id: "0b6f3a52-1d1e-4d8e-9c1f-2f6c5b8e7a90",
      schema_version: 1,
      records: 2,
      accepted: 0,
      rejected: 1,
      errors: [{ record: 1, path: "/flow_bbl_d", keyword: "type", message: 'Instance type "string" is invalid. Expected "number".' }],
      errors_truncated: false,
      quarantine_id: "9a7d1c3e-5b2f-4e6a-8c0d-1e2f3a4b5c6d",
    },
  );
  return {
    "/data/datasets": {
      get: op({
        operationId: "listGrantedDatasets",
        summary: "List the datasets this client may push to",
        tags,
        security: CLIENT,
        responses: { ...dataCommon(), "200": ok("The datasets granted to this client.", "DatasetListEnvelope") },
        "x-consistency": `Served from the isolate's cache (up to ${s.configCacheSeconds} s) and KV's edge cache.`,
      }),
    },
    "/data/datasets/{dataset_id}/schema": {
      parameters: [parameterRef("DatasetIdPath")],
      get: op({
        operationId: "getCurrentSchema",
        summary: "Get the schema pushes are validated against",
        tags,
        security: CLIENT,
        description:
          "The dataset's current schema with its `schema_version`, so client developers can validate records before sending them.",
        responses: { ...dataCommon(), "200": ok("The current schema version.", "SchemaEnvelope"), "404": responseRef("NotFound") },
        "x-consistency": `The version a push would be validated against now, from the same caches (up to ${s.configCacheSeconds} s behind a schema change).`,
      }),
    },
    "/data/json": {
      post: op({
        operationId: "pushRecords",
        summary: "Push records",
        tags,
        security: CLIENT,
        description: [
          "Validates every record against the dataset's current schema.",
          "- All valid: **202** with the submission, sent only after the records are durably written (R2, or S3 where the deployment forwards there) to `datasets/{dataset_id}/date={YYYY-MM-DD}/{submission_id}.ndjson`.",
          "- Some invalid: **422**, nothing stored in the dataset; the problem lists `errors` (`record` = 0-based index in the array, or the 1-based line for NDJSON; `path` = JSON Pointer into the record), " +
            `at most ${l.maxErrors} with \`errors_truncated: true\` beyond, with \`records\` and \`rejected\` counts. The refused records are kept in quarantine so nothing sent is lost.`,
          "- `?partial=true`: the valid records are stored (202) and the response also lists the rejected ones the same way (if none is valid, 422).",
          "- `?dry_run=true`: validates and answers exactly as a real push would, storing nothing.",
          `- \`Idempotency-Key\`: a retry within ${s.idempotencyWindowSeconds / 3600} h returns the first response (see the header's description and \`x-idempotency\`).`,
          "- A storage failure: 503 with `Retry-After`; nothing is acknowledged (retry, with the same `Idempotency-Key`).",
        ].join("\n"),
        parameters: [
          parameterRef("DatasetIdQuery"),
          parameterRef("PartialQuery"),
          parameterRef("DryRunQuery"),
          parameterRef("IdempotencyKey"),
          parameterRef("ContentEncoding"),
        ],
        requestBody: pushBody,
        responses: {
          ...dataCommon(),
          "202": {
            description:
              "Accepted and durably stored (or, for a dry run, valid). For a replay, the first response byte for byte, with `Idempotent-Replayed: true`.",
            headers: { "Idempotent-Replayed": headerRef("IdempotentReplayed") },
            content: json("DataSubmissionEnvelope"),
          },
          "400": problem(
            "Malformed: invalid JSON or NDJSON (`line` and `column`; for NDJSON `line` is the record's line), an empty body or array, an undecodable gzip or UTF-8 body, or an invalid parameter or `Idempotency-Key` (`field`).",
            {
              json: {
                summary: "Invalid NDJSON line",
                value: problemExample(
                  "bad_request",
                  400,
                  "Line 3 is not valid JSON: unexpected end of input, expected a value at column 14.",
                  { line: 3, column: 14 },
                ),
              },
              empty: {
                summary: "Empty body",
                value: problemExample("bad_request", 400, "The body is empty: send one record or an array of records."),
              },
            },
          ),
          "404": responseRef("NotFound"),
          "409": problem(
            "A request with this `Idempotency-Key` is still being processed: retry after it completes.",
            {},
            { "Retry-After": headerRef("RetryAfter") },
          ),
          "413": problem(
            `Over a limit: the (decompressed) body (\`limit_bytes\`: ${bytes(l.maxBodyBytes)}, or ${bytes(l.maxJsonBodyBytes)} for \`application/json\`), the records of one push (\`limit_records\`: ${l.maxRecords}), one NDJSON line (\`limit_record_bytes\`: ${l.maxRecordBytes}, with its \`line\`) or the nesting depth of one record (\`limit_depth\`: ${l.maxDepth}, with its \`record\`). Nothing is stored.`,
            {
              records: {
                summary: "Too many records",
                value: problemExample("payload_too_large", 413, `The push has more than the limit of ${l.maxRecords} records; split it.`, {
                  limit_records: l.maxRecords,
                }),
              },
            },
          ),
          "415": problem("`Content-Type` is not `application/json` or `application/x-ndjson`, or `Content-Encoding` is not gzip."),
          "422": problem(
            'Some records do not validate (nothing stored in the dataset; with `?partial=true`, none validates), or the `Idempotency-Key` was used before with a different request (`field: "Idempotency-Key"`).',
            {
              invalid: { summary: "Invalid records", value: validationExample },
              key: {
                summary: "Key reused with another body",
                value: problemExample("unprocessable", 422, "This Idempotency-Key was already used with a different request body.", {
                  field: "Idempotency-Key",
                }),
              },
            },
          ),
        },
        "x-idempotency": {
          header: "Idempotency-Key",
          scope: ["client_id", "dataset_id"],
          window_seconds: s.idempotencyWindowSeconds,
          max_key_length: s.idempotencyKeyMaxLength,
          same_key_same_request: "the first response is returned again (Idempotent-Replayed: true); nothing new is stored",
          same_key_different_request: 422,
          same_key_in_flight: 409,
          fingerprint: "SHA-256 of the body as sent, with Content-Type, Content-Encoding and partial",
          failures_release_key: "a 5xx of the first request frees the key for a retry; its 4xx answers are replayed like successes",
          dry_run: "ignored: dry runs neither claim nor replay a key",
        },
        "x-partial":
          "With ?partial=true the valid records are stored (202) and the rejected ones listed in `errors`; all invalid is still a 422.",
        "x-dry-run":
          "With ?dry_run=true the same validation runs and the same 202/422 bodies are answered (with dry_run: true), but nothing is stored, no receipt is kept and no Idempotency-Key is used.",
        "x-durability": "202 only after every accepted record is durably written; on a storage failure nothing is acknowledged (503).",
      }),
    },
    "/data/submissions/{submission_id}": {
      parameters: [parameterRef("SubmissionIdPath")],
      get: op({
        operationId: "getSubmission",
        summary: "Get a submission's receipt",
        tags,
        security: CLIENT,
        description: "Any client of the company that pushed it may read it. Receipts are read-after-write consistent (R2).",
        responses: { ...dataCommon(), "200": ok("The receipt.", "SubmissionReceiptEnvelope"), "404": responseRef("NotFound") },
      }),
    },
    "/data/file_upload_url": {
      get: op({
        operationId: "getFileUploadUrl",
        summary: "Get a presigned URL to upload a file",
        tags: ["Uploads"],
        security: CLIENT,
        description:
          "Answers an AWS Signature V4 presigned URL for the key `uploads/{dataset_id}/{file_id}/{file_name}`. `PUT` the file's bytes to `uri` with exactly `headers` before `expires_at`; " +
          "the file's rows are then validated against the dataset's schema and stored like pushed records (follow it with `GET /data/files/{file_id}`). " +
          "`file_name` must carry an extension that fits the dataset's format (`.csv` for csv, `.json` for json, `.ndjson`/`.jsonl` for ndjson); it is sanitised before it enters the key.",
        parameters: [
          parameterRef("DatasetIdQuery"),
          {
            name: "file_name",
            in: "query",
            required: true,
            description:
              "The file's name, with an extension fitting the dataset's format (400 otherwise). It is sanitised before it enters the key: a directory part is dropped, characters other than `A-Z a-z 0-9 . _ -` become `_`, `..` and leading dots go, and the part before the extension is cut to 128 characters.",
            schema: { type: "string", minLength: 1, maxLength: 1024 },
            example: "wells-2023-05-04.csv",
          },
          {
            name: "content_type",
            in: "query",
            required: false,
            description: "The file's media type (default: from the extension), bound into the signature: the PUT must send it.",
            schema: { type: "string" },
            example: "text/csv",
          },
          {
            name: "content_length",
            in: "query",
            required: false,
            description: `Binds the upload to exactly this size in bytes (a signed \`Content-Length\`); at most ${s.maxUploadBytes}.`,
            schema: { type: "integer", minimum: 0, maximum: s.maxUploadBytes },
          },
          {
            name: "checksum_sha256",
            in: "query",
            required: false,
            description:
              "Binds the upload to this content: the file's SHA-256, base64 (44 characters, as `x-amz-checksum-sha256` carries it; escape `+` as `%2B`) or hex (64 characters). The PUT must send it as `x-amz-checksum-sha256` (in base64), and the stored object is checked against it.",
            schema: { type: "string", pattern: "^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$" },
          },
          parameterRef("ClientIdCheckQuery"),
        ],
        responses: {
          ...dataCommon(),
          "200": ok(
            "Where and how to upload. The upload is recorded as `awaiting_upload` (see `GET /data/files/{file_id}`).",
            "FileUploadUriEnvelope",
          ),
          "400": problem(
            "A missing or invalid parameter (`field`): no `file_name`, an extension that does not fit the dataset's format, an invalid `content_type`, `content_length` or `checksum_sha256`.",
            {
              extension: {
                summary: "Wrong extension",
                value: problemExample("bad_request", 400, '`file_name` must end in .csv for this dataset (format csv); got "wells.json".', {
                  field: "file_name",
                }),
              },
            },
          ),
          "404": responseRef("NotFound"),
          "413": problem(`\`content_length\` is over the limit of ${bytes(s.maxUploadBytes)} for one file (\`limit_bytes\`).`),
        },
      }),
    },
    "/data/files/{file_id}": {
      parameters: [parameterRef("FileIdPath")],
      get: op({
        operationId: "getFile",
        summary: "Get an upload's status",
        tags: ["Uploads"],
        security: CLIENT,
        description:
          "The upload's status (`awaiting_upload`, `processing`, `succeeded`, `failed`) and, once processed, its counts and first row errors. Any client of the file's company may read it. Read-after-write consistent.",
        responses: { ...dataCommon(), "200": ok("The upload.", "FileStatusEnvelope"), "404": responseRef("NotFound") },
      }),
    },
    "/data/files/{file_id}/complete": {
      parameters: [parameterRef("FileIdPath")],
      post: op({
        operationId: "completeFile",
        summary: "Start processing an uploaded file now",
        tags: ["Uploads"],
        security: CLIENT,
        description:
          "Needed only where the storage cannot notify the API by itself (an S3 upload target without event notifications). Any client of the file's company that is granted its dataset may call it (403 otherwise). Calling it twice, or for a file already being processed, does no harm: a file's rows are stored once.",
        responses: {
          ...dataCommon(),
          "202": ok("Processing is started (or resumed from its checkpoint, or already under way, or done).", "FileStatusEnvelope"),
          "404": responseRef("NotFound"),
          "409": problem("The file has not been uploaded yet: PUT it to the upload URL first (`file_id`, `file_status`)."),
        },
        "x-idempotent": true,
      }),
    },
  };
}

function uploadTargetRoutes(s: DocumentSettings): Record<string, PathItem> {
  const s3 = (description: string): Response => ({ description, content: { "application/xml": { schema: ref("S3Error") } } });
  const amz = (name: string, description: string, extra: object = {}): Parameter => ({
    name,
    in: "query",
    required: true,
    description,
    schema: { type: "string", ...extra },
  });
  return {
    "/uploads/{dataset_id}/{file_id}/{file_name}": {
      put: op({
        operationId: "uploadFile",
        summary: "Upload a file (presigned URL target)",
        tags: ["Uploads"],
        security: NONE,
        description:
          "The target of a `uri` from `GET /data/file_upload_url` on deployments whose upload backend is the Worker itself (the default, and `wrangler dev`). Do not build this URL: use `uri` and `headers` exactly as answered. " +
          "The AWS Signature V4 query signature is the credential (no `Authorization` header); the Worker verifies it (same canonical request as S3, constant-time comparison) and refuses expired, tampered, wrong-method or wrong-key requests with 403 and an S3-style XML error. " +
          "Any other method or path under `/uploads/` is answered the same way (an S3-style 403, or 405 for another method of a valid URL). " +
          `The body (at most ${bytes(s.maxUploadBytes)}) is streamed into storage at \`uploads/{dataset_id}/{file_id}/{file_name}\`, and processing of the file's rows starts when it is complete.`,
        parameters: [
          { name: "dataset_id", in: "path", required: true, schema: { type: "string", format: "uuid" } },
          { name: "file_id", in: "path", required: true, schema: { type: "string", format: "uuid" } },
          { name: "file_name", in: "path", required: true, schema: { type: "string" } },
          amz("X-Amz-Algorithm", "`AWS4-HMAC-SHA256`.", { const: "AWS4-HMAC-SHA256" }),
          amz("X-Amz-Credential", "`<access key id>/<date>/<region>/s3/aws4_request`."),
          amz("X-Amz-Date", "When the URL was signed (`YYYYMMDD'T'HHMMSS'Z'`).", { pattern: "^\\d{8}T\\d{6}Z$" }),
          amz("X-Amz-Expires", "Seconds the URL is valid after `X-Amz-Date` (at most 604800, 7 days).", { pattern: "^\\d+$" }),
          amz("X-Amz-SignedHeaders", "The headers the signature covers, e.g. `content-type;host`."),
          amz("X-Amz-Signature", "The signature (hex).", { pattern: "^[0-9a-f]{64}$" }),
        ],
        requestBody: {
          required: true,
          description:
            "The file's bytes, with the `Content-Type` (and, where bound, `Content-Length` and `x-amz-checksum-sha256`) listed in `headers`.",
          content: { "*/*": { schema: { type: "string", contentEncoding: "binary" } } },
        },
        responses: {
          "200": {
            description: "Stored; processing of the file's rows is queued (the file is now `processing`).",
            headers: {
              ETag: { description: "The stored object's entity tag.", schema: { type: "string" } },
              "x-amz-request-id": { description: "As `X-Request-Id`.", schema: { type: "string" } },
              "x-amz-checksum-sha256": { description: "The bound checksum, when the URL binds one.", schema: { type: "string" } },
            },
          },
          "400": s3(
            "`IncompleteBody` (fewer or more bytes than `Content-Length`) or `BadDigest` (the content does not match the bound `x-amz-checksum-sha256`).",
          ),
          "403": s3(
            `The URL does not authorise this request (as S3 answers it): \`AccessDenied\` (expired, not yet valid, no upload expected at this path), \`SignatureDoesNotMatch\` (tampered path, query or signature, another method, or a signed header — e.g. \`Content-Type\` — with another value), \`AuthorizationQueryParametersError\`, \`InvalidAccessKeyId\`, or \`EntityTooLarge\` (over ${bytes(s.maxUploadBytes)}).`,
          ),
          "409": s3("`OperationAborted`: this file was already uploaded; ask for a new URL to send another file."),
          "411": s3("`MissingContentLength`: the PUT must carry `Content-Length`."),
          "503": s3(
            "`SlowDown` or `ServiceUnavailable`: the file could not be stored or queued (or uploads are not configured); send the PUT again.",
          ),
        },
        "x-upload-backend": "worker",
      }),
    },
  };
}

export function paths(s: DocumentSettings): Record<string, PathItem> {
  return {
    ...serviceRoutes(),
    ...authRoutes(s),
    ...adminDatasetRoutes(s),
    ...adminClientRoutes(s),
    ...adminSubmissionRoutes(),
    ...dataRoutes(s),
    ...uploadTargetRoutes(s),
  };
}
