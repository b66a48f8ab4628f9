// Starts `wrangler dev` as a child process and resolves once it serves requests.
import { spawn } from "node:child_process";

export function startWranglerDev({ port = 8787, args = [], cwd = process.cwd(), echo = false, env = {} } = {}) {
  const child = spawn(process.execPath, ["node_modules/wrangler/bin/wrangler.js", "dev", "--port", String(port), ...args], {
    cwd,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "", FORCE_COLOR: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  let output = "";
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      const text = chunk.toString();
      output += text;
      if (echo) process.stdout.write(text);
      if (/Ready on http/.test(output)) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output}`)));
    setTimeout(() => reject(new Error(`wrangler dev did not become ready in 90 s:\n${output}`)), 90_000).unref();
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }, 5000).unref();
    });
  return { child, ready, stop, output: () => output, baseUrl: `http://localhost:${port}` };
}
