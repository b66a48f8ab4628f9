/**
 * Schema-aware traversal: visits only values in schema positions, so data that merely looks like a
 * schema (inside `const`, `enum`, `examples`, `default`) is never mistaken for one.
 */
type Json = unknown;
export type SchemaObject = Record<string, Json>;

const SINGLE = [
  "additionalItems",
  "additionalProperties",
  "contains",
  "not",
  "propertyNames",
  "if",
  "then",
  "else",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contentSchema",
];
const LIST = ["allOf", "anyOf", "oneOf", "prefixItems"];
const MAP = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"];

/** Deeper than this, a schema is refused rather than risk exhausting the stack of anything that walks it. */
export const MAX_SCHEMA_DEPTH = 64;

export class SchemaTooDeep extends Error {}

export function isSchemaObject(value: Json): value is SchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The direct subschemas of a schema object, with the keyword path leading to each. */
export function children(node: SchemaObject): Array<[string, SchemaObject]> {
  const out: Array<[string, SchemaObject]> = [];
  const add = (path: string, v: Json) => {
    if (isSchemaObject(v)) out.push([path, v]);
  };
  for (const k of SINGLE) add(k, node[k]);
  for (const k of LIST) {
    const v = node[k];
    if (Array.isArray(v))
      v.forEach((s, i) => {
        add(`${k}/${i}`, s);
      });
  }
  for (const k of MAP) {
    const v = node[k];
    if (isSchemaObject(v)) for (const [name, s] of Object.entries(v)) add(`${k}/${escapePointer(name)}`, s);
  }
  const items = node.items;
  if (Array.isArray(items)) {
    items.forEach((s, i) => {
      add(`items/${i}`, s);
    });
  } else add("items", items);
  const deps = node.dependencies;
  if (isSchemaObject(deps)) for (const [name, s] of Object.entries(deps)) add(`dependencies/${escapePointer(name)}`, s);
  return out;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Visits every schema object depth-first, handing each the context its parent's visit returned. */
export function walkSchemas<C>(root: SchemaObject, context: C, visit: (node: SchemaObject, context: C, pointer: string) => C): void {
  const go = (node: SchemaObject, ctx: C, pointer: string, depth: number) => {
    if (depth > MAX_SCHEMA_DEPTH) throw new SchemaTooDeep(pointer);
    const next = visit(node, ctx, pointer);
    for (const [path, child] of children(node)) go(child, next, `${pointer}/${path}`, depth + 1);
  };
  go(root, context, "", 0);
}

/** A copy of the schema with `transform` applied to every schema object (children first). */
export function mapSchemas(root: SchemaObject, transform: (node: SchemaObject) => SchemaObject): SchemaObject {
  const go = (node: SchemaObject, depth: number): SchemaObject => {
    if (depth > MAX_SCHEMA_DEPTH) throw new SchemaTooDeep("");
    const copy: SchemaObject = { ...node };
    for (const [path, child] of children(node)) setAt(copy, path, go(child, depth + 1));
    return transform(copy);
  };
  return go(root, 0);
}

function setAt(copy: SchemaObject, path: string, value: SchemaObject): void {
  const [key, sub] = splitOnce(path);
  if (sub === undefined) {
    copy[key] = value;
    return;
  }
  const name = sub.replace(/~1/g, "/").replace(/~0/g, "~");
  const container = copy[key];
  if (Array.isArray(container)) {
    const next = [...container];
    next[Number(name)] = value;
    copy[key] = next;
  } else {
    copy[key] = { ...(container as SchemaObject), [name]: value };
  }
}

function splitOnce(path: string): [string, string | undefined] {
  const i = path.indexOf("/");
  return i < 0 ? [path, undefined] : [path.slice(0, i), path.slice(i + 1)];
}
