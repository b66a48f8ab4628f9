import { headerRef, headers, parameters, responses, securitySchemes } from "./components";
import { paths } from "./paths";
import { schemas } from "./schemas";
import { bytes, type DocumentSettings, documentSettings } from "./settings";
import { HTTP_METHODS, type OpenApiDocument, type PathItem, type Response } from "./types";

export { type DocumentSettings, documentSettings } from "./settings";

export const API_TITLE = "Data API";
export const API_VERSION = "1.0.0";

function description(s: DocumentSettings): string {
  const l = s.limits;
  return `Companies push JSON records and upload files to datasets; every record is validated against the dataset's JSON Schema and stored durably.

**Authentication.** Admin routes (\`/admin/…\`, for operators) take \`Authorization: Bearer <ADMIN_TOKEN>\`. Data routes (\`/data/…\`, for clients) take an access token from \`POST /oauth/token\` (\`Authorization: Bearer …\`) or HTTP Basic \`client_id:client_secret\`. A disabled or deleted client is refused at once, also with a token it obtained before.

**Envelopes.** Success bodies are \`{"meta": {"type": "<Type>", "transaction_id": "<uuid>"}, "data": [ … ]}\`. Every error is \`application/problem+json\` (RFC 9457, the \`Problem\` schema) — except the token endpoint's RFC 6749 errors and the upload target's S3-style XML errors. Every response carries \`X-Request-Id\`, equal to \`transaction_id\`. A 500 is only ever our own bug.

**Limits** (this deployment's; see \`x-limits\`):

| what | limit |
| --- | --- |
| a push's body, decompressed | ${bytes(l.maxBodyBytes)} |
| an \`application/json\` push (parsed whole) | ${bytes(l.maxJsonBodyBytes)} |
| records in one push | ${l.maxRecords} |
| one NDJSON line | ${l.maxRecordBytes} characters |
| nesting depth of one record | ${l.maxDepth} |
| errors listed in one response | ${l.maxErrors} (then \`errors_truncated: true\`) |
| an admin body | ${bytes(s.adminBodyBytes)} |
| \`Idempotency-Key\` | ${s.idempotencyKeyMaxLength} characters |
| datasets granted to one client | ${s.maxGrants} |
| an uploaded file | ${bytes(s.maxUploadBytes)} |
| validity of an upload URL | ${s.uploadUrlTtlSeconds} s |

**Idempotency.** \`POST /data/json\` honours \`Idempotency-Key\` for ${s.idempotencyWindowSeconds / 3600} h per client and dataset (see \`x-idempotency\`).

**Consistency and caching.** Datasets, schemas and clients live in Workers KV (eventually consistent). Admin routes read it directly; the data path caches datasets and schemas in the isolate for ${s.configCacheSeconds} s (plus KV's edge cache), and client records for 5 s, so a schema change or a disabled client takes effect everywhere within that time plus KV propagation. Submissions, receipts, uploads and idempotency records live in R2 (read-after-write consistent).

**Rate limiting.** Data routes are rate-limited per client (per Cloudflare location); beyond it, 429 with \`Retry-After: ${s.rateLimitPeriodSeconds}\`.`;
}

/** Every response states the `X-Request-Id` header the request-context middleware always sets. */
function withRequestId(response: Response): Response {
  return { ...response, headers: { ...response.headers, "X-Request-Id": headerRef("XRequestId") } };
}

function withRequestIds(items: Record<string, PathItem>): Record<string, PathItem> {
  const out: Record<string, PathItem> = {};
  for (const [path, item] of Object.entries(items)) {
    const next: PathItem = { ...item };
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const responses = Object.fromEntries(
        Object.entries(operation.responses).map(([status, r]) => [status, "$ref" in r ? r : withRequestId(r)]),
      );
      next[method] = { ...operation, responses };
    }
    out[path] = next;
  }
  return out;
}

