import { storage } from "./errors";

/** All key names under a prefix (following KV's cursor), with the prefix removed. */
export async function listSuffixes(kv: KVNamespace, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage("kv.list", () => kv.list({ prefix, cursor }));
    out.push(...page.keys.map((k) => k.name.slice(prefix.length)));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}
