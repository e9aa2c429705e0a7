// Runs generated hardening files through the real tools (nft in a throwaway network namespace, sshd with a
// throwaway host key, fail2ban-client on a copy of /etc/fail2ban), shared by the harden tests.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface NftObject {
  table?: { family: string; name: string };
  set?: { family: string; name: string; table: string; elem?: unknown[] };
  chain?: { family: string; table: string; name: string; hook?: string; policy?: string; prio?: number };
  rule?: { family: string; table: string; chain: string; expr: Record<string, unknown>[] };
}

export function nftCheck(file: string): { status: number | null; out: string } {
  const r = spawnSync("unshare", ["-n", "nft", "-c", "-f", file], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Loads `file` `times` times into a fresh network namespace and returns what the kernel then holds. */
export function nftLoad(file: string, times = 1): NftObject[] {
  const loads = Array(times).fill(`nft -f '${file}'`).join(" && ");
  const json = execFileSync("unshare", ["-n", "sh", "-c", `${loads} && nft -j list ruleset`], {
    encoding: "utf8",
  });
  return (JSON.parse(json) as { nftables: NftObject[] }).nftables;
}

/** A set match's values, whether nft printed one value or a set. */
export function values(right: unknown): unknown[] {
  if (right && typeof right === "object" && "set" in right) return (right as { set: unknown[] }).set;
  return [right];
}

/** The `right` of the match on payload protocol.field in a rule, if any. */
export function matchOn(expr: Record<string, unknown>[], protocol: string, field: string): unknown {
  for (const e of expr) {
    const m = e.match as
      | { left?: { payload?: { protocol: string; field: string } }; right: unknown }
      | undefined;
    if (m?.left?.payload?.protocol === protocol && m.left.payload.field === field) return m.right;
  }
  return undefined;
}

/** An sshd_config that includes `dropin` first, then `rest` (what a main file would say), and a host key. */
export function sshdSetup(dir: string, dropin: string, rest = ""): { config: string; key: string } {
  // sshd run as root refuses to start without its privilege separation directory (systemd makes it).
  mkdirSync("/run/sshd", { recursive: true });
  const key = join(dir, "hostkey");
  if (!existsSync(key)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const config = join(dir, "sshd_config");
  writeFileSync(config, `Include ${dropin}\n${rest}`);
  return { config, key };
}

export function sshdTest(config: string, key: string): { status: number | null; out: string } {
  const r = spawnSync("/usr/sbin/sshd", ["-t", "-f", config, "-h", key], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** `sshd -T`: the effective settings, keyword (lower case) → value. */
export function sshdEffective(config: string, key: string): Map<string, string> {
  const out = execFileSync("/usr/sbin/sshd", ["-T", "-f", config, "-h", key], { encoding: "utf8" });
  const m = new Map<string, string>();
  for (const line of out.split("\n")) {
    const i = line.indexOf(" ");
    if (i > 0 && !m.has(line.slice(0, i))) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** A copy of the installed fail2ban config with the given jail.d / filter.d files added. */
export function fail2banConfig(dir: string, files: { jail?: string; filter?: string }): string {
  const conf = join(dir, "fail2ban");
  cpSync("/etc/fail2ban", conf, { recursive: true });
  mkdirSync(join(conf, "jail.d"), { recursive: true });
  if (files.jail !== undefined) writeFileSync(join(conf, "jail.d", "stinger.local"), files.jail);
  if (files.filter !== undefined) writeFileSync(join(conf, "filter.d", "stinger-gateway.conf"), files.filter);
  return conf;
}

export function fail2banTest(conf: string): { status: number | null; out: string } {
  const r = spawnSync("fail2ban-client", ["-c", conf, "-t"], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** `fail2ban-client -d`: the resolved configuration, one command per line. */
export function fail2banDump(conf: string): string[] {
  return execFileSync("fail2ban-client", ["-c", conf, "-d"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  })
    .split("\n")
    .filter(Boolean);
}
