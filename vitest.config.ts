import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Only for tests: the deployment secret a test run's Worker is configured with. */
const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";

export default defineConfig({
  test: {
    silent: "passed-only",
    projects: [
      {
        // The Worker inside workerd, with Miniflare's real local KV, R2 and Queues.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ADMIN_TOKEN: TEST_ADMIN_TOKEN } },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          testTimeout: 30_000,
        },
      },
      {
        // Real processes over HTTP: `wrangler dev`, started and stopped by the tests themselves.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
