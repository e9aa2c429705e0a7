import type { SlotTable } from "../client-slots.ts";
import { Refusal } from "../refusal.ts";
import type { RequestContext, Step } from "./step.ts";

/**
 * A per-client cap on what a client holds at once (remote-PoW submits in flight, open WebSockets):
 * 429 with Retry-After beyond it. The table checks and takes in one step, so a burst cannot overshoot,
 * and the slot is given back when the request (or tunnel) is over.
 */
export function slotStep(opts: {
  slots: SlotTable;
  max: number;
  applies?: (ctx: RequestContext) => boolean;
  reason: string;
  message: string;
  retryAfter: string;
}): Step {
  const refusal = () => new Refusal(429, opts.reason, opts.message, { "Retry-After": opts.retryAfter });
  return (ctx) => {
    if (opts.applies && !opts.applies(ctx)) return;
    const client = ctx.client;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      opts.slots.release(client);
    };
    const taken = opts.slots.tryTake(client, opts.max);
    if (taken === true) return release;
    if (taken === false) throw refusal();
    return taken.then((ok) => {
      if (!ok) throw refusal();
      return release;
    });
  };
}
