import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { GatewayConfig } from "../config/gateway.ts";
import { ClientSlots, type SlotTable } from "./client-slots.ts";
import { KernelBan, type RefusalSink } from "./kernel-ban/kernel-ban.ts";
import { createMemoryRateLimiter, type RateLimiter } from "./rate-limit.ts";
import { createRedisRateLimiter } from "./redis-rate-limit.ts";

/**
 * The state every limit is counted in. One gateway process holds it itself (processShared); with
 * `gateway.workers` > 1 the primary holds it and each worker reaches it over IPC (cluster/link.ts), so
 * a client's caps and token bucket are the same whichever worker the kernel hands its connection to.
 */
export interface GatewayShared {
  /** token buckets (Redis when configured, shared by every gateway instance) */
  limiter: RateLimiter;
  /** open connections per client key */
  connections: SlotTable;
  /** remote-PoW submits in flight per client key */
  powSubmits: SlotTable;
  /** open WebSockets per client key */
  webSockets: SlotTable;
  /** refusals, counted against their client for the kernel ban */
  refusals: RefusalSink;
}

export function createLimiter(config: GatewayConfig, log: Logger): RateLimiter {
  return config.rateLimit.redis
    ? createRedisRateLimiter(config.rateLimit, config.rateLimit.redis, log.child({ module: "rate-limit" }))
    : createMemoryRateLimiter(config.rateLimit);
}

/** All state in this process: the single-process gateway. */
export function processShared(config: GatewayConfig, log: Logger, registry: Registry): GatewayShared {
  return {
    limiter: createLimiter(config, log),
    connections: new ClientSlots(),
    powSubmits: new ClientSlots(),
    webSockets: new ClientSlots(),
    refusals: KernelBan.forConfig(config, log, registry),
  };
}
