import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script shared with `npm run dev`, no type declarations.
import { startWranglerDev } from "../../scripts/wrangler-dev.mjs";
import { freePort } from "./free-port";
import { freshTree } from "./fresh-tree";

const ADMIN_TOKEN = "cli-admin-token";
const SCHEMA = {
  $schema: "http://json-schema.org/draft-06/schema#",
  examples: [{ date: "2023-05-04", "well-name": "ExampleWell 10 #1", flow_bbl_d: 7.5 }],
  properties: { date: { type: "string" }, "well-name": { type: "string" }, flow_bbl_d: { type: "number" } },
  required: ["date", "well-name", "flow_bbl_d"],
};

describe("npm run admin (the operator CLI) against wrangler dev", () => {
  const tree = freshTree();
  let dev: { ready: Promise<void>; stop: () => Promise<void>; baseUrl: string };

  /** Runs the CLI as `npm run admin -- …` runs it. */
  const admin = (...args: string[]) => {
    const run = spawnSync(process.execPath, ["scripts/admin.mjs", ...args], {
      cwd: tree.dir,
      env: { ...process.env, ADMIN_TOKEN, DATA_API_URL: dev.baseUrl },
      encoding: "utf8",
      timeout: 30_000,
    });
    return { code: run.status, out: run.stdout, err: run.stderr };
  };

  beforeAll(async () => {
    dev = startWranglerDev({ cwd: tree.dir, port: await freePort(), args: ["--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`] });
    await dev.ready;
    writeFileSync(join(tree.dir, "schema.json"), JSON.stringify(SCHEMA));
    // Without examples of its own, so that only version 1's registered example can break.
    const { examples: _none, ...withoutExamples } = SCHEMA;
    writeFileSync(
      join(tree.dir, "stricter.json"),
      JSON.stringify({ ...withoutExamples, properties: { ...SCHEMA.properties, flow_bbl_d: { type: "integer" } } }),
    );
    writeFileSync(join(tree.dir, "broken.json"), '{\n  "type": "object",\n}\n');
  });

  afterAll(async () => {
    await dev?.stop();
    tree.remove();
  });

  it("manages datasets, schemas and clients, with verdicts, exit codes and --json", async () => {
    const created = admin(
      "datasets",
      "create",
      "--company",
      "cli",
      "--name",
      "wells",
      "--format",
      "csv",
      "--schema",
      "schema.json",
      "--json",
    );
    expect(created.code, created.err).toBe(0);
    const dataset = JSON.parse(created.out).data[0];
    expect(dataset).toMatchObject({ company_id: "cli", format: "csv", schema_version: 1 });

    const listed = admin("datasets", "list", "--company", "cli", "--json");
    expect(JSON.parse(listed.out).data.map((d: { dataset_id: string }) => d.dataset_id)).toContain(dataset.dataset_id);

    // An incompatible schema: the verdict names the example that would break, and the exit code is 1.
    const refused = admin("schema", "upload", dataset.dataset_id, "stricter.json");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("Error 409");
    expect(refused.err).toMatch(/example #0:\n\s+\/flow_bbl_d type:/);
    const forced = admin("schema", "upload", dataset.dataset_id, "stricter.json", "--force");
    expect(forced.code, forced.err).toBe(0);
    expect(forced.out).toContain("registered as schema version 2");
    expect(JSON.parse(admin("schema", "show", dataset.dataset_id, "--version", "1", "--json").out).data[0].schema).toEqual(SCHEMA);

    const client = JSON.parse(
      admin("clients", "create", "--company", "cli", "--name", "c1", "--datasets", dataset.dataset_id, "--json").out,
    ).data[0];
    expect(client.client_secret).toBeTruthy();
    const rotated = JSON.parse(admin("clients", "rotate", client.client_id, "--json").out).data[0];
    expect(rotated.client_secret).not.toBe(client.client_secret);
    expect(JSON.parse(admin("clients", "disable", client.client_id, "--json").out).data[0].disabled).toBe(true);
    const shown = admin("clients", "show", client.client_id);
    expect(shown.code).toBe(0);
    expect(shown.out).not.toContain("client_secret");
    expect(admin("clients", "delete", client.client_id).code).toBe(0);
    expect(admin("clients", "show", client.client_id).code).toBe(1);
  });

  it("shows submissions and files, and fails clearly", async () => {
    const dataset = JSON.parse(
      admin("datasets", "create", "--company", "cli", "--name", "w2", "--format", "json", "--schema", "schema.json", "--json").out,
    ).data[0];
    const client = JSON.parse(
      admin("clients", "create", "--company", "cli", "--name", "c2", "--datasets", dataset.dataset_id, "--json").out,
    ).data[0];
    const push = await fetch(`${dev.baseUrl}/data/json?dataset_id=${dataset.dataset_id}`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`, "Content-Type": "application/json" },
      body: JSON.stringify(SCHEMA.examples[0]),
    });
    const submission = ((await push.json()) as { data: Array<{ submission_id: string }> }).data[0]!;
    const shown = admin("submissions", "show", submission.submission_id, "--json");
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out).data[0]).toMatchObject({ submission_id: submission.submission_id, accepted: 1 });

    const missing = admin("files", "show", crypto.randomUUID());
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("Error 404");

    const broken = admin("datasets", "create", "--company", "cli", "--name", "x", "--format", "json", "--schema", "broken.json");
    expect(broken.code).toBe(2);
    expect(broken.err).toContain("broken.json is not valid JSON");

    const unknown = admin("frobnicate", "now");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Unknown command "frobnicate now"');

    const unreachable = spawnSync(process.execPath, ["scripts/admin.mjs", "datasets", "list", "--company", "cli"], {
      cwd: tree.dir,
      env: { ...process.env, ADMIN_TOKEN, DATA_API_URL: `http://127.0.0.1:${await freePort()}` },
      encoding: "utf8",
    });
    expect(unreachable.status).toBe(2);
    expect(unreachable.stderr).toContain("Cannot reach");
  });
});
