import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { HonoEnv } from "../env";
import type { AuthenticatedClient } from "./client-auth";

/**
 * Gives every request its transaction id (echoed as `X-Request-Id`) and writes one structured log
 * line when it ends. The line carries ids and counts only: never secrets, tokens or record contents.
 */
export function requestContext(): MiddlewareHandler<HonoEnv> {
  return async function requestContextMiddleware(c, next) {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    const started = Date.now();
    await next();
    // A handler may adopt an earlier transaction's id (an idempotent replay).
    c.res.headers.set("X-Request-Id", c.get("requestId"));
    const dataset = c.get("dataset");
    const client = c.get("client") as AuthenticatedClient | undefined;
    console.log(
      JSON.stringify({
        request_id: c.get("requestId"),
        method: c.req.method,
        route: routePath(c),
        status: c.res.status,
        duration_ms: Date.now() - started,
        client_id: client?.client_id,
        dataset_id: dataset?.dataset_id,
        ...c.get("counts"),
      }),
    );
  };
}
