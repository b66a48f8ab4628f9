import type { Draft } from "./drafts";
import { type SchemaObject, walkSchemas } from "./walk";

/** The base URI of a schema without `$id`; `.invalid` can never name a real host. */
const ANONYMOUS_BASE = "https://schema.data-api.invalid/root.json";

export interface RefProblem {
  /** JSON Pointer to the schema object holding the reference. */
  at: string;
  ref: string;
  reason: string;
}

interface Resource {
  node: SchemaObject;
  anchors: Set<string>;
}

/**
 * Checks every `$ref` (and `$recursiveRef`/`$dynamicRef`) of a schema: each must resolve inside
 * this document. Remote references are refused rather than fetched, and unresolvable ones are
 * refused now rather than failing when the first record reaches them.
 */
export function checkRefs(root: SchemaObject, draft: Draft): RefProblem[] {
  const idKey = draft.legacyId ? "id" : "$id";
  const resources = new Map<string, Resource>();
  const refs: Array<{ at: string; ref: string; base: string }> = [];
  const resourceOf = (uri: string, node: SchemaObject) => {
    const found = resources.get(uri);
    if (found) return found;
    const created: Resource = { node, anchors: new Set() };
    resources.set(uri, created);
    return created;
  };

  walkSchemas(root, { base: ANONYMOUS_BASE, isRoot: true }, (node, ctx, at) => {
    let base = ctx.base;
    const id = node[idKey];
    if (typeof id === "string") {
      const resolved = safeUrl(id, base);
      if (resolved) {
        if (resolved.hash.length > 1 && !resolved.hash.startsWith("#/")) {
          // Draft-06/07 style plain-name fragment: `"$id": "#foo"` names an anchor.
          resourceOf(withoutHash(resolved), node).anchors.add(resolved.hash.slice(1));
        } else {
          base = withoutHash(resolved);
          resourceOf(base, node);
        }
      }
    } else if (ctx.isRoot) {
      resourceOf(base, node);
    }
    for (const key of ["$anchor", "$dynamicAnchor"]) {
      const anchor = node[key];
      if (typeof anchor === "string") resourceOf(base, node).anchors.add(anchor);
    }
    for (const key of ["$ref", "$recursiveRef", "$dynamicRef"]) {
      const ref = node[key];
      if (typeof ref === "string") refs.push({ at, ref, base });
    }
    return { base, isRoot: false };
  });

  const problems: RefProblem[] = [];
  for (const { at, ref, base } of refs) {
    const url = safeUrl(ref, base);
    if (!url) {
      problems.push({ at, ref, reason: "is not a valid URI reference" });
      continue;
    }
    const resource = resources.get(withoutHash(url));
    if (!resource) {
      problems.push({ at, ref, reason: "points outside this schema; remote references are not fetched" });
      continue;
    }
    const fragment = decodeURIComponent(url.hash.slice(1));
    if (fragment === "" || fragment.startsWith("/")) {
      if (resolvePointer(resource.node, fragment) === undefined) {
        problems.push({ at, ref, reason: "points to nothing in this schema" });
      }
    } else if (!resource.anchors.has(fragment)) {
      problems.push({ at, ref, reason: `names an anchor "${fragment}" that this schema does not define` });
    }
  }
  return problems;
}

function safeUrl(ref: string, base: string): URL | undefined {
  try {
    return new URL(ref, base);
  } catch {
    return undefined;
  }
}

function withoutHash(url: URL): string {
  return url.href.replace(/#.*$/, "");
}

function resolvePointer(node: unknown, pointer: string): unknown {
  if (pointer === "") return node;
  let current: unknown = node;
  for (const raw of pointer.slice(1).split("/")) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof current !== "object" || current === null) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
