import { clientRateKey, createIpSet, normalizeIp } from "../client-ip.ts";

export interface OffenderPolicy {
  /** refusals of one client (IPv6: prefix) within `windowSeconds` that make it a repeat offender */
  threshold: number;
  windowSeconds: number;
  /** how long the kernel drops its packets */
  banSeconds: number;
  /** refusal reasons that count; others (an unhealthy node, a busy PoW pool) are not the client's fault */
  reasons: readonly string[];
  /** never banned: trusted proxies, allow-listed CIDRs */
  exempt: readonly string[];
  ipv6PrefixLength: number;
  /** clients tracked at once; the oldest are forgotten first, so memory stays bounded under a spoofed flood */
  maxTracked?: number;
}

/** What to ban: one address, or for IPv6 the prefix it belongs to (as the rate limiter groups them). */
export interface Ban {
  /** `192.0.2.7` or `2001:db8:1:2::/64` */
  target: string;
  seconds: number;
  /** the address whose refusals tipped it over */
  ip: string;
}

/**
 * Counts abusive refusals per client in fixed windows and names the client to ban once it has been
 * refused `threshold` times in one window. A client is named once per ban; after the ban it starts anew.
 */
export class Offenders {
  private readonly counting = new Map<string, { windowStart: number; count: number }>();
  private readonly bannedUntil = new Map<string, number>();
  private readonly reasons: Set<string>;
  private readonly exempt;
  private readonly maxTracked: number;

  constructor(
    private readonly policy: OffenderPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.reasons = new Set(policy.reasons);
    this.exempt = createIpSet([...policy.exempt], "kernelBan exemptions");
    this.maxTracked = policy.maxTracked ?? 100_000;
  }

  /** Records one refusal; returns the ban to apply when this one made the client a repeat offender. */
  refused(rawIp: string, reason: string): Ban | null {
    if (!this.reasons.has(reason)) return null;
    const ip = normalizeIp(rawIp);
    if (ip === null || this.exempt.has(ip)) return null;
    const key = clientRateKey(ip, this.policy.ipv6PrefixLength);
    const t = this.now();
    const until = this.bannedUntil.get(key);
    if (until !== undefined) {
      if (t < until) return null;
      this.bannedUntil.delete(key);
    }
    let entry = this.counting.get(key);
    if (!entry || t - entry.windowStart >= this.policy.windowSeconds * 1000) {
      if (entry) this.counting.delete(key);
      entry = { windowStart: t, count: 0 };
      this.track(key, entry);
    }
    entry.count++;
    if (entry.count < this.policy.threshold) return null;
    this.counting.delete(key);
    this.bannedUntil.set(key, t + this.policy.banSeconds * 1000);
    if (this.bannedUntil.size > this.maxTracked)
      this.bannedUntil.delete(this.bannedUntil.keys().next().value!);
    return { target: banTarget(ip, key), seconds: this.policy.banSeconds, ip };
  }

  /** Clients with refusals counted in their current window (for tests and metrics). */
  get tracked(): number {
    return this.counting.size;
  }

  private track(key: string, entry: { windowStart: number; count: number }): void {
    // Map order is insertion order: the first key is the one seen longest ago.
    if (this.counting.size >= this.maxTracked) this.counting.delete(this.counting.keys().next().value!);
    this.counting.set(key, entry);
  }
}

/** The rate key of an IPv6 client is its prefix ("2001:db8:1:2::/64"); IPv4 keys are the address. */
function banTarget(ip: string, key: string): string {
  return key.includes("/") || !ip.includes(":") ? key : `${key}/128`;
}
