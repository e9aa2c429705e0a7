import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { RateLimitConfig, RateLimitDecision, RateLimiter } from "./rate-limit.ts";

export interface RedisRateLimitOptions {
  url: string;
  /** what to do while Redis is unreachable: let requests through (open) or refuse them (closed) */
  failMode: "open" | "closed";
  keyPrefix: string;
}

// The same token bucket as the in-memory limiter, run atomically inside Redis with Redis's own clock,
// so every gateway instance sharing the server shares each client's bucket.
const TAKE = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
if cost <= tokens then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
`;

/** Decision of a limiter that could not consult Redis (fail-closed): the gateway answers 503. */
export interface UnavailableDecision extends RateLimitDecision {
  unavailable: true;
}

export function createRedisRateLimiter(
  cfg: RateLimitConfig,
  opts: RedisRateLimitOptions,
  log: Logger,
): RateLimiter {
  const redis = new Redis(opts.url, {
    // Fail fast while disconnected instead of queueing requests behind a dead server.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    retryStrategy: () => 500,
    lazyConnect: false,
  });
  let lastWarn = 0;
  redis.on("error", (err) => {
    // Redis errors repeat every reconnect attempt: log at most every 10 s.
    if (Date.now() - lastWarn > 10_000) {
      lastWarn = Date.now();
      log.warn({ err: String(err), failMode: opts.failMode }, "rate limit store unreachable");
    }
  });
  redis.defineCommand("stingerTake", { numberOfKeys: 1, lua: TAKE });
  const take = (
    redis as unknown as { stingerTake(key: string, ...args: (string | number)[]): Promise<[number, string]> }
  ).stingerTake;

  return {
    async take(key, cost, capacityMultiplier = 1) {
      const limit = cfg.capacity * capacityMultiplier;
      const rate = cfg.refillPerSecond * capacityMultiplier;
      try {
        const [allowed, tokensText] = await take.call(redis, `${opts.keyPrefix}${key}`, limit, rate, cost);
        const tokens = Number(tokensText);
        return {
          allowed: allowed === 1,
          limit,
          remaining: Math.floor(tokens),
          resetSeconds: Math.ceil((limit - tokens) / rate),
          retryAfterSeconds:
            allowed === 1 ? 0 : Math.max(1, Math.ceil((Math.min(cost, limit) - tokens) / rate)),
        };
      } catch (err) {
        if (Date.now() - lastWarn > 10_000) {
          lastWarn = Date.now();
          log.warn({ err: String(err), failMode: opts.failMode }, "rate limit store unreachable");
        }
        if (opts.failMode === "open")
          return { allowed: true, limit, remaining: limit, resetSeconds: 0, retryAfterSeconds: 0 };
        return {
          allowed: false,
          limit,
          remaining: 0,
          resetSeconds: 1,
          retryAfterSeconds: 1,
          unavailable: true,
        } satisfies UnavailableDecision;
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
