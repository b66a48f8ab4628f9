/**
 * The subset of OpenAPI 3.1 (https://spec.openapis.org/oas/v3.1.1) this API's document uses, typed so
 * that a misspelt field fails `tsc` rather than silently vanishing from the document. Schema Objects
 * are JSON Schema 2020-12 (the OpenAPI 3.1 dialect). `x-…` members are specification extensions.
 */

export type Extensions = { [key: `x-${string}`]: unknown };

export interface Reference {
  $ref: string;
  summary?: string;
  description?: string;
}

export type JsonType = "object" | "array" | "string" | "number" | "integer" | "boolean" | "null";

/** A JSON Schema 2020-12 schema (only the keywords this document uses). */
export interface Schema extends Extensions {
  $ref?: string;
  title?: string;
  description?: string;
  type?: JsonType | JsonType[];
  format?: string;
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  examples?: unknown[];
  deprecated?: boolean;
  readOnly?: boolean;
  writeOnly?: boolean;
  // objects
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minProperties?: number;
  // arrays
  items?: Schema;
  prefixItems?: Schema[];
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  // strings
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  contentMediaType?: string;
  contentEncoding?: string;
  // numbers
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  // composition
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  /** OpenAPI's XML Object, for the upload target's S3-style XML errors. */
  xml?: { name?: string };
}

export interface Example extends Extensions {
  summary?: string;
  description?: string;
  value?: unknown;
}

export interface MediaType extends Extensions {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, Example | Reference>;
  encoding?: Record<string, { contentType?: string; style?: string; explode?: boolean }>;
}

export interface Header extends Extensions {
  description?: string;
  required?: boolean;
  deprecated?: boolean;
  schema: Schema;
  example?: unknown;
}

export interface Parameter extends Extensions {
  name: string;
  in: "query" | "header" | "path" | "cookie";
  description?: string;
  required?: boolean;
  deprecated?: boolean;
  allowEmptyValue?: boolean;
  style?: string;
  explode?: boolean;
  schema: Schema;
  example?: unknown;
  examples?: Record<string, Example | Reference>;
}

export interface RequestBody extends Extensions {
  description?: string;
  required?: boolean;
  content: Record<string, MediaType>;
}

export interface Response extends Extensions {
  description: string;
  headers?: Record<string, Header | Reference>;
  content?: Record<string, MediaType>;
}

export type Responses = Record<string, Response | Reference>;

/** Each entry: a scheme name and its scopes. `{}` in the list means "no authentication" is an option. */
export type SecurityRequirement = Record<string, string[]>;

export interface Operation extends Extensions {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  parameters?: Array<Parameter | Reference>;
  requestBody?: RequestBody | Reference;
  responses: Responses;
  security?: SecurityRequirement[];
  deprecated?: boolean;
}

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathItem = Extensions & {
  summary?: string;
  description?: string;
  parameters?: Array<Parameter | Reference>;
} & { [M in HttpMethod]?: Operation };

export type SecurityScheme = Extensions &
  (
    | { type: "http"; scheme: "bearer"; bearerFormat?: string; description?: string }
    | { type: "http"; scheme: "basic"; description?: string }
    | { type: "apiKey"; name: string; in: "query" | "header" | "cookie"; description?: string }
  );

export interface Components {
  schemas?: Record<string, Schema>;
  responses?: Record<string, Response>;
  parameters?: Record<string, Parameter>;
  headers?: Record<string, Header>;
  requestBodies?: Record<string, RequestBody>;
  examples?: Record<string, Example>;
  securitySchemes?: Record<string, SecurityScheme>;
}

export interface Tag extends Extensions {
  name: string;
  description?: string;
}

export interface OpenApiDocument extends Extensions {
  openapi: `3.1.${number}`;
  jsonSchemaDialect?: string;
  info: Extensions & {
    title: string;
    version: string;
    summary?: string;
    description?: string;
    license?: { name: string; identifier?: string; url?: string };
  };
  servers?: Array<{ url: string; description?: string }>;
  tags?: Tag[];
  paths: Record<string, PathItem>;
  components: Components;
  security?: SecurityRequirement[];
}
