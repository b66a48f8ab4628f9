#!/usr/bin/env node
// `npm run check:deploy`: builds the production Worker exactly as `wrangler deploy --env production` would
// (`--dry-run`: nothing is uploaded) and fails when the gzipped bundle exceeds 1 MiB, or when the
// production environment lacks a binding or var of the top level (environments do not inherit them).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const LIMIT = 1024 * 1024;

function dryRun(envArgs, outdir) {
  const run = spawnSync(
    process.execPath,
    ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", ...envArgs, "--outdir", outdir],
    {
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    },
  );
  if (run.status !== 0) {
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    console.error(`wrangler deploy --dry-run ${envArgs.join(" ")} failed (exit ${run.status})`);
    process.exit(1);
  }
  return run.stdout;
}

/** The binding and var names wrangler lists for a build (`env.NAME …` lines). */
function bindingNames(output) {
  return new Set([...output.matchAll(/^env\.([A-Z0-9_]+)/gm)].map((m) => m[1]));
}

const outdir = mkdtempSync(join(tmpdir(), "data-api-deploy-"));
const topdir = mkdtempSync(join(tmpdir(), "data-api-deploy-top-"));
try {
  const production = dryRun(["--env", "production"], outdir);
  process.stdout.write(production);
  const missing = [...bindingNames(dryRun([], topdir))].filter((name) => !bindingNames(production).has(name));
  if (missing.length > 0) {
    console.error(`[env.production] lacks what the top level has: ${missing.join(", ")} (environments do not inherit bindings or vars)`);
    process.exit(1);
  }
  const files = readdirSync(outdir, { recursive: true })
    .map((f) => join(outdir, String(f)))
    .filter((f) => statSync(f).isFile() && /\.(m?js|wasm)$/.test(f));
  const raw = files.reduce((n, f) => n + statSync(f).size, 0);
  const gzipped = files.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`Worker bundle: ${kib(raw)} raw, ${kib(gzipped)} gzipped (limit ${kib(LIMIT)} gzipped), ${files.length} file(s)`);
  if (gzipped > LIMIT) {
    console.error("The gzipped bundle exceeds 1 MiB.");
    process.exit(1);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(topdir, { recursive: true, force: true });
}
