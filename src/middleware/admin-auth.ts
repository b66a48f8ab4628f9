import type { MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import { timingSafeEqualStrings } from "../lib/crypto";

const REALM = "data-api-admin";

/**
 * Admits only `Authorization: Bearer <ADMIN_TOKEN>`, the deployment secret of the data team.
 * A deployment without the secret refuses everything with 503 rather than running unprotected.
 *
 * @example
 * app.use("/admin/*", adminAuth());
 */
export function adminAuth(): MiddlewareHandler<HonoEnv> {
  return async function adminAuthMiddleware(c, next) {
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) {
      console.error(JSON.stringify({ level: "error", msg: "ADMIN_TOKEN is not configured; admin API disabled" }));
      throw new ApiError("unavailable", "The admin API is not configured on this deployment.", {
        internal: "ADMIN_TOKEN secret missing",
      });
    }
    const header = c.req.header("Authorization");
    const match = header ? /^Bearer +([\x21-\x7e]+) *$/i.exec(header) : null;
    if (!match) {
      throw new ApiError("unauthorized", "Send the admin token as `Authorization: Bearer <token>`.", {
        headers: { "WWW-Authenticate": `Bearer realm="${REALM}"` },
      });
    }
    if (!(await timingSafeEqualStrings(match[1]!, expected))) {
      throw new ApiError("unauthorized", "The admin token is not valid.", {
        headers: { "WWW-Authenticate": `Bearer realm="${REALM}", error="invalid_token"` },
      });
    }
    await next();
  };
}
