// Loads rule sets into a throwaway network namespace (`unshare -n`) and saves what the real tools print there
// as a fixture root (DIR/commands/<savedAs>), so the collector reads genuine nft/iptables output through the
// ordinary FixtureHost. The host's own rule set is never touched: every command runs inside the namespace.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIREWALL_CHECKS } from "../../../src/audit/checks/firewall.ts";
import type { FirewallFacts } from "../../../src/audit/collectors/firewall.ts";
import type { ListeningSocket } from "../../../src/audit/collectors/sockets.ts";
import type { SshdFacts } from "../../../src/audit/collectors/sshd.ts";
import { DEFAULT_PRIVATE_PORTS, DEFAULT_PUBLIC_PORTS } from "../../../src/audit/deployment.ts";
import type { Facts } from "../../../src/audit/facts.ts";
import { type Collected, type Finding, seen, unseen } from "../../../src/audit/types.ts";

export interface NetnsRules {
  /** An nft script for `nft -f`. */
  nft?: string;
  /** iptables-restore input for each back end. */
  iptables?: string;
  ip6tables?: string;
  iptablesLegacy?: string;
  ip6tablesLegacy?: string;
}

/** The save commands the firewall collector runs, with the file names it reads under a fixture root. */
export const SAVE_COMMANDS = [
  { cmd: "nft -j list ruleset", savedAs: "nft-list-ruleset.json" },
  { cmd: "iptables-save", savedAs: "iptables-save.txt" },
  { cmd: "ip6tables-save", savedAs: "ip6tables-save.txt" },
  { cmd: "iptables-legacy-save", savedAs: "iptables-legacy-save.txt" },
  { cmd: "ip6tables-legacy-save", savedAs: "ip6tables-legacy-save.txt" },
] as const;

function sh(script: string, cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile("unshare", ["-n", "sh", "-ec", script], { cwd, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`unshare -n failed: ${err.message}\n${stderr}`));
      else done({ stdout, stderr });
    });
  });
}

/**
 * Loads `rules` in a fresh network namespace and captures the save commands there. Returns the fixture root.
 * `only` limits which outputs are kept (a host without nft, say); the others are simply not saved.
 */
export async function captureInNetns(
  rules: NetnsRules,
  opts: { only?: (typeof SAVE_COMMANDS)[number]["savedAs"][]; afterLoad?: string[] } = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stinger-fw-"));
  const root = join(dir, "root");
  await mkdir(join(root, "commands"), { recursive: true });
  const load: string[] = [];
  const files: [keyof NetnsRules, string][] = [
    ["nft", "nft -f rules.nft"],
    ["iptables", "iptables-restore < rules.iptables"],
    ["ip6tables", "ip6tables-restore < rules.ip6tables"],
    ["iptablesLegacy", "iptables-legacy-restore < rules.iptablesLegacy"],
    ["ip6tablesLegacy", "ip6tables-legacy-restore < rules.ip6tablesLegacy"],
  ];
  for (const [key, command] of files) {
    const text = rules[key];
    if (text === undefined) continue;
    await writeFile(join(dir, key === "nft" ? "rules.nft" : `rules.${key}`), text);
    load.push(command);
  }
  const keep = SAVE_COMMANDS.filter((c) => !opts.only || opts.only.includes(c.savedAs));
  const save = keep.map((c) => `${c.cmd} > root/commands/${c.savedAs}`);
  // `afterLoad`: commands run on the loaded rules before saving (a finding's fix, applied for real).
  await sh([...load, ...(opts.afterLoad ?? []), ...save].join("\n"), dir);
  return root;
}

/** Runs `nft -j list ruleset` on an nft script inside a fresh namespace (for committed fixtures). */
export async function nftJsonInNetns(script: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stinger-fw-"));
  await writeFile(join(dir, "rules.nft"), script);
  return (await sh("nft -f rules.nft\nnft -j list ruleset", dir)).stdout;
}

// --- Facts for the FW-* checks: the firewall part real, the rest as "not seen" unless a test gives it. ---
export function firewallFacts(
  firewall: Collected<FirewallFacts>,
  opts: { sockets?: Partial<ListeningSocket>[]; sshPorts?: number[] } = {},
): Facts {
  const sockets = opts.sockets?.map((s, i) => ({
    protocol: "tcp" as const,
    family: 4 as const,
    address: "0.0.0.0",
    port: 0,
    uid: 0,
    inode: 1000 + i,
    ...s,
  }));
  return {
    host: { root: "/fixture", isRoot: true },
    deployment: {
      publicPorts: [...DEFAULT_PUBLIC_PORTS],
      privatePorts: [...DEFAULT_PRIVATE_PORTS],
      sources: [],
    },
    sshd: opts.sshPorts
      ? seen({ ports: opts.sshPorts } as unknown as SshdFacts, "test")
      : unseen("sshd not part of this test"),
    sockets: sockets
      ? seen({ sockets, problems: [], ownersComplete: true }, "/proc/net (test)")
      : unseen("sockets not part of this test"),
    firewall,
    fail2ban: unseen("n/a"),
    files: unseen("n/a"),
    system: unseen("n/a"),
    pow: unseen("n/a"),
    units: unseen("n/a"),
  };
}

/** Runs every FW-* check; returns the findings by id and the skip reasons by id. */
export function runFirewallChecks(facts: Facts): { findings: Finding[]; skipped: Map<string, string> } {
  const findings: Finding[] = [];
  const skipped = new Map<string, string>();
  for (const c of FIREWALL_CHECKS) {
    const r = c.run(facts);
    if (Array.isArray(r)) findings.push(...r);
    else skipped.set(c.id, r.skipped);
  }
  return { findings, skipped };
}

/** The shell commands in a finding's fix text (lines that start with a firewall tool). */
export function fixCommands(fix: string): string[] {
  return fix.split("\n").filter((l) => /^(nft|iptables|ip6tables)(-legacy)? /.test(l));
}
