/**
 * Helpers of test/routes/openapi.test.ts: walking the OpenAPI document, and checking real responses
 * against what it documents.
 */
import { Validator } from "@cfworker/json-schema";
import { expect } from "vitest";
import type { Response as ApiResponse, OpenApiDocument, Operation, Parameter, PathItem, Reference, Schema } from "../../src/openapi/types";
import { HTTP_METHODS, type HttpMethod } from "../../src/openapi/types";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Resolves a local JSON Pointer reference (`#/a/b`) in the document; undefined when it points at nothing. */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === "") return doc;
  if (!pointer.startsWith("/")) return undefined;
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split("/")) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** Every `$ref` in the document, with where it is. */
export function allRefs(node: unknown, at = "#"): Array<{ at: string; ref: unknown }> {
  if (Array.isArray(node)) return node.flatMap((item, i) => allRefs(item, `${at}/${i}`));
  if (typeof node !== "object" || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const here = `${at}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    // `examples`/`example` hold example *data*, which may legitimately contain any member name.
    if (key === "example" || key === "examples" || key === "x-example") return [];
    return key === "$ref" ? [{ at, ref: value }] : allRefs(value, here);
  });
}

export function deref<T>(doc: OpenApiDocument, item: T | Reference): T {
  let node: unknown = item;
  for (let hops = 0; hops < 10 && typeof node === "object" && node !== null && "$ref" in node; hops++) {
    node = resolvePointer(doc, (node as Reference).$ref);
  }
  return node as T;
}

export interface DocumentedOperation {
  path: string;
  method: HttpMethod;
  item: PathItem;
  operation: Operation;
}

export function operations(doc: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => (item[method] ? [{ path, method, item, operation: item[method]! }] : [])),
  );
}

/** An operation's parameters, the path item's included (the operation's win on name+location). */
export function parametersOf(doc: OpenApiDocument, { item, operation }: DocumentedOperation): Parameter[] {
  const all = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p) => deref<Parameter>(doc, p));
  const byKey = new Map(all.map((p) => [`${p.in}:${p.name}`, p]));
  return [...byKey.values()];
}

/** Every Schema Object of the document: component schemas and those under parameters, headers and media types. */
export function allSchemas(doc: OpenApiDocument): Array<{ at: string; schema: Schema }> {
  const out: Array<{ at: string; schema: Schema }> = [];
  for (const [name, schema] of Object.entries(doc.components.schemas ?? {})) out.push({ at: `#/components/schemas/${name}`, schema });
  const visit = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        visit(item, `${at}/${i}`);
      });
      return;
    }
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "example" || key === "examples") continue;
      if (key === "schema" && typeof value === "object" && value !== null) out.push({ at: `${at}/schema`, schema: value as Schema });
      else visit(value, `${at}/${key}`);
    }
  };
  visit(doc.paths, "#/paths");
  visit({ responses: doc.components.responses, parameters: doc.components.parameters, headers: doc.components.headers }, "#/components");
  return out;
}

/** Hono's `/a/:id{[0-9]+}/b` → OpenAPI's `/a/{id}/b`. */
export function toOpenApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, "{$1}");
}

/**
 * A JSON Schema validator for one documented schema: the component schemas become `$defs` of a
 * 2020-12 root, with their `#/components/schemas/X` references rewritten to `#/$defs/X`.
 */
export function validatorFor(doc: OpenApiDocument, schema: Schema): Validator {
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== "object" || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        k === "$ref" && typeof v === "string" ? v.replace(/^#\/components\/schemas\//, "#/$defs/") : rewrite(v),
      ]),
    );
  };
  const root = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $defs: rewrite(doc.components.schemas ?? {}),
    ...(rewrite(schema) as object),
  };
  return new Validator(root as object, "2020-12", false);
}

/**
 * Instance members the schema does not name (following `$ref` and `allOf`): a response field that
 * the document does not describe. Objects whose schema names no properties are free-form.
 */
export function undocumentedMembers(doc: OpenApiDocument, schema: Schema, instance: unknown, at = ""): string[] {
  const parts: Schema[] = [];
  const collect = (s: Schema | undefined): void => {
    if (!s) return;
    if (s.$ref) collect(deref<Schema>(doc, { $ref: s.$ref }));
    parts.push(s);
    s.allOf?.forEach(collect);
  };
  collect(schema);
  if (Array.isArray(instance)) {
    const items = parts.find((p) => p.items)?.items;
    return items ? instance.flatMap((item, i) => undocumentedMembers(doc, items, item, `${at}/${i}`)) : [];
  }
  if (typeof instance !== "object" || instance === null) return [];
  const properties: Record<string, Schema> = Object.assign({}, ...parts.map((p) => p.properties ?? {}));
  const openEnded = parts.some((p) => typeof p.additionalProperties === "object");
  if (Object.keys(properties).length === 0 || openEnded) return [];
  return Object.entries(instance).flatMap(([key, value]) => {
    const sub = properties[key];
    return sub ? undocumentedMembers(doc, sub, value, `${at}/${key}`) : [`${at}/${key}`];
  });
}

/**
 * Asserts that a real response is what the document says `method path` answers: a documented status
 * and content type, a body valid against the documented schema with no undocumented members, and
 * the X-Request-Id header. Returns the parsed body.
 */
export async function expectDocumented(
  doc: OpenApiDocument,
  method: HttpMethod,
  path: string,
  res: Response,
): Promise<Json | string | undefined> {
  const label = `${method.toUpperCase()} ${path} → ${res.status}`;
  const operation = doc.paths[path]?.[method];
  expect(operation, `${method.toUpperCase()} ${path} is documented`).toBeDefined();
  const documented = operation!.responses[String(res.status)] ?? operation!.responses.default;
  const text = await res.text();
  expect(documented, `${label} is a documented status (body: ${text.slice(0, 300)})`).toBeDefined();
  const response = deref<ApiResponse>(doc, documented!);
  expect(res.headers.get("X-Request-Id"), `${label}: X-Request-Id`).toMatch(/^[0-9a-f-]{36}$/);
  if (!response.content) {
    expect(text, `${label} has no documented body`).toBe("");
    return undefined;
  }
  const contentType = (res.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  const media = response.content[contentType];
  expect(media, `${label}: Content-Type ${contentType} is documented (${Object.keys(response.content).join(", ")})`).toBeDefined();
  if (!contentType.endsWith("json")) return text;
  const body = JSON.parse(text) as Json;
  const result = validatorFor(doc, media!.schema!).validate(body);
  expect(
    result.errors.map((e) => `${e.instanceLocation} ${e.keyword}: ${e.error}`),
    `${label}: body matches the documented schema: ${text.slice(0, 500)}`,
  ).toEqual([]);
  expect(undocumentedMembers(doc, media!.schema!, body), `${label}: members the document does not describe`).toEqual([]);
  return body;
}
