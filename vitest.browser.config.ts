import { defineConfig } from "vitest/config";

/**
 * The opt-in browser check (`npm run test:browser`): `wrangler dev` as a real process and headless
 * Chromium (Debian's `chromium` package, driven by playwright-core) opening /docs. Not part of
 * `npm test`, since CI machines may lack Chromium. CHROMIUM_PATH overrides /usr/bin/chromium.
 */
export default defineConfig({
  test: {
    name: "browser",
    include: ["test/browser/**/*.test.mjs"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