/** The OpenAPI 3.1 document of the API, stating the given deployment settings (default: wrangler.toml's defaults). */
export function buildOpenApiDocument(settings: DocumentSettings = documentSettings()): OpenApiDocument {
  const s = settings;
  const l = s.limits;
  return {
    openapi: "3.1.1",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info: {
      title: API_TITLE,
      version: API_VERSION,
      summary: "Validated ingestion of JSON records and files into per-company datasets.",
      description: description(s),
    },
    servers: [{ url: "/", description: "This deployment" }],
    tags: [
      { name: "Authentication", description: "OAuth 2.0 client credentials for the data routes." },
      { name: "Admin: datasets", description: "Operators: datasets and their versioned JSON Schemas." },
      { name: "Admin: clients", description: "Operators: clients (credentials) of a company and their dataset grants." },
      { name: "Admin: submissions", description: "Operators: any company's submission receipts, for support." },
      { name: "Data", description: "Clients: discover datasets and schemas, push records, read receipts." },
      {
        name: "Uploads",
        description: "Clients: upload files through presigned URLs; their rows are validated and stored like pushed records.",
      },
      { name: "Service", description: "Health, this document and its documentation page. No authentication." },
    ],
    paths: withRequestIds(paths(s)),
    components: {
      schemas: schemas(s),
      responses: Object.fromEntries(Object.entries(responses(s)).map(([name, r]) => [name, withRequestId(r)])),
      parameters: parameters(s),
      headers: headers(),
      securitySchemes: securitySchemes(s),
    },
    "x-limits": {
      push: {
        max_body_bytes: l.maxBodyBytes,
        max_json_body_bytes: l.maxJsonBodyBytes,
        max_records: l.maxRecords,
        max_record_bytes: l.maxRecordBytes,
        max_depth: l.maxDepth,
        max_errors: l.maxErrors,
        configured_by: ["MAX_BODY_BYTES", "MAX_JSON_BODY_BYTES", "MAX_RECORDS", "MAX_RECORD_BYTES", "MAX_DEPTH", "MAX_ERRORS"],
        exceeded: "413 with the limit named in limit_bytes, limit_records, limit_record_bytes or limit_depth; nothing is stored",
      },
      admin_body_bytes: s.adminBodyBytes,
      token_request_bytes: s.tokenRequestBytes,
      idempotency_key_max_length: s.idempotencyKeyMaxLength,
      max_grants_per_client: s.maxGrants,
      upload: {
        url_ttl_seconds: s.uploadUrlTtlSeconds,
        url_max_ttl_seconds: s.uploadUrlMaxTtlSeconds,
        max_file_bytes: s.maxUploadBytes,
        configured_by: ["UPLOAD_URL_TTL_SECONDS", "MAX_UPLOAD_BYTES"],
      },
    },
    "x-idempotency": {
      header: "Idempotency-Key",
      operations: ["pushRecords"],
      scope: ["client_id", "dataset_id"],
      window_seconds: s.idempotencyWindowSeconds,
      specification: "IETF httpapi Idempotency-Key header draft",
      replay: "the first response, byte for byte, with Idempotent-Replayed: true and the first transaction_id",
      conflicts: { different_request: 422, in_flight: 409 },
    },
    "x-consistency": {
      configuration: {
        store: "Workers KV (eventually consistent)",
        admin_reads: "uncached: operators see their own writes",
        data_path_cache_seconds: s.configCacheSeconds,
        client_cache_seconds: 5,
        configured_by: ["CONFIG_CACHE_SECONDS", "KV_CACHE_TTL_SECONDS"],
      },
      data: {
        store: "R2 (read-after-write consistent)",
        covers: ["records", "receipts", "uploads", "file status", "idempotency records", "quarantine"],
      },
      durability:
        "a 202 is sent only after the accepted records are durably written; a storage failure is a 503 and nothing is acknowledged",
    },
    "x-rate-limit": {
      scope: "client_id, per Cloudflare location",
      period_seconds: s.rateLimitPeriodSeconds,
      exceeded: "429 with Retry-After",
    },
  };
}

const cache = new Map<string, OpenApiDocument>();

/** The document for a deployment's settings, built once per isolate and settings. */
export function openApiDocument(settings: DocumentSettings): OpenApiDocument {
  const key = JSON.stringify(settings);
  let document = cache.get(key);
  if (!document) {
    document = buildOpenApiDocument(settings);
    if (cache.size > 8) cache.clear();
    cache.set(key, document);
  }
  return document;
}
