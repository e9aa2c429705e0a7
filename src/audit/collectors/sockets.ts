import { readlink } from "node:fs/promises";
import type { Host } from "../host.ts";
import { type Collected, seen, unseen } from "../types.ts";

export type Protocol = "tcp" | "udp";

/** A socket that accepts connections (TCP LISTEN) or datagrams (bound UDP) on this host. */
export interface ListeningSocket {
  protocol: Protocol;
  family: 4 | 6;
  address: string;
  port: number;
  uid: number;
  inode: number;
  /** The owning process, when /proc/<pid>/fd could be read (root, or our own processes). */
  process?: { pid: number; name: string };
}

const TCP_LISTEN = "0A";
const UDP_UNCONNECTED = "07";

/** /proc/net stores each 32-bit word of an address in host (little-endian) order. */
function decodeAddress(hex: string): { address: string; family: 4 | 6 } | null {
  const words = hex.match(/.{8}/g);
  if (!words || words.length * 8 !== hex.length || (words.length !== 1 && words.length !== 4)) return null;
  const bytes = words
    .flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)])
    .map((b) => Number.parseInt(b, 16));
  if (bytes.some(Number.isNaN)) return null;
  if (bytes.length === 4) return { address: bytes.join("."), family: 4 };
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is shown in its dotted form, as ss does.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return { address: `::ffff:${bytes.slice(12).join(".")}`, family: 6 };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return { address: compressIPv6(groups), family: 6 };
}

function compressIPv6(groups: string[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLen).join(":")}`;
}

export interface ParsedProcNet {
  sockets: ListeningSocket[];
  /** Lines that did not parse (a truncated snapshot ends in one). */
  badLines: number;
}

/** Parses one /proc/net/{tcp,tcp6,udp,udp6} table, keeping listening/bound sockets only. */
export function parseProcNet(text: string, protocol: Protocol): ParsedProcNet {
  const sockets: ListeningSocket[] = [];
  let badLines = 0;
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || (i === 0 && line.startsWith("sl"))) continue;
    const cols = line.split(/\s+/);
    const local = cols[1]?.split(":");
    const remote = cols[2]?.split(":");
    const state = cols[3];
    const uid = Number(cols[7]);
    const inode = Number(cols[9]);
    if (cols.length < 10 || !local || local.length !== 2 || !remote || !state || !Number.isFinite(uid)) {
      badLines++;
      continue;
    }
    const addr = decodeAddress(local[0]!);
    const port = Number.parseInt(local[1]!, 16);
    if (!addr || !Number.isInteger(port)) {
      badLines++;
      continue;
    }
    const listening =
      protocol === "tcp" ? state === TCP_LISTEN : state === UDP_UNCONNECTED && /^0+$/.test(remote[1] ?? "");
    if (!listening) continue;
    sockets.push({ protocol, family: addr.family, address: addr.address, port, uid, inode });
  }
  return { sockets, badLines };
}

const TABLES: { file: string; protocol: Protocol }[] = [
  { file: "tcp", protocol: "tcp" },
  { file: "tcp6", protocol: "tcp" },
  { file: "udp", protocol: "udp" },
  { file: "udp6", protocol: "udp" },
];

export interface SocketFacts {
  sockets: ListeningSocket[];
  /** Tables that were missing or partly unreadable, said in the report. */
  problems: string[];
  /** Whether owners could be looked up for every socket (needs root for others' processes). */
  ownersComplete: boolean;
}

/** Reads the listening sockets of the host's network namespace and, where permitted, their owners. */
export async function collectSockets(host: Host): Promise<Collected<SocketFacts>> {
  const sockets: ListeningSocket[] = [];
  const problems: string[] = [];
  let readAny = false;
  for (const { file, protocol } of TABLES) {
    const path = `/proc/net/${file}`;
    const read = await host.readText(path);
    if (!read.ok) {
      problems.push(`${host.display(path)}: ${read.reason}`);
      continue;
    }
    readAny = true;
    const parsed = parseProcNet(read.text, protocol);
    if (parsed.badLines > 0)
      problems.push(
        `${host.display(path)}: ${parsed.badLines} malformed line(s) skipped (truncated snapshot?)`,
      );
    sockets.push(...parsed.sockets);
  }
  if (!readAny) return unseen(`listening sockets: ${problems.join("; ")}`);
  const ownersComplete = await attachOwners(host, sockets);
  return seen({ sockets, problems, ownersComplete }, host.display("/proc/net"));
}

/** Maps socket inodes to processes through /proc/<pid>/fd links (only readable for our own or as root). */
async function attachOwners(host: Host, sockets: ListeningSocket[]): Promise<boolean> {
  // A saved host has no /proc/<pid>/fd links to follow: its owners stay unknown.
  if (host.root !== null) return false;
  const byInode = new Map(sockets.map((s) => [s.inode, s]));
  let unowned = sockets.length;
  if (unowned === 0) return true;
  const pids = ((await host.list("/proc")) ?? []).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    const fds = await host.list(`/proc/${pid}/fd`);
    if (!fds) continue;
    let name: string | undefined;
    for (const fd of fds) {
      let link: string;
      try {
        link = await readlink(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      const socket = m ? byInode.get(Number(m[1])) : undefined;
      if (!socket || socket.process) continue;
      if (name === undefined) {
        const comm = await host.readText(`/proc/${pid}/comm`);
        name = comm.ok ? comm.text.trim() : "?";
      }
      socket.process = { pid: Number(pid), name };
      // Every listener has its owner: the remaining processes need not be read.
      if (--unowned === 0) return true;
    }
  }
  return false;
}

/** True for addresses only this host can reach. */
export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}

export function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}
