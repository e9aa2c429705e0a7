// The nftables set the gateway's repeat offenders go into: written by `stinger harden` (table, sets,
// drop rules), filled by the ban helper, read by the audit. One module so the three agree on names.
import { isIPv4, isIPv6 } from "node:net";

export const BAN_TABLE_FAMILY = "inet";
export const BAN_TABLE = "stinger";
export const BAN_SET_V4 = "gateway_ban_v4";
/** IPv6 offenders are banned by prefix (the rate limiter's grouping), so this set holds intervals. */
export const BAN_SET_V6 = "gateway_ban_v6";
export const BAN_SET_SIZE = 65_536;
export { MAX_BAN_SECONDS } from "../../config/gateway.ts";

export interface BanTarget {
  family: 4 | 6;
  /** as nft writes it: `192.0.2.7`, `2001:db8:1:2::/64` */
  text: string;
  /** the first address of the target, for exemption checks */
  address: string;
}

/**
 * Parses what may go into a ban set: an IPv4 address, or an IPv6 address with a prefix of /32 to /128
 * (a shorter one would ban a whole provider). Returns null for anything else, so a line from a
 * compromised or buggy gateway cannot smuggle nft syntax into the helper's commands.
 */
export function parseBanTarget(text: string): BanTarget | null {
  if (text.length > 64) return null;
  if (isIPv4(text)) return { family: 4, text, address: text };
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(text);
  if (!m || !isIPv6(m[1]!)) return null;
  const prefix = Number(m[2]);
  if (prefix < 32 || prefix > 128) return null;
  return { family: 6, text: prefix === 128 ? m[1]! : text, address: m[1]! };
}

/** One `nft -f` line adding a target to its family's set with a timeout (the kernel unbans it). */
export function addElementLine(target: BanTarget, seconds: number): string {
  const set = target.family === 4 ? BAN_SET_V4 : BAN_SET_V6;
  return `add element ${BAN_TABLE_FAMILY} ${BAN_TABLE} ${set} { ${target.text} timeout ${seconds}s }`;
}
