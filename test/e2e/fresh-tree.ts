import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A copy of the project as a fresh clone has it — no .dev.vars, no .wrangler state — sharing this
 * checkout's node_modules, so a test of `wrangler dev` cannot pass thanks to a developer's local files.
 */
export function freshTree(): { dir: string; remove: () => void } {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "data-api-fresh-"));
  for (const entry of ["src", "scripts", "wrangler.toml", "package.json", "tsconfig.json", "README.md", "public"]) {
    try {
      cpSync(join(root, entry), join(dir, entry), { recursive: true });
    } catch {
      // Optional entries (e.g. public/) may not exist.
    }
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
