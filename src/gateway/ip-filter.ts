// Allow/deny by client IP. Takes the address from createClientIpResolver, never from a header directly.
import { createIpSet, normalizeIp } from "./client-ip.ts";

export interface IpFilterConfig {
  /** CIDRs or single IPs; empty = everyone not denied */
  allow: string[];
  /** CIDRs or single IPs; wins over allow */
  deny: string[];
}

export function createIpFilter(cfg: IpFilterConfig): (ip: string) => boolean {
  const allow = createIpSet(cfg.allow, "ipFilter.allow");
  const deny = createIpSet(cfg.deny, "ipFilter.deny");
  const allowAll = cfg.allow.length === 0;
  const noRules = allowAll && cfg.deny.length === 0;
  return (ip) => {
    // Normalise again so a caller passing "::ffff:10.0.0.1" cannot slip past an IPv4 deny rule.
    const addr = normalizeIp(typeof ip === "string" ? ip : "");
    // An address we cannot read could be on the deny list: fail closed unless there are no rules at all.
    if (addr === null) return noRules;
    if (deny.has(addr)) return false;
    return allowAll || allow.has(addr);
  };
}
