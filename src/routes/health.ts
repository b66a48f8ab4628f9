import type { Hono } from "hono";
import pkg from "../../package.json";
import type { HonoEnv } from "../env";

/**
 * `GET /health`, without authentication: liveness plus which build is deployed — the package version
 * and, on Cloudflare, the Worker version id and tag from the version-metadata binding.
 */
export function registerHealth(app: Hono<HonoEnv>): void {
  app.get("/health", (c) => {
    const meta = c.env.CF_VERSION_METADATA;
    return c.json({
      status: "ok",
      version: pkg.version,
      build: meta ? { id: meta.id, tag: meta.tag || undefined, timestamp: meta.timestamp } : undefined,
    });
  });
}
