import { BlockList, isIP } from "node:net";
import { z } from "zod";

/** "host:port" as bind and listen addresses are written (IPv6 hosts in brackets). */
export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be "host:port", e.g. "127.0.0.1:14265"');

/** host:port as a hostPort value and URLs write it: an IPv6 host in brackets. The inverse of splitHostPort. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Splits a validated `hostPort` value; IPv6 brackets are removed from the host. */
export function splitHostPort(bind: string): { host: string; port: number } {
  const i = bind.lastIndexOf(":");
  return { host: bind.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(bind.slice(i + 1)) };
}

export const loggerSchema = z
  .object({
    level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict()
  .prefault({});

const privateRanges = new BlockList();
for (const [net, bits] of [
  ["127.0.0.0", 8],
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["100.64.0.0", 10],
] as const)
  privateRanges.addSubnet(net, bits, "ipv4");
privateRanges.addAddress("::1", "ipv6");
privateRanges.addSubnet("fc00::", 7, "ipv6");
privateRanges.addSubnet("fe80::", 10, "ipv6");

/** Loopback or a private network (RFC 1918, CGNAT, IPv6 ULA and link-local); names only "localhost". */
export function isPrivateAddress(host: string): boolean {
  if (host === "localhost") return true;
  const family = isIP(host);
  if (family === 0) return false;
  return privateRanges.check(host, family === 4 ? "ipv4" : "ipv6");
}
