import { SUPPORTED_DRAFT_URIS } from "../schema/drafts";
import { DATASET_FORMATS } from "../storage/registry";
import type { DocumentSettings } from "./settings";
import type { Schema } from "./types";

/** `#/components/schemas/{name}`. */
export function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

const uuid = (description: string): Schema => ({ type: "string", format: "uuid", description });
const timestamp = (description: string): Schema => ({ type: "string", format: "date-time", description });
const count = (description: string): Schema => ({ type: "integer", minimum: 0, description });

export const COMPANY_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
export const FILE_STATUSES = ["awaiting_upload", "processing", "succeeded", "failed"] as const;
export const ERROR_CODES = [
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "unprocessable",
  "rate_limited",
  "internal",
  "unavailable",
] as const;

/**
 * A success envelope of API.md: `{"meta": {"type": "<Type>", "transaction_id"}, "data": [ … ]}`.
 * `one`: `data` holds exactly one item (a created, read or changed resource).
 */
function envelope(type: string, item: Schema, one: boolean, description: string): Schema {
  return {
    type: "object",
    description,
    required: ["meta", "data"],
    properties: {
      meta: { allOf: [ref("Meta"), { type: "object", properties: { type: { const: type } } }] },
      data: { type: "array", items: item, ...(one ? { minItems: 1, maxItems: 1 } : {}) },
    },
  };
}

