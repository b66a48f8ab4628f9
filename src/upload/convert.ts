import { isSchemaObject, type SchemaObject } from "../schema/walk";

/**
 * Schema-guided conversion of CSV cells. A CSV cell is text; the dataset's schema says what JSON
 * type each column should have, and a cell is converted when its text is an unambiguous literal of
 * one of those types:
 *
 * - an empty cell is absent (the field is left out of the record, so `required` reports it);
 * - `integer` / `number`: a JSON number literal (`-12`, `7.5`, `1e3`; surrounding spaces allowed) → a number;
 * - `boolean`: `true` / `false` (any case) → a boolean;
 * - `null`: `null` (any case) → null;
 * - `object` / `array`: a cell holding JSON of that type → the parsed value;
 * - otherwise the text is kept as a string (and validation reports a type mismatch, with the cell's text).
 *
 * A column's types come from the schema's `properties` entry for it (or `additionalProperties`):
 * its `type`, the types of its `const` / `enum` values, and those of `anyOf` / `oneOf` / `allOf`
 * branches and local `$ref`s. A column the schema says nothing about stays text.
 */
export type ColumnTypes = ReadonlySet<string> | undefined;

/** Marks an empty cell: the field is left out of the record. */
export const ABSENT: unique symbol = Symbol("absent");

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const MAX_REF_DEPTH = 16;

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function resolveRef(root: SchemaObject, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  const pointer = ref.slice(1);
  if (pointer === "") return root;
  if (!pointer.startsWith("/")) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const segment = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isSchemaObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function collectTypes(root: SchemaObject, node: unknown, into: Set<string>, depth: number): void {
  if (depth > MAX_REF_DEPTH || !isSchemaObject(node)) return;
  if (typeof node.$ref === "string") collectTypes(root, resolveRef(root, node.$ref), into, depth + 1);
  const type = node.type;
  if (typeof type === "string") into.add(type);
  if (Array.isArray(type)) for (const t of type) if (typeof t === "string") into.add(t);
  if ("const" in node) into.add(jsonType(node.const));
  if (Array.isArray(node.enum)) for (const v of node.enum) into.add(jsonType(v));
  for (const keyword of ["anyOf", "oneOf", "allOf"]) {
    const branches = node[keyword];
    if (Array.isArray(branches)) for (const b of branches) collectTypes(root, b, into, depth + 1);
  }
}

/** The JSON types the schema allows for each column of a header (undefined: no opinion). */
export function columnTypes(schema: SchemaObject, header: readonly string[]): ColumnTypes[] {
  const properties = isSchemaObject(schema.properties) ? schema.properties : {};
  return header.map((name) => {
    const node = Object.hasOwn(properties, name) ? properties[name] : schema.additionalProperties;
    const types = new Set<string>();
    collectTypes(schema, node, types, 0);
    return types.size > 0 ? types : undefined;
  });
}

/** One cell as a JSON value (see the module comment), or ABSENT for an empty cell. */
export function convertCell(text: string, types: ColumnTypes): unknown {
  if (text === "") return ABSENT;
  if (types === undefined || (types.size === 1 && types.has("string"))) return text;
  const t = text.trim();
  if ((types.has("number") || types.has("integer")) && NUMBER.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) return n;
  }
  if (types.has("boolean")) {
    const lower = t.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
  }
  if (types.has("null") && t.toLowerCase() === "null") return null;
  if ((types.has("object") && t.startsWith("{")) || (types.has("array") && t.startsWith("["))) {
    try {
      const parsed: unknown = JSON.parse(t);
      if (types.has(jsonType(parsed) === "array" ? "array" : "object")) return parsed;
    } catch {
      // Not JSON: kept as text, and validation says what was expected.
    }
  }
  return text;
}
