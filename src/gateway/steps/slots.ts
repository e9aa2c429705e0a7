import type { ClientSlots } from "../client-slots.ts";
import { Refusal } from "../refusal.ts";
import type { RequestContext, Step } from "./step.ts";

/**
 * A per-client cap on what a client holds at once (remote-PoW submits in flight, open WebSockets):
 * 429 with Retry-After beyond it. The slot is taken before the next await, so a burst cannot overshoot,
 * and given back when the request (or tunnel) is over.
 */
export function slotStep(opts: {
  slots: ClientSlots;
  max: number;
  applies?: (ctx: RequestContext) => boolean;
  reason: string;
  message: string;
  retryAfter: string;
}): Step {
  return (ctx) => {
    if (opts.applies && !opts.applies(ctx)) return;
    if (opts.slots.of(ctx.client) >= opts.max)
      throw new Refusal(429, opts.reason, opts.message, { "Retry-After": opts.retryAfter });
    const client = ctx.client;
    opts.slots.take(client);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      opts.slots.release(client);
    };
  };
}
