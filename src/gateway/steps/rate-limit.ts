import { type RateLimitConfig, type RateLimiter, rateLimitHeaders } from "../rate-limit.ts";
import { Refusal } from "../refusal.ts";
import type { Step } from "./step.ts";

/**
 * Takes the request's cost from its client's token bucket (shared through Redis when configured):
 * 429 with RateLimit headers when empty, 503 when the shared store is down and failing closed.
 */
export function rateLimitStep(limiter: RateLimiter, cfg: RateLimitConfig): Step {
  return async (ctx) => {
    const decision = await limiter.take(
      ctx.client,
      ctx.cost,
      ctx.auth?.kind === "ok" ? ctx.auth.rateMultiplier : 1,
    );
    if ("unavailable" in decision)
      throw new Refusal(503, "rate_limit_store_down", "rate limiting is unavailable", { "Retry-After": "1" });
    ctx.rateHeaders = rateLimitHeaders(decision, cfg);
    if (!decision.allowed) throw new Refusal(429, "rate_limited", "too many requests", ctx.rateHeaders);
  };
}