export function schemas(s: DocumentSettings): Record<string, Schema> {
  const errorsNote = `At most ${s.limits.maxErrors} errors are listed; \`errors_truncated\` is true when there were more.`;
  return {
    // ---------------------------------------------------------------- envelopes and errors
    Meta: {
      type: "object",
      description: "The `meta` member of every success body.",
      required: ["type", "transaction_id"],
      properties: {
        type: {
          type: "string",
          description:
            "What `data` holds: `Dataset`, `Schema`, `Client`, `DataSubmission`, `SubmissionReceipt`, `FileUploadUri` or `FileStatus`.",
        },
        transaction_id: uuid(
          "The id of this request, equal to the `X-Request-Id` response header (of the first request, for an idempotent replay).",
        ),
      },
    },
    Problem: {
      type: "object",
      description:
        "Every error of the API is an RFC 9457 problem (`application/problem+json`). `transaction_id` equals the `X-Request-Id` header. " +
        "Besides the five standard members, a problem carries the extension members that apply to it (all listed here); clients should ignore members they do not know. " +
        "A 500 is only ever our own bug and never carries internals.",
      required: ["type", "title", "status", "detail", "transaction_id"],
      additionalProperties: true,
      properties: {
        type: {
          type: "string",
          format: "uri",
          pattern: "^urn:data-api:problem:[a-z_]+$",
          description: `\`urn:data-api:problem:{code}\`, one code per status: ${ERROR_CODES.map((c) => `\`${c}\``).join(", ")}.`,
          examples: ["urn:data-api:problem:unprocessable"],
        },
        title: { type: "string", description: "The status's reason phrase, e.g. `Unprocessable Content`." },
        status: { type: "integer", minimum: 400, maximum: 599 },
        detail: { type: "string", description: "What went wrong with this request, in words a developer can act on." },
        transaction_id: uuid("The id of this request (the `X-Request-Id` header)."),
        errors: {
          type: "array",
          items: ref("ProblemError"),
          description: `Validation errors: of the records of a push (422, each with \`record\`), of a schema against its draft's meta-schema, or of a schema's \`examples\` (400, each with \`example\`). ${errorsNote}`,
        },
        errors_truncated: { type: "boolean", description: "True when more errors were found than `errors` lists." },
        records: count("Records in the push (422)."),
        accepted: count("Records that validated (422: always 0, nothing was stored in the dataset)."),
        rejected: count("Records that did not validate (422)."),
        dataset_id: uuid("The dataset the push was for (422)."),
        schema_version: { type: "integer", minimum: 1, description: "The schema version the records were validated against (422)." },
        dry_run: { type: "boolean", const: true, description: "Present on the 422 of a `?dry_run=true` push." },
        quarantine_id: uuid(
          "Where support finds the refused push: the records are kept under `quarantine/{dataset_id}/…/{quarantine_id}.*` (422, not for dry runs).",
        ),
        line: {
          type: "integer",
          minimum: 1,
          description:
            "Malformed JSON: the 1-based line of the fault (for NDJSON, the line of the record); a record over the size limit (413): its line.",
        },
        column: { type: "integer", minimum: 1, description: "Malformed JSON: the 1-based column of the fault." },
        record: { type: "integer", minimum: 0, description: "The record that broke a limit (413, nesting depth)." },
        field: {
          type: "string",
          description: "The parameter, body member or header that is wrong, e.g. `company_id`, `dataset_ids`, `Idempotency-Key`.",
        },
        incompatible: {
          type: "array",
          items: ref("Incompatibility"),
          description:
            "409 of `PUT /admin/datasets/{dataset_id}/schema`: the registered examples and recently accepted records the new schema would reject, and why.",
        },
        supported_drafts: {
          type: "array",
          items: { type: "string", enum: [...SUPPORTED_DRAFT_URIS] },
          description: "400 for an unsupported `$schema`: the `$schema` URIs that are accepted.",
        },
        refs: {
          type: "array",
          items: ref("RefProblem"),
          description: "400 for a schema whose `$ref` points outside the document (remote references are never fetched) or to nothing.",
        },
        invalid: {
          type: "array",
          items: { type: "string" },
          description: "400 for client grants: the dataset ids that are not datasets of the client's company.",
        },
        limit_bytes: count("413: the body limit in bytes that was exceeded."),
        file_id: uuid("The upload concerned (409 of `POST /data/files/{file_id}/complete`)."),
        file_status: {
          type: "string",
          enum: [...FILE_STATUSES],
          description: "The upload's status (409 of `POST /data/files/{file_id}/complete`: `awaiting_upload`).",
        },
        limit_records: count("413: the limit on records in one push."),
        limit_record_bytes: count("413: the limit on characters of one NDJSON line."),
        limit_depth: count("413: the limit on the nesting depth of one record."),
        retry_after: count("429: seconds until the client may send again (also the `Retry-After` header)."),
      },
    },
    SchemaError: {
      type: "object",
      description: "One way an instance fails a JSON Schema.",
      required: ["path", "keyword", "message"],
      properties: {
        path: {
          type: "string",
          description: 'JSON Pointer (RFC 6901) into the instance; `""` is the whole instance.',
          examples: ["/flow_bbl_d"],
        },
        keyword: { type: "string", description: "The schema keyword that failed, e.g. `type`, `required`, `additionalProperties`." },
        message: { type: "string" },
      },
    },
    RecordError: {
      type: "object",
      description:
        "One validation error of one record. `record` is the 0-based index in a JSON array (0 for a single object), the 1-based line for NDJSON, or the 1-based row for a file (header excluded, for CSV).",
      required: ["record", "path", "keyword", "message"],
      properties: {
        record: { type: "integer", minimum: 0 },
        path: { type: "string", description: "JSON Pointer (RFC 6901) into the record.", examples: ["/flow_bbl_d"] },
        keyword: { type: "string", examples: ["type"] },
        message: { type: "string" },
      },
    },
    ProblemError: {
      type: "object",
      description:
        "An entry of a problem's `errors`: a `SchemaError`, with `record` (a push's record, as in `RecordError`) or `example` (the index in the schema's `examples`) when it concerns one.",
      required: ["path", "keyword", "message"],
      properties: {
        record: { type: "integer", minimum: 0, description: "As `RecordError.record`." },
        example: { type: "integer", minimum: 0, description: "Index into the schema's root `examples`." },
        path: { type: "string", description: "JSON Pointer (RFC 6901) into the record, example or schema." },
        keyword: { type: "string" },
        message: { type: "string" },
      },
    },
    Incompatibility: {
      type: "object",
      required: ["source", "index", "errors"],
      properties: {
        source: {
          type: "string",
          enum: ["example", "recent_record"],
          description: "A registered example of the current schema, or one of the dataset's recently accepted records.",
        },
        index: { type: "integer", minimum: 0 },
        errors: { type: "array", items: ref("SchemaError") },
      },
    },
    RefProblem: {
      type: "object",
      required: ["at", "ref", "reason"],
      properties: {
        at: { type: "string", description: "JSON Pointer to the `$ref` in the schema." },
        ref: { type: "string", description: "The `$ref` value." },
        reason: { type: "string" },
      },
    },
    OAuthError: {
      type: "object",
      description: "An error of the token endpoint, in the shape OAuth 2.0 clients parse (RFC 6749 §5.2), not problem+json.",
      required: ["error"],
      properties: {
        error: { type: "string", enum: ["invalid_client", "invalid_request", "unsupported_grant_type"] },
        error_description: { type: "string" },
      },
    },
    S3Error: {
      type: "object",
      description:
        "An error of the upload target, in the XML shape S3 clients parse (`<Error><Code>…</Code><Message>…</Message></Error>`), not problem+json.",
      xml: { name: "Error" },
      required: ["Code", "Message"],
      properties: {
        Code: { type: "string", examples: ["SignatureDoesNotMatch", "AccessDenied", "EntityTooLarge"] },
        Message: { type: "string" },
        Resource: { type: "string", description: "The path of the request." },
        RequestId: { type: "string", description: "The request's id (also `X-Request-Id` and `x-amz-request-id`)." },
      },
    },

    // ---------------------------------------------------------------- service
    Health: {
      type: "object",
      required: ["status"],
      properties: {
        status: { type: "string", const: "ok" },
        version: { type: "string", description: "The package version of the deployed build." },
        build: {
          type: "object",
          description: "On Cloudflare: the Worker version (id, tag, timestamp) from the version-metadata binding.",
          properties: { id: { type: "string" }, tag: { type: "string" }, timestamp: { type: "string" } },
        },
      },
    },

    // ---------------------------------------------------------------- authentication
    TokenRequest: {
      type: "object",
      description:
        "The client-credentials grant (RFC 6749 §4.4). The credentials go either here or in an HTTP Basic `Authorization` header, not both.",
      required: ["grant_type"],
      properties: {
        grant_type: { type: "string", const: "client_credentials" },
        client_id: { type: "string", format: "uuid" },
        client_secret: { type: "string", writeOnly: true },
        audience: { type: "string", description: `Optional; when given it must be \`${s.tokenAudience}\`.`, examples: [s.tokenAudience] },
      },
    },
    TokenResponse: {
      type: "object",
      required: ["access_token", "token_type", "expires_in", "scope"],
      properties: {
        access_token: {
          type: "string",
          description: "A signed JWT (`sub` = client_id). Send it as `Authorization: Bearer <access_token>` to the data routes.",
        },
        token_type: { type: "string", const: "Bearer" },
        expires_in: { type: "integer", minimum: 1, description: "Seconds the token is valid.", examples: [s.tokenTtlSeconds] },
        scope: { type: "string", examples: [s.tokenScope] },
      },
    },

    // ---------------------------------------------------------------- datasets and schemas
    CompanyId: {
      type: "string",
      pattern: COMPANY_ID_PATTERN,
      description: "A customer organisation, named by the operator: 1 to 64 characters of `A-Z a-z 0-9 _ -`.",
      examples: ["acme"],
    },
    DatasetFormat: {
      type: "string",
      enum: [...DATASET_FORMATS],
      description:
        "The file type the dataset's uploads have (`.json`, `.ndjson`/`.jsonl` or `.csv`). Pushes to `POST /data/json` are JSON or NDJSON whatever the format.",
    },
    JsonSchema: {
      type: "object",
      description:
        `A JSON Schema every record of the dataset must satisfy. \`$schema\` selects the draft (${SUPPORTED_DRAFT_URIS.map((u) => `\`${u}\``).join(", ")}); absent means draft-07. ` +
        "It must be valid against its draft's meta-schema, every entry of a root `examples` must validate against it, and a `$ref` may only point inside the document (remote references are refused, never fetched).",
      additionalProperties: true,
      examples: [
        {
          $schema: "http://json-schema.org/draft-06/schema#",
          examples: [{ date: "2023-05-04", "well-name": "ExampleWell 10 #1", flow_bbl_d: 7.5 }],
          properties: { date: { type: "string" }, "well-name": { type: "string" }, flow_bbl_d: { type: "number" } },
          required: ["date", "well-name", "flow_bbl_d"],
        },
      ],
    },
    Dataset: {
      type: "object",
      description: "One stream of records a company sends, with its current schema version.",
      required: ["dataset_id", "company_id", "name", "format", "schema_version", "created_at", "updated_at"],
      properties: {
        dataset_id: uuid("Generated by the API."),
        company_id: ref("CompanyId"),
        name: { type: "string", minLength: 1, maxLength: 200 },
        format: ref("DatasetFormat"),
        schema_version: {
          type: "integer",
          minimum: 1,
          description: "The current schema version: 1 at creation, +1 with every schema change.",
        },
        created_at: timestamp("When the dataset was created."),
        updated_at: timestamp("When the dataset (its schema version) last changed."),
      },
    },
    DatasetCreate: {
      type: "object",
      required: ["company_id", "name", "format", "schema"],
      properties: {
        company_id: ref("CompanyId"),
        name: { type: "string", minLength: 1, maxLength: 200 },
        format: ref("DatasetFormat"),
        schema: ref("JsonSchema"),
      },
    },
    SchemaUpdate: {
      type: "object",
      required: ["schema"],
      properties: { schema: ref("JsonSchema") },
    },
    SchemaVersion: {
      type: "object",
      description: "One version of a dataset's schema (versions never change once registered).",
      required: ["dataset_id", "schema_version", "schema", "created_at"],
      properties: {
        dataset_id: uuid("The dataset."),
        schema_version: { type: "integer", minimum: 1 },
        schema: ref("JsonSchema"),
        created_at: timestamp("When this version was registered."),
      },
    },

    // ---------------------------------------------------------------- clients
    Client: {
      type: "object",
      description: "One set of API credentials of a company. The secret is never shown here (only at creation and rotation).",
      required: ["client_id", "company_id", "name", "dataset_ids", "disabled", "secret_rotated_at", "created_at", "updated_at"],
      properties: {
        client_id: uuid("Generated by the API; the `client_id` of the client-credentials grant and of HTTP Basic."),
        company_id: ref("CompanyId"),
        name: { type: "string", minLength: 1, maxLength: 200 },
        dataset_ids: {
          type: "array",
          items: { type: "string", format: "uuid" },
          maxItems: s.maxGrants,
          uniqueItems: true,
          description: "The datasets (of the same company) this client may read and push to.",
        },
        disabled: { type: "boolean", description: "A disabled client is refused at once, also with an access token it obtained before." },
        secret_rotated_at: {
          type: "integer",
          minimum: 0,
          description: "Unix seconds of the last secret rotation (0: never rotated). Tokens issued before it are refused.",
        },
        created_at: timestamp("When the client was created."),
        updated_at: timestamp("When the client last changed."),
      },
    },
    ClientWithSecret: {
      description:
        "A client with its secret: answered only by creation and rotation, the only times the secret is shown. The API stores only a hash of it.",
      allOf: [
        ref("Client"),
        {
          type: "object",
          required: ["client_secret"],
          properties: { client_secret: { type: "string", minLength: 1, description: "Shown once: store it now." } },
        },
      ],
    },
    ClientCreate: {
      type: "object",
      required: ["company_id", "name"],
      properties: {
        company_id: ref("CompanyId"),
        name: { type: "string", minLength: 1, maxLength: 200 },
        dataset_ids: {
          type: "array",
          items: { type: "string", format: "uuid" },
          maxItems: s.maxGrants,
          default: [],
          description: "Datasets to grant; each must be a dataset of `company_id` (400 naming the others in `invalid`).",
        },
      },
    },
    ClientUpdate: {
      type: "object",
      description: "Only `dataset_ids` and `disabled` can be changed; any other member is a 400.",
      additionalProperties: false,
      properties: {
        dataset_ids: {
          type: "array",
          items: { type: "string", format: "uuid" },
          maxItems: s.maxGrants,
          description: "Replaces the grants; each must be a dataset of the client's company.",
        },
        disabled: { type: "boolean" },
      },
    },

    // ---------------------------------------------------------------- pushes
    Record: {
      type: "object",
      additionalProperties: true,
      description: "One record: a JSON object that must validate against the dataset's current schema.",
      examples: [{ date: "2023-05-04", "well-name": "ExampleWell 10 #1", flow_bbl_d: 7.5 }],
    },
    RecordsJson: {
      description: "One record, or a non-empty array of records.",
      oneOf: [ref("Record"), { type: "array", items: ref("Record"), minItems: 1, maxItems: s.limits.maxRecords }],
    },
    RecordsNdjson: {
      type: "string",
      contentMediaType: "application/x-ndjson",
      description: "One JSON record per line (LF or CRLF); blank lines are ignored.",
      examples: ['{"date":"2023-05-04","well-name":"ExampleWell 10 #1","flow_bbl_d":7.5}\n'],
    },
    DataSubmission: {
      type: "object",
      description:
        "An accepted push. Answered only after the accepted records are durably written. With `?partial=true`, `rejected` counts the records that were left out, listed in `errors`; with `?dry_run=true` nothing was stored and `dry_run` is true.",
      required: ["submission_id", "dataset_id", "schema_version", "records", "accepted", "rejected", "received_at"],
      properties: {
        submission_id: uuid(
          "Names the stored object `datasets/{dataset_id}/date={YYYY-MM-DD}/{submission_id}.ndjson` and the receipt (`GET /data/submissions/{submission_id}`). For a dry run, an id no receipt is kept for.",
        ),
        dataset_id: uuid("The dataset."),
        schema_version: { type: "integer", minimum: 1, description: "The schema version the records were validated against." },
        records: count("Records in the push."),
        accepted: count("Records stored."),
        rejected: count("Records left out (only with `?partial=true`; kept in quarantine)."),
        received_at: timestamp("When the push was received."),
        errors: { type: "array", items: ref("RecordError"), description: `Present when records were rejected. ${errorsNote}` },
        errors_truncated: { type: "boolean" },
        dry_run: { type: "boolean", const: true, description: "Present for `?dry_run=true`: nothing was stored." },
      },
    },
    SubmissionReceipt: {
      type: "object",
      description: "What the API keeps of an accepted submission.",
      required: [
        "submission_id",
        "dataset_id",
        "company_id",
        "client_id",
        "schema_version",
        "records",
        "accepted",
        "rejected",
        "received_at",
        "partial",
        "object_key",
        "sha256",
        "quarantine_keys",
      ],
      properties: {
        submission_id: uuid("The submission."),
        dataset_id: uuid("The dataset."),
        company_id: ref("CompanyId"),
        client_id: uuid("The client that pushed it."),
        schema_version: { type: "integer", minimum: 1 },
        records: count("Records received."),
        accepted: count("Records stored."),
        rejected: count("Records left out (partial pushes)."),
        received_at: timestamp("When it was received."),
        partial: { type: "boolean", description: "Whether it was pushed with `?partial=true`." },
        object_key: {
          type: "string",
          description: "Where the accepted records are: `datasets/{dataset_id}/date={YYYY-MM-DD}/{submission_id}.ndjson`.",
        },
        sha256: { type: "string", pattern: "^[0-9a-f]{64}$", description: "SHA-256 (hex) of the stored object's content." },
        quarantine_keys: {
          type: "array",
          items: { type: "string" },
          description: "Where rejected records were kept, with their errors (`quarantine/{dataset_id}/…`).",
        },
        file_id: uuid("For records that came from an uploaded file."),
      },
    },

    // ---------------------------------------------------------------- uploads
    FileUploadUri: {
      type: "object",
      description: "Where and how to upload one file: `PUT` the file's bytes to `uri` with exactly `headers`, before `expires_at`.",
      required: ["file_id", "uri", "method", "headers", "expires_at"],
      properties: {
        file_id: uuid("The upload; follow it with `GET /data/files/{file_id}`."),
        uri: {
          type: "string",
          format: "uri",
          description:
            "An AWS Signature V4 presigned URL (query-signed) for the key `uploads/{dataset_id}/{file_id}/{file_name}`: the Worker's own upload target or the S3-compatible endpoint, as the deployment is configured.",
        },
        method: { type: "string", const: "PUT" },
        headers: {
          type: "object",
          additionalProperties: { type: "string" },
          description:
            "Headers the PUT must send with exactly these values (they are signed): `Content-Type`; `Content-Length` and `x-amz-checksum-sha256` when the URL was bound to them. (A PUT must carry `Content-Length` in any case.)",
          examples: [{ "Content-Type": "text/csv" }],
        },
        dataset_id: uuid("The dataset the file is for."),
        file_name: { type: "string", description: "The sanitised file name, as it is in the key (and the URL)." },
        expires_at: timestamp(
          `The URL is refused after this: ${s.uploadUrlTtlSeconds} s after it was issued on this deployment (configurable up to ${s.uploadUrlMaxTtlSeconds / 86400} days).`,
        ),
      },
    },
    FileStatus: {
      type: "object",
      description:
        "An upload and the outcome of processing its rows. Valid rows are stored like pushed records (with `file_id` in their metadata); invalid rows go to quarantine with their errors. " +
        "Large files are processed in chunks, each stored as its own object.",
      required: [
        "file_id",
        "dataset_id",
        "file_name",
        "status",
        "rows",
        "accepted",
        "rejected",
        "errors",
        "errors_truncated",
        "format",
        "content_type",
        "chunks",
        "client_id",
        "created_at",
        "expires_at",
      ],
      additionalProperties: true,
      properties: {
        file_id: uuid("The upload."),
        dataset_id: uuid("The dataset."),
        file_name: {
          type: "string",
          description: "The sanitised file name as it is in the key `uploads/{dataset_id}/{file_id}/{file_name}`.",
        },
        status: {
          type: "string",
          enum: [...FILE_STATUSES],
          description:
            "`awaiting_upload` until the file arrives, `processing` while its rows are validated and stored, then `succeeded` or `failed` (a file that cannot be parsed at all, with `reason`).",
        },
        rows: count("Rows (records) read so far."),
        accepted: count("Rows stored."),
        rejected: count("Rows that did not validate (kept in quarantine)."),
        errors: {
          type: "array",
          items: ref("RecordError"),
          description: `The first row errors; \`record\` is the row number in the file (1-based, header excluded, for CSV). ${errorsNote}`,
        },
        errors_truncated: { type: "boolean" },
        reason: { type: "string", description: "Why the file `failed`." },
        format: ref("DatasetFormat"),
        content_type: { type: "string", description: "The content type the upload was bound to." },
        content_length: count("The size the upload was bound to, when the URL was asked with `content_length`."),
        size: count("Bytes of the uploaded file, once processing started."),
        schema_version: {
          type: "integer",
          minimum: 1,
          description: "The schema version the rows are validated against, fixed when processing starts.",
        },
        chunks: count("Chunks of accepted rows stored so far."),
        client_id: uuid("The client that asked for the upload URL; accepted rows are stored as its records."),
        created_at: timestamp("When the upload URL was issued."),
        expires_at: timestamp("When the upload URL expires."),
        uploaded_at: timestamp("When the file arrived."),
        processing_started_at: timestamp("When processing started."),
        completed_at: timestamp("When processing ended (`succeeded` or `failed`)."),
      },
    },

    // ---------------------------------------------------------------- envelopes
    DatasetEnvelope: envelope("Dataset", ref("Dataset"), true, "One dataset."),
    DatasetListEnvelope: envelope("Dataset", ref("Dataset"), false, "A list of datasets (possibly empty)."),
    SchemaEnvelope: envelope("Schema", ref("SchemaVersion"), true, "One schema version."),
    ClientEnvelope: envelope("Client", ref("Client"), true, "One client, without its secret."),
    ClientListEnvelope: envelope("Client", ref("Client"), false, "A list of clients (possibly empty), without secrets."),
    ClientWithSecretEnvelope: envelope("Client", ref("ClientWithSecret"), true, "One client with its new secret."),
    DataSubmissionEnvelope: envelope("DataSubmission", ref("DataSubmission"), true, "An accepted push."),
    SubmissionReceiptEnvelope: envelope("SubmissionReceipt", ref("SubmissionReceipt"), true, "A submission's receipt."),
    FileUploadUriEnvelope: envelope("FileUploadUri", ref("FileUploadUri"), true, "Where to upload a file."),
    FileStatusEnvelope: envelope("FileStatus", ref("FileStatus"), true, "An upload's status."),
  };
}
