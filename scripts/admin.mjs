#!/usr/bin/env node
// The data team's command line over the admin API: `npm run admin -- <command> [options]`.
// Reads DATA_API_URL (default http://localhost:8787) and ADMIN_TOKEN (default: from .dev.vars).
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const USAGE = `Usage: npm run admin -- <command> [options]

  datasets list --company ID
  datasets create --company ID --name NAME --format json|ndjson|csv --schema FILE
  datasets show DATASET_ID
  schema show DATASET_ID [--version N]
  schema upload DATASET_ID FILE [--force]     register a new schema version (shows the compatibility verdict)
  clients list --company ID
  clients create --company ID --name NAME [--datasets ID,ID]
  clients show CLIENT_ID
  clients grant CLIENT_ID --datasets ID,ID     replace the client's dataset grants
  clients disable CLIENT_ID | clients enable CLIENT_ID
  clients rotate CLIENT_ID                     new secret; the old one stops working
  clients delete CLIENT_ID
  submissions show SUBMISSION_ID
  files show FILE_ID

Options: --json (raw JSON output), --url URL (default $DATA_API_URL or http://localhost:8787)
Environment: ADMIN_TOKEN (default: ADMIN_TOKEN from .dev.vars)`;

class CliError extends Error {}

function fail(message) {
  throw new CliError(message);
}

function adminToken() {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  if (existsSync(".dev.vars")) {
    const m = /^\s*ADMIN_TOKEN\s*=\s*"?([^"\n]*)"?/m.exec(readFileSync(".dev.vars", "utf8"));
    if (m) return m[1];
  }
  fail("ADMIN_TOKEN is not set (and no .dev.vars with one here).");
}

function readJsonFile(path) {
  if (!existsSync(path)) fail(`No such file: ${path}`);
  const text = readFileSync(path, "utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${path} is not valid JSON: ${e.message}`);
  }
}

function list(value, name) {
  if (!value) fail(`--${name} is required`);
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

async function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      company: { type: "string" },
      name: { type: "string" },
      format: { type: "string" },
      schema: { type: "string" },
      version: { type: "string" },
      datasets: { type: "string" },
      force: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      url: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [noun, verb, id, file] = positionals;
  if (values.help || !noun) {
    console.log(USAGE);
    return 0;
  }
  const base = (values.url ?? process.env.DATA_API_URL ?? "http://localhost:8787").replace(/\/+$/, "");
  const token = adminToken();
  const need = (v, what) => v ?? fail(`${what} is required.\n\n${USAGE}`);

  const call = async (method, path, body) => {
    let res;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      fail(`Cannot reach ${base}: ${e.cause?.code ?? e.message}`);
    }
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    return { status: res.status, body: parsed };
  };

  const route = {
    "datasets list": () => call("GET", `/admin/datasets?company_id=${encodeURIComponent(need(values.company, "--company"))}`),
    "datasets create": () =>
      call("POST", "/admin/datasets", {
        company_id: need(values.company, "--company"),
        name: need(values.name, "--name"),
        format: need(values.format, "--format"),
        schema: readJsonFile(need(values.schema, "--schema")),
      }),
    "datasets show": () => call("GET", `/admin/datasets/${need(id, "DATASET_ID")}`),
    "schema show": () =>
      call(
        "GET",
        `/admin/datasets/${need(id, "DATASET_ID")}/schema${values.version ? `?version=${encodeURIComponent(values.version)}` : ""}`,
      ),
    "schema upload": () =>
      call("PUT", `/admin/datasets/${need(id, "DATASET_ID")}/schema${values.force ? "?force=true" : ""}`, {
        schema: readJsonFile(need(file, "FILE")),
      }),
    "clients list": () => call("GET", `/admin/clients?company_id=${encodeURIComponent(need(values.company, "--company"))}`),
    "clients create": () =>
      call("POST", "/admin/clients", {
        company_id: need(values.company, "--company"),
        name: need(values.name, "--name"),
        dataset_ids: values.datasets ? list(values.datasets, "datasets") : [],
      }),
    "clients show": () => call("GET", `/admin/clients/${need(id, "CLIENT_ID")}`),
    "clients grant": () => call("PATCH", `/admin/clients/${need(id, "CLIENT_ID")}`, { dataset_ids: list(values.datasets, "datasets") }),
    "clients disable": () => call("PATCH", `/admin/clients/${need(id, "CLIENT_ID")}`, { disabled: true }),
    "clients enable": () => call("PATCH", `/admin/clients/${need(id, "CLIENT_ID")}`, { disabled: false }),
    "clients rotate": () => call("POST", `/admin/clients/${need(id, "CLIENT_ID")}/secret`),
    "clients delete": () => call("DELETE", `/admin/clients/${need(id, "CLIENT_ID")}`),
    "submissions show": () => call("GET", `/admin/submissions/${need(id, "SUBMISSION_ID")}`),
    "files show": () => call("GET", `/admin/files/${need(id, "FILE_ID")}`),
  }[`${noun} ${verb}`];
  if (!route) fail(`Unknown command "${[noun, verb].filter(Boolean).join(" ")}".\n\n${USAGE}`);

  const { status, body } = await route();
  if (values.json) {
    console.log(JSON.stringify(body ?? { status }, null, 2));
  } else if (status >= 400) {
    console.error(`Error ${status}: ${body?.detail ?? body?.error_description ?? JSON.stringify(body)}`);
    for (const item of body?.incompatible ?? []) {
      console.error(`  ${item.source} #${item.index}:`);
      for (const e of item.errors) console.error(`    ${e.path || "(record)"} ${e.keyword}: ${e.message}`);
    }
    for (const e of body?.errors ?? []) console.error(`  ${e.path || "/"} ${e.keyword ?? ""}: ${e.message}`);
  } else {
    if (noun === "schema" && verb === "upload") {
      console.log(`Compatible: registered as schema version ${body.data[0].schema_version}.`);
    }
    if (status === 204) console.log("Done.");
    for (const item of body?.data ?? []) {
      console.log(JSON.stringify(item, null, 2));
      if (item.client_secret) console.log("The client_secret is shown only now: store it safely.");
    }
  }
  return status >= 400 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof CliError ? e.message : `Unexpected error: ${e?.stack ?? e}`);
    process.exit(2);
  },
);
