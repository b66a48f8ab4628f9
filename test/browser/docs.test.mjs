// The docs page in a real browser: `wrangler dev` started as a process, /docs opened in headless
// Chromium. Opt-in (`npm run test:browser`, vitest.browser.config.ts): needs Debian's `chromium`
// (`apt-get install chromium`) or CHROMIUM_PATH. Plain JS: it runs in Node, and the project's
// TypeScript is typed for workerd only.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `wrangler dev` on a free port with its own state directory; resolves once it serves requests. */
async function startWrangler(stateDir) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "node_modules/wrangler/bin/wrangler.js",
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--var",
      "ADMIN_TOKEN:x",
      "--persist-to",
      stateDir,
    ],
    {
      cwd: process.cwd(),
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let output = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev was not ready within 90 s:\n${output}`)), 90_000);
    const onData = (chunk) => {
      output += chunk.toString();
      if (/Ready on http/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`wrangler dev exited with ${code}:\n${output}`));
    });
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      const kill = (signal) => {
        try {
          process.kill(-child.pid, signal); // the whole process group: wrangler and its workerd
        } catch {
          // already gone
        }
      };
      kill("SIGTERM");
      setTimeout(() => kill("SIGKILL"), 5_000).unref();
    });
  return { baseUrl: `http://127.0.0.1:${port}`, stop, output: () => output };
}

describe("GET /docs in headless Chromium", () => {
  let wrangler;
  let context;
  let stateDir;
  let profileDir;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH.`);
    }
    stateDir = await mkdtemp(join(tmpdir(), "data-api-browser-state-"));
    profileDir = await mkdtemp(join(tmpdir(), "data-api-browser-profile-"));
    wrangler = await startWrangler(stateDir);
    // A fresh profile for every run: nothing cached from an earlier one.
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
  });

  afterAll(async () => {
    await context?.close();
    await wrangler?.stop();
    for (const dir of [stateDir, profileDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads, lists every operation, and reaches no other origin", async () => {
    const page = await context.newPage();
    const problems = [];
    const foreign = [];
    page.on("console", (message) => {
      if (message.type() === "error" || /Content Security Policy|Refused to/.test(message.text()))
        problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    // Anything not from this origin is recorded and never sent.
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${wrangler.baseUrl}/`) || url.startsWith("data:")) return route.continue();
      foreign.push(url);
      return route.abort();
    });

    const response = await page.goto(`${wrangler.baseUrl}/docs`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    await page.locator(".opblock").first().waitFor({ state: "visible", timeout: 30_000 });

    const document = await (await fetch(`${wrangler.baseUrl}/openapi.json`)).json();
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      ["get", "put", "post", "delete", "patch"].filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const rendered = await page.locator(".opblock").evaluateAll((blocks) =>
      blocks.map((block) => {
        const method = block.querySelector(".opblock-summary-method")?.textContent?.trim() ?? "";
        const path = block.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "";
        return `${method.toUpperCase()} ${path}`;
      }),
    );
    expect(rendered.sort()).toEqual(documented.sort());

    for (const path of ["/data/json", "/oauth/token", "/admin/datasets"]) {
      await expect.poll(() => page.locator(`.opblock-summary-path[data-path="${path}"]`).first().isVisible()).toBe(true);
    }
    await expect.poll(() => page.getByText("Data API", { exact: false }).first().isVisible()).toBe(true);

    const top = join(tmpdir(), `data-api-docs-${Date.now()}-top.png`);
    await page.screenshot({ path: top });
    console.log(`screenshot: ${top}`);

    // An operation opens with its parameters and the problem+json error bodies.
    await page.locator('.opblock-summary-path[data-path="/data/json"]').first().click();
    const pushBlock = page.locator("#operations-Data-pushRecords");
    await expect.poll(() => pushBlock.getByText("Idempotency-Key").first().isVisible()).toBe(true);
    await expect.poll(() => pushBlock.locator('tr.response[data-code="422"]').first().isVisible()).toBe(true);
    expect(await pushBlock.locator('tr.response[data-code="422"] option[value="application/problem+json"]').count()).toBeGreaterThan(0);

    const screenshot = join(tmpdir(), `data-api-docs-${Date.now()}.png`);
    await page.screenshot({ path: screenshot, fullPage: false });
    console.log(`screenshot: ${screenshot}`);

    expect(foreign, "requests to other origins").toEqual([]);
    expect(problems, "console errors and CSP violations").toEqual([]);
  });
});
