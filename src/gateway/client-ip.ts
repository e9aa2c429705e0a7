// The one place that decides who the client is. Allow/deny, rate-limit keys and the access log all use the
// value returned here, so a spoofed X-Forwarded-For can never pass one check and fail another.
import { BlockList, isIP } from "node:net";
import { StingerError } from "../util/errors.ts";

/**
 * Parses an address as it appears on a socket or in X-Forwarded-For: trims, strips a port ("1.2.3.4:80",
 * "[::1]:80") and brackets, maps IPv4-mapped IPv6 ("::ffff:1.2.3.4") to IPv4 and writes IPv6 in RFC 5952
 * form, so one client has one spelling (one rate-limit bucket). Returns null when it is not an IP.
 */
export function normalizeIp(raw: string): string | null {
  let s = raw.trim();
  if (s.length === 0 || s.length > 64) return null;
  if (s.startsWith("[")) {
    const m = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
    if (m === null || isIP(m[1]!) !== 6) return null;
    s = m[1]!;
  } else if (isIP(s) === 0) {
    // A bare IPv6 address cannot carry a port, so only IPv4 gets the "host:port" treatment.
    const m = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(s);
    if (m === null || isIP(m[1]!) !== 4) return null;
    s = m[1]!;
  }
  const family = isIP(s);
  if (family === 4) return s;
  if (family === 6) return formatIPv6(ipv6Groups(s));
  return null;
}

// isIP() has already validated the text, so this only has to expand it.
function ipv6Groups(ip: string): number[] {
  let s = ip.toLowerCase();
  const zone = s.indexOf("%");
  // The zone names a local interface; it is not part of who the client is.
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const o = tail.split(".").map(Number);
    s = `${s.slice(0, lastColon + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const parts = s.split("::");
  const head = parts[0] ? parts[0].split(":") : [];
  if (parts.length === 1) return head.map((g) => Number.parseInt(g, 16));
  const rest = parts[1] ? parts[1].split(":") : [];
  const zeros = new Array<string>(8 - head.length - rest.length).fill("0");
  return [...head, ...zeros, ...rest].map((g) => Number.parseInt(g, 16));
}

function formatIPv6(g: number[]): string {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  }
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/**
 * A set of CIDRs/addresses. IPv4 and IPv6 rules live in separate BlockLists because node's BlockList lets
 * an IPv6 rule such as "::/0" match every IPv4 address, which would surprise anyone denying "all IPv6".
 */
export interface IpSet {
  has(normalizedIp: string): boolean;
}

export function createIpSet(entries: string[], what: string): IpSet {
  const v4 = new BlockList();
  const v6 = new BlockList();
  for (const entry of entries) {
    const bad = () => new StingerError("gateway_config", `${what}: "${entry}" is not an IP address or CIDR`);
    if (typeof entry !== "string") throw bad();
    const text = entry.trim();
    const slash = text.indexOf("/");
    const addrText = slash < 0 ? text : text.slice(0, slash);
    // Config must be plain addresses: no brackets or ports, which normalizeIp would otherwise accept.
    const family = isIP(addrText);
    if (family === 0) throw bad();
    const addr = normalizeIp(addrText)!;
    const mapped = family === 6 && isIP(addr) === 4;
    if (slash < 0) {
      (isIP(addr) === 4 ? v4 : v6).addAddress(addr, isIP(addr) === 4 ? "ipv4" : "ipv6");
      continue;
    }
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) throw bad();
    const prefix = Number(prefixText);
    if (prefix > (family === 4 ? 32 : 128)) throw bad();
    if (mapped && prefix >= 96) v4.addSubnet(addr, prefix - 96, "ipv4");
    else if (family === 4) v4.addSubnet(addr, prefix, "ipv4");
    // A short prefix on a mapped address covers more than the mapped range: keep it as IPv6.
    else v6.addSubnet(mapped ? addrText : addr, prefix, "ipv6");
  }
  // BlockList.check builds a SocketAddress per call; clients repeat, so answers are memoized (bounded).
  const memo = new Map<string, boolean>();
  return {
    has: (ip) => {
      const known = memo.get(ip);
      if (known !== undefined) return known;
      const family = isIP(ip);
      const hit = family === 4 ? v4.check(ip, "ipv4") : family === 6 ? v6.check(ip, "ipv6") : false;
      if (memo.size >= 10_000) memo.clear();
      memo.set(ip, hit);
      return hit;
    },
  };
}

/**
 * Builds the resolver. Only hops inside `trustedProxies` may speak for the client: XFF from anyone else is
 * ignored, and the walk from the right stops at the first hop we do not trust (the HAProxy/nginx
 * `real_ip_recursive` rule), so a client cannot prepend a forged address.
 */
export function createClientIpResolver(
  trustedProxies: string[],
): (remoteAddress: string, xForwardedFor: string | string[] | undefined) => string {
  const trusted = createIpSet(trustedProxies, "trustedProxies");
  return (remoteAddress, xForwardedFor) => {
    const raw = typeof remoteAddress === "string" ? remoteAddress : "";
    const peer = normalizeIp(raw);
    // A socket without a parseable peer (already closed) keeps its raw value; there is nobody to trust.
    if (peer === null) return raw.trim();
    if (!trusted.has(peer) || xForwardedFor === undefined) return peer;
    const joined = Array.isArray(xForwardedFor) ? xForwardedFor.join(",") : String(xForwardedFor);
    const hops = joined.split(",");
    let current = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const text = hops[i]!;
      // Empty list elements ("a, ,b") are legal HTTP list syntax and carry no hop.
      if (text.trim() === "") continue;
      const ip = normalizeIp(text);
      // Garbage from here on cannot be trusted: the last trusted hop's view is the best we know.
      if (ip === null) return current;
      current = ip;
      if (!trusted.has(ip)) return ip;
    }
    return current;
  };
}

/**
 * The rate-limit identity of an anonymous client: an IPv4 address as is, an IPv6 address cut to its
 * first `prefixLength` bits ("2001:db8:1:2::/64"). One end site usually holds a whole /64, so keying
 * on full IPv6 addresses would give a client 2^64 buckets. `ip` must be normalizeIp() output.
 */
export function clientRateKey(ip: string, prefixLength = 64): string {
  if (isIP(ip) !== 6 || prefixLength >= 128) return ip;
  const g = ipv6Groups(ip);
  for (let i = 0; i < 8; i++) {
    const keep = Math.min(16, Math.max(0, prefixLength - i * 16));
    g[i] = keep === 0 ? 0 : g[i]! & ((0xffff << (16 - keep)) & 0xffff);
  }
  return `${formatIPv6(g)}/${prefixLength}`;
}
