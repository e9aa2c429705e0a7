// Per-key token buckets in process memory. The interface is async so a shared store (Redis) can replace it.
import { StingerError } from "../util/errors.ts";

export interface RateLimitDecision {
  allowed: boolean;
  /** bucket size for this key (capacity × multiplier) */
  limit: number;
  /** whole tokens left after this request */
  remaining: number;
  /** seconds until the bucket is full again */
  resetSeconds: number;
  /** seconds until this request's cost would fit; 0 when allowed */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  take(key: string, cost: number, capacityMultiplier?: number): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

export interface RateLimitConfig {
  capacity: number;
  refillPerSecond: number;
  /** default 100_000: bound memory, evict least-recently-used */
  maxKeys?: number;
}

export const DEFAULT_MAX_KEYS = 100_000;

interface Bucket {
  tokens: number;
  /** ms, from `now` */
  at: number;
}

function validateConfig(cfg: RateLimitConfig): number {
  const bad = (m: string) => new StingerError("gateway_config", `rateLimit: ${m}`);
  if (!Number.isFinite(cfg.capacity) || cfg.capacity <= 0) throw bad("capacity must be a positive number");
  if (!Number.isFinite(cfg.refillPerSecond) || cfg.refillPerSecond <= 0) {
    throw bad("refillPerSecond must be a positive number");
  }
  const maxKeys = cfg.maxKeys ?? DEFAULT_MAX_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw bad("maxKeys must be a positive integer");
  return maxKeys;
}

/**
 * `now` returns milliseconds; the default is monotonic so a wall-clock step cannot refill or drain buckets.
 * The multiplier scales capacity and refill together: a ×2 key gets twice the burst and twice the rate.
 */
export function createMemoryRateLimiter(
  cfg: RateLimitConfig,
  now: () => number = () => performance.now(),
): RateLimiter {
  const maxKeys = validateConfig(cfg);
  // Map iteration order is insertion order: re-inserting on use makes the first key the least recently used.
  const buckets = new Map<string, Bucket>();
  let closed = false;

  return {
    async take(key, cost, capacityMultiplier = 1) {
      if (closed) throw new StingerError("rate_limiter_closed", "rate limiter is closed");
      if (!Number.isFinite(cost) || cost < 0)
        throw new RangeError(`rate limit cost must be >= 0, got ${cost}`);
      if (!Number.isFinite(capacityMultiplier) || capacityMultiplier <= 0) {
        throw new RangeError(`rate limit multiplier must be > 0, got ${capacityMultiplier}`);
      }
      const limit = cfg.capacity * capacityMultiplier;
      const rate = cfg.refillPerSecond * capacityMultiplier;
      const t = now();
      let b = buckets.get(key);
      if (b === undefined) {
        b = { tokens: limit, at: t };
        if (buckets.size >= maxKeys) {
          // An evicted key comes back with a full bucket; evicting the stalest one makes that the likeliest
          // to have refilled anyway.
          buckets.delete(buckets.keys().next().value!);
        }
      } else {
        buckets.delete(key);
        // Clamp: an injected clock may step back, and a smaller multiplier than last time shrinks the bucket.
        b.tokens = Math.min(limit, b.tokens + (Math.max(0, t - b.at) * rate) / 1000);
        b.at = t;
      }
      buckets.set(key, b);

      const allowed = cost <= b.tokens;
      if (allowed) b.tokens -= cost;
      const resetSeconds = Math.ceil((limit - b.tokens) / rate);
      let retryAfterSeconds = 0;
      if (!allowed) {
        // A cost above the bucket size can never fit; ask for a full window rather than a busy retry loop.
        retryAfterSeconds = cost > limit ? Math.ceil(limit / rate) : Math.ceil((cost - b.tokens) / rate);
        retryAfterSeconds = Math.max(1, retryAfterSeconds);
      }
      return { allowed, limit, remaining: Math.floor(b.tokens), resetSeconds, retryAfterSeconds };
    },
    async close() {
      closed = true;
      buckets.clear();
    },
  };
}

/**
 * Headers per draft-ietf-httpapi-ratelimit-headers (structured-field form). q is the decision's limit, so a
 * key with a multiplier sees its own quota; the window is the time an empty bucket takes to refill.
 */
export function rateLimitHeaders(d: RateLimitDecision, cfg: RateLimitConfig): Record<string, string> {
  const window = Math.ceil(cfg.capacity / cfg.refillPerSecond);
  const headers: Record<string, string> = {
    // Structured-field integers: a fractional multiplier must not leak "q=3.3000000000000003".
    "RateLimit-Policy": `"default";q=${Math.floor(d.limit)};w=${window}`,
    RateLimit: `"default";r=${d.remaining};t=${d.resetSeconds}`,
  };
  if (!d.allowed) headers["Retry-After"] = String(d.retryAfterSeconds);
  return headers;
}
