import { createIpFilter, type IpFilterConfig } from "../ip-filter.ts";
import { Refusal } from "../refusal.ts";
import type { Step } from "./step.ts";

/** Allow/deny lists on the client IP: a denied address gets 403 before anything else is looked at. */
export function ipFilterStep(cfg: IpFilterConfig): Step {
  const allowed = createIpFilter(cfg);
  return (ctx) => {
    if (!allowed(ctx.ip)) throw new Refusal(403, "ip_denied", "forbidden");
  };
}
