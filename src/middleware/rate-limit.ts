import type { MiddlewareHandler } from "hono";
import type { Bindings, HonoEnv } from "../env";
import { ApiError } from "../errors";

const PERIODS = [10, 60];

/**
 * The window of the `[[ratelimits]]` binding, which the binding itself does not expose: Retry-After
 * is a full window, after which the client's count has certainly started over.
 */
export function rateLimitPeriodSeconds(env: Bindings): number {
  const period = Number(env.RATE_LIMIT_PERIOD_SECONDS);
  return PERIODS.includes(period) ? period : 60;
}

/**
 * Per-client rate limit of the data routes with the Workers Rate Limiting binding
 * (`CLIENT_RATE_LIMITER`), keyed by client_id; 429 with `Retry-After` beyond it. Runs after
 * `clientAuth`. Without the binding nothing is limited. The binding's counts are per Cloudflare
 * location and approximate; it is a guard against runaway clients, not a quota. If the limiter
 * itself fails, the request goes through (and the failure is logged): an outage of the limiter
 * must not become an outage of the API.
 *
 * @example
 * app.use("/data/*", clientRateLimit());
 */
export function clientRateLimit(): MiddlewareHandler<HonoEnv> {
  return async function clientRateLimitMiddleware(c, next) {
    const limiter = c.env.CLIENT_RATE_LIMITER;
    const client = c.get("client");
    if (limiter && client) {
      let success = true;
      try {
        ({ success } = await limiter.limit({ key: `client:${client.client_id}` }));
      } catch (e) {
        console.error(
          JSON.stringify({
            level: "error",
            request_id: c.get("requestId"),
            msg: "rate limiter failed; request let through",
            reason: e instanceof Error ? e.message : String(e),
          }),
        );
      }
      if (!success) {
        const period = rateLimitPeriodSeconds(c.env);
        throw new ApiError("rate_limited", `This client sent too many requests; retry after ${period} seconds.`, {
          headers: { "Retry-After": String(period) },
          extra: { retry_after: period },
        });
      }
    }
    await next();
  };
}
