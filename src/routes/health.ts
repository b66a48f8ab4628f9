import type { Hono } from "hono";
import type { HonoEnv } from "../env";

export function registerHealth(app: Hono<HonoEnv>): void {
  app.get("/health", (c) => c.json({ status: "ok" }));
}
