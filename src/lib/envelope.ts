import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { HonoEnv } from "../env";

/** The success envelope of API.md: `{meta: {type, transaction_id}, data: [...]}`. */
export function envelope<T>(c: Context<HonoEnv>, type: string, data: T[], status: ContentfulStatusCode = 200): Response {
  return c.json({ meta: { type, transaction_id: c.get("requestId") }, data }, status);
}
