import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./free-port";
import { freshTree } from "./fresh-tree";

/** The shell blocks between the walkthrough markers of the README, verbatim. */
function walkthroughScript(): string {
  const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
  const section = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme)?.[1];
  if (!section) throw new Error("README has no walkthrough section");
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  return blocks.join("\n");
}

/** Runs `npm run dev`'s script in the tree until it prints the demo's export lines. */
function startDev(dir: string, port: number) {
  const child = spawn(process.execPath, ["scripts/dev.mjs"], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exports = new Promise<Record<string, string>>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const vars = Object.fromEntries([...output.matchAll(/^export ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
      if (vars.DATASET_ID) resolve(vars);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`npm run dev exited with ${code}:\n${output}`)));
    setTimeout(() => reject(new Error(`npm run dev printed no demo in 90 s:\n${output}`)), 90_000).unref();
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return { exports, stop, output: () => output };
}

describe("the README walkthrough on `npm run dev`", () => {
  const tree = freshTree();
  afterAll(() => tree.remove());

  it("runs verbatim: token, push, validation error, upload URL, CSV upload, file status", { timeout: 300_000 }, async () => {
    const port = await freePort();
    const dev = startDev(tree.dir, port);
    let vars: Record<string, string>;
    try {
      vars = await dev.exports;
      expect(vars.API).toBe(`http://localhost:${port}`);
      const run = spawnSync("bash", ["-euo", "pipefail", "-c", walkthroughScript()], {
        cwd: tree.dir,
        env: { ...process.env, ...vars },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      const out = run.stdout;
      expect(out).toContain('"type":"DataSubmission"');
      expect(out).toMatch(/"status":422/);
      expect(out).toMatch(/"path":"\/flow_bbl_d","keyword":"type"/);
      expect(out).toMatch(/"status":"succeeded"/);
      expect(out).toMatch(/"rows":2/);
      expect(out).toMatch(/"accepted":2/);
    } finally {
      await dev.stop();
    }

    // Re-running keeps the local state and the same demo credentials.
    const again = startDev(tree.dir, port);
    try {
      const second = await again.exports;
      expect(second.CLIENT_ID).toBe(vars.CLIENT_ID);
      expect(second.CLIENT_SECRET).toBe(vars.CLIENT_SECRET);
      expect(second.DATASET_ID).toBe(vars.DATASET_ID);
      expect(second.ADMIN_TOKEN).toBe(vars.ADMIN_TOKEN);
    } finally {
      await again.stop();
    }
  });
});
