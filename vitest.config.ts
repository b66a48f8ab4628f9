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
            miniflare: {
              bindings: { ADMIN_TOKEN: TEST_ADMIN_TOKEN },
              // A test-only rate limiter with a small limit, swapped in for CLIENT_RATE_LIMITER by
              // test/auth/rate-limit.test.ts (the real binding keeps wrangler.toml's limit for all other tests).
              ratelimits: { TEST_RATE_LIMITER: { namespace_id: "9001", simple: { limit: 3, period: 60 } } },
              // A test-only file queue that gives up at the first failure (no retries, so no backoff
              // waits), dead-lettering into wrangler.toml's real dead-letter queue: used by
              // test/upload/dead-letter.test.ts to drive a poisoned file all the way to `failed`.
              queueProducers: { TEST_POISON_QUEUE: { queueName: "data-api-files-poison-test" } },
              queueConsumers: {
                "data-api-files-poison-test": { maxBatchSize: 1, maxBatchTimeout: 0, maxRetries: 0, deadLetterQueue: "data-api-files-dlq" },
              },
            },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          // A stand-in JWKS endpoint of an external identity provider, on loopback (inject("jwks")),
          // and an S3-compatible server for the S3 sink (inject("s3"); helpers in test/setup/s3.ts).
          globalSetup: ["./test/setup/jwks-server.ts", "./test/setup/s3-server.ts"],
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
