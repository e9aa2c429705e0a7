// What the hardener needs to know, as a plain object: built from an audit report, or by hand in tests.
import { isIPv4, isIPv6 } from "node:net";
import type { AuditReport } from "../audit.ts";
import { sshPortsOf } from "../facts.ts";
import type { Host } from "../host.ts";

export interface HardenInput {
  publicPorts: { port: number; protocol: "tcp" | "udp"; service: string }[];
  sshPorts: number[];
  /** Sources (CIDR or single address, IPv4 and/or IPv6) allowed to reach SSH; absent = everyone. */
  sshAllowFrom?: string[];
  /** Lines for the sshd drop-in; empty = the recommended baseline. */
  sshdDirectives: string[];
  /** "systemd" where sshd logs only to the journal (Debian 12 without rsyslog). */
  sshBackend: "systemd" | "auto";
  sshLogPath?: string;
  gatewayAccessLog?: string;
}

/** Input the hardener cannot turn into valid config: the CLI reports it as a usage error (exit 2). */
export class HardenInputError extends Error {}

export const AUTH_LOG = "/var/log/auth.log";
export const DEFAULT_GATEWAY_ACCESS_LOG = "/var/log/stinger/gateway.log";

export interface ParsedCidr {
  family: 4 | 6;
  /** As nft wants it: the address, plus /prefix unless it is a single host. */
  text: string;
}

function ipv4Bytes(addr: string): number[] {
  return addr.split(".").map(Number);
}

function ipv6Bytes(addr: string): number[] {
  // Expand "::" and an embedded dotted quad, then split into 16 bytes.
  let a = addr;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    const b = ipv4Bytes(dotted[1]!);
    a = `${a.slice(0, dotted.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/**
 * Parses an address or CIDR. Host bits set under the prefix (192.0.2.1/24) are refused rather than
 * silently masked the way nft does, because they usually mean a typo in what the operator meant to allow.
 */
export function parseCidr(value: string): ParsedCidr {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(value.trim());
  const addr = m?.[1] ?? "";
  const family = isIPv4(addr) ? 4 : isIPv6(addr) && !addr.includes("%") ? 6 : null;
  if (!m || family === null) throw new HardenInputError(`not an IPv4/IPv6 address or CIDR: "${value}"`);
  const bits = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? bits : Number(m[2]);
  if (prefix > bits)
    throw new HardenInputError(`prefix /${prefix} is too long for IPv${family} in "${value}"`);
  const bytes = family === 4 ? ipv4Bytes(addr) : ipv6Bytes(addr);
  for (let i = prefix; i < bits; i++) {
    if ((bytes[i >> 3]! >> (7 - (i & 7))) & 1)
      throw new HardenInputError(`"${value}" has host bits set under /${prefix}`);
  }
  return { family, text: prefix === bits ? addr : `${addr}/${prefix}` };
}

const KEYWORD = /^[A-Za-z][A-Za-z0-9]*$/;
// Lines that would change how the rest of the file is read (or pull in other files) are not settings.
const STRUCTURAL = new Set(["match", "include"]);

/** The keyword of an sshd directive line ("Key value" or "Key=value"), lower-cased. */
export function directiveKeyword(line: string): string {
  return (/^\s*([^\s=]+)/.exec(line)?.[1] ?? "").toLowerCase();
}

/**
 * Keeps the first line for each keyword, as sshd itself does (the first value read wins), so the drop-in
 * says exactly what will take effect.
 */
export function firstWins(lines: readonly string[]): string[] {
  const seenKeys = new Set<string>();
  const out: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    const key = directiveKeyword(line);
    if (!key || seenKeys.has(key)) continue;
    seenKeys.add(key);
    out.push(line);
  }
  return out;
}

function checkPath(what: string, p: string | undefined): void {
  if (p === undefined) return;
  // fail2ban splits logpath on whitespace and reads the value as a line of an INI file.
  if (!p.startsWith("/") || /[\s%]/.test(p))
    throw new HardenInputError(`${what}: must be an absolute path without spaces or '%', got "${p}"`);
}

function checkPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new HardenInputError(`${what}: port must be an integer from 1 to 65535, got ${port}`);
}

/** Refuses input that would produce broken or injected config text; generators call this first. */
export function validateHardenInput(input: HardenInput): void {
  for (const p of input.publicPorts) {
    checkPort(`public port (${p.service})`, p.port);
    if (p.protocol !== "tcp" && p.protocol !== "udp")
      throw new HardenInputError(`public port ${p.port}: protocol must be tcp or udp`);
  }
  if (input.sshPorts.length === 0) throw new HardenInputError("at least one SSH port is needed");
  for (const p of input.sshPorts) checkPort("SSH", p);
  for (const c of input.sshAllowFrom ?? []) parseCidr(c);
  if (input.sshAllowFrom && input.sshAllowFrom.length === 0)
    throw new HardenInputError("sshAllowFrom is empty: that would lock SSH out completely");
  for (const line of input.sshdDirectives) {
    const key = directiveKeyword(line);
    if (!KEYWORD.test(key) || STRUCTURAL.has(key) || /[\r\n]/.test(line))
      throw new HardenInputError(`not a plain sshd directive: "${line}"`);
  }
  if (input.sshBackend !== "systemd" && input.sshBackend !== "auto")
    throw new HardenInputError(`sshBackend must be systemd or auto, got "${input.sshBackend}"`);
  checkPath("SSH log path", input.sshLogPath);
  checkPath("gateway access log", input.gatewayAccessLog);
}

/** Turns an audit report into hardener input: the deployment's ports, sshd's ports, the findings' fixes. */
export async function hardenInputFrom(
  report: AuditReport,
  host: Host,
  opts: { sshAllowFrom?: string[]; gatewayAccessLog?: string },
): Promise<HardenInput> {
  const { facts } = report;
  const sshPorts = [...new Set(sshPortsOf(facts))].sort((a, b) => a - b);

  const publicPorts: HardenInput["publicPorts"] = [];
  for (const p of facts.deployment.publicPorts) {
    // Port 0 means "any free port" in a config: nothing a firewall rule can name.
    if (p.port === 0 || publicPorts.some((q) => q.port === p.port && q.protocol === p.protocol)) continue;
    publicPorts.push({ port: p.port, protocol: p.protocol, service: p.service });
  }

  // Findings come most severe first, so on a conflict the fix for the worse finding wins.
  const sshdDirectives = firstWins(report.findings.flatMap((f) => f.sshdDirectives ?? []));

  // Debian 12 has no rsyslog: sshd logs only to the journal, and a file-backed jail finds no log.
  const authLog = await host.exists(AUTH_LOG);
  const input: HardenInput = {
    publicPorts,
    sshPorts,
    sshdDirectives,
    sshBackend: authLog ? "auto" : "systemd",
  };
  if (authLog) input.sshLogPath = AUTH_LOG;
  if (opts.sshAllowFrom !== undefined) input.sshAllowFrom = opts.sshAllowFrom.map((c) => parseCidr(c).text);
  if (opts.gatewayAccessLog !== undefined) input.gatewayAccessLog = opts.gatewayAccessLog;
  validateHardenInput(input);
  return input;
}
