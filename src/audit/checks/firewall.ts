// FW-*: is there a firewall, does it deny by default in both IP families, and do its holes match what the
// stinger deployment needs. All judgement comes from the per-family views of collectors/firewall.ts.
import { BAN_SET_V4, BAN_SET_V6, BAN_TABLE, BAN_TABLE_FAMILY } from "../../gateway/kernel-ban/nft-set.ts";
import { type Check, finding, type Skipped } from "../check.ts";
import {
  type Evidence,
  type Family,
  type FamilyView,
  type FirewallFacts,
  type PortRange,
  portAccess,
} from "../collectors/firewall.ts";
import { isLoopback, type ListeningSocket, type Protocol } from "../collectors/sockets.ts";
import { type Deployment, isPublicPort, privatePort } from "../deployment.ts";
import { type Facts, sshPortsOf } from "../facts.ts";
import type { Finding } from "../types.ts";

type Fw = FirewallFacts;

function firewallOrSkip(facts: Facts): Fw | Skipped {
  return facts.firewall.ok ? facts.firewall.value : { skipped: facts.firewall.reason };
}

function isSkip(x: unknown): x is Skipped {
  return typeof x === "object" && x !== null && "skipped" in x;
}

/** The families whose rules were read; the check skips when none was. */
function seenViews(fw: Fw): FamilyView[] {
  return [fw.v4, fw.v6].filter((v): v is FamilyView => v !== null);
}

function unseenNote(fw: Fw): string {
  return [fw.unseenReason.v4, fw.unseenReason.v6].filter(Boolean).join("; ");
}

/** The firewall facts and the families whose rules were read, or why a check cannot judge. */
function seenFirewall(facts: Facts): { fw: Fw; views: FamilyView[] } | Skipped {
  const fw = firewallOrSkip(facts);
  if (isSkip(fw)) return fw;
  const views = seenViews(fw);
  return views.length === 0 ? { skipped: unseenNote(fw) } : { fw, views };
}

function line(e: Evidence): string {
  return `${e.source}: ${e.text}${e.ref ? ` [${e.ref}]` : ""}`;
}

function lines(es: Evidence[]): string {
  return es.map(line).join("\n");
}

const fam = (f: Family) => `IPv${f}`;

/** `iptables`, `ip6tables`, `iptables-legacy`, ... for an iptables evidence line. */
function iptablesTool(e: Evidence): string {
  const six = /ip6tables/.test(e.source);
  return `${six ? "ip6tables" : "iptables"}${e.backend === "iptables-legacy" ? "-legacy" : ""}`;
}

/** `inet filter input` from an nft ref like `inet filter input handle 7`. */
function nftChain(e: Evidence): string {
  return e.ref.split(" ").slice(0, 3).join(" ");
}

function nftHandle(e: Evidence): string | null {
  return /handle (\d+)$/.exec(e.ref)?.[1] ?? null;
}

/** A default-deny inet rule set for this deployment: loopback, replies, ICMP(v6), public ports, rate-limited SSH. */
export function baselineRuleset(d: Deployment, ssh: number[]): string {
  const tcp = d.publicPorts.filter((p) => p.protocol === "tcp").map((p) => p.port);
  const udp = d.publicPorts.filter((p) => p.protocol === "udp").map((p) => p.port);
  const set = (ps: number[]) => (ps.length === 1 ? String(ps[0]) : `{ ${ps.join(", ")} }`);
  return [
    "table inet filter {",
    "  chain input {",
    "    type filter hook input priority filter; policy drop;",
    '    iifname "lo" accept',
    "    ct state established,related accept",
    "    ct state invalid drop",
    "    meta l4proto icmp accept",
    "    meta l4proto ipv6-icmp accept",
    ...(tcp.length > 0 ? [`    tcp dport ${set(tcp)} accept`] : []),
    ...(udp.length > 0 ? [`    udp dport ${set(udp)} accept`] : []),
    `    tcp dport ${set(ssh)} ct state new limit rate 10/minute accept`,
    "  }",
    "}",
  ].join("\n");
}

function baselineFix(facts: Facts): string {
  return [
    "Load a default-deny rule set for both families (keeps SSH and the deployment's public ports open):",
    "nft -f - <<'EOF'",
    baselineRuleset(facts.deployment, sshPortsOf(facts)),
    "EOF",
    "then make it permanent: { echo 'flush ruleset'; nft list ruleset; } > /etc/nftables.conf && systemctl enable nftables",
    "(or let `stinger harden` write and load it).",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------

const FW001: Check = {
  id: "FW-001",
  title: "No active firewall",
  area: "firewall",
  severity: "high",
  refs: ["CIS Debian 12 4.1 (single firewall, default deny)", "Lynis FIRE-4590"],
  run(facts) {
    const seen = seenFirewall(facts);
    if (isSkip(seen)) return seen;
    const { fw, views } = seen;
    if (views.some((v) => v.dropsAnything || v.defaultVerdict === "drop")) return [];
    const evidence = [
      ...views.map(
        (v) => `${fam(v.family)}: nothing on the input path drops anything\n${lines(v.defaultEvidence)}`,
      ),
      ...(fw.ufw.enabled ? [`${fw.ufw.evidence[0]}, yet no ufw rules are loaded`] : []),
      ...(fw.firewalld.installed ? fw.firewalld.evidence : []),
      ...(views.length < 2 ? [unseenNote(fw)] : []),
    ].join("\n");
    return [finding(FW001, { evidence, fix: baselineFix(facts) })];
  },
};

function dropsNothing(fw: Fw): boolean {
  const views = seenViews(fw);
  return views.length > 0 && views.every((v) => !v.dropsAnything && v.defaultVerdict === "accept");
}

/** Commands that make `family` default-deny, mirroring the ports the other family lets in. */
function familyFix(facts: Facts, open: FamilyView, other: FamilyView | null): string {
  const ev = open.defaultEvidence[0];
  const mirror = (other?.defaultVerdict === "drop" ? other.ports : []).filter((r) => r.access === "anyone");
  if (ev && ev.backend !== "nftables") {
    const tool = `${open.family === 6 ? "ip6tables" : "iptables"}${ev.backend === "iptables-legacy" ? "-legacy" : ""}`;
    const icmp = open.family === 6 ? "ipv6-icmp" : "icmp";
    const ports =
      mirror.length > 0
        ? mirror.map(
            (r) =>
              `${tool} -A INPUT -p ${r.protocol} --dport ${r.from === r.to ? r.from : `${r.from}:${r.to}`} -j ACCEPT`,
          )
        : [
            ...facts.deployment.publicPorts.map(
              (p) => `${tool} -A INPUT -p ${p.protocol} --dport ${p.port} -j ACCEPT`,
            ),
            ...sshPortsOf(facts).map((p) => `${tool} -A INPUT -p tcp --dport ${p} -j ACCEPT`),
          ];
    return [
      `Give ${fam(open.family)} the same default deny${mirror.length > 0 ? ` and the same open ports as ${fam(other!.family)}` : ""}:`,
      `${tool} -A INPUT -i lo -j ACCEPT`,
      `${tool} -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `${tool} -A INPUT -p ${icmp} -j ACCEPT`,
      ...ports,
      `${tool} -P INPUT DROP`,
      `then save it: ${tool}-save > /etc/iptables/rules.v${open.family === 6 ? 6 : 4} (package iptables-persistent).`,
    ].join("\n");
  }
  return [
    `Filter both families with one \`inet\` table instead of separate ip/ip6 ones, so ${fam(open.family)} cannot be forgotten.`,
    baselineFix(facts),
  ].join("\n");
}

const FW002: Check = {
  id: "FW-002",
  title: "One IP family accepts everything by default",
  area: "firewall",
  severity: "high",
  refs: ["CIS Debian 12 4.3 (ip6tables default deny)", "Lynis FIRE-4508"],
  run(facts) {
    const seen = seenFirewall(facts);
    if (isSkip(seen)) return seen;
    const { fw, views } = seen;
    if (dropsNothing(fw)) return []; // FW-001 says it for the whole host
    const out: Finding[] = [];
    for (const v of views) {
      if (v.defaultVerdict !== "accept") continue;
      const other = v.family === 4 ? fw.v6 : fw.v4;
      const contrast = other
        ? `\n${fam(other.family)} by contrast: default ${other.defaultVerdict}\n${lines(other.defaultEvidence)}`
        : "";
      out.push(
        finding(FW002, {
          title: `${fam(v.family)} accepts new connections to any port by default`,
          evidence: `${fam(v.family)} default: accept\n${lines(v.defaultEvidence)}${contrast}`,
          fix: familyFix(facts, v, other),
        }),
      );
    }
    // A family we could not read might be the open one: say so rather than pass.
    if (out.length === 0 && views.length < 2) return { skipped: unseenNote(fw) };
    return out;
  },
};

/** The families a listening socket is reachable over ("::" also takes IPv4 unless bindv6only is set). */
function socketFamilies(s: ListeningSocket): Family[] {
  if (s.family === 4 || s.address.startsWith("::ffff:")) return [4];
  return s.address === "::" ? [6, 4] : [6];
}

function removeFix(e: Evidence, protocol: Protocol, port: number): string {
  if (e.backend === "nftables") {
    const h = nftHandle(e);
    if (!h) return `The ${nftChain(e)} chain's policy accepts it: make the policy drop (see FW-002).`;
    const single =
      new RegExp(`dport ${port}( |$)`).test(e.text) && !/[{,-]/.test(e.text.replace(/ct state \S+/, ""));
    return single
      ? `nft delete rule ${nftChain(e)} handle ${h}`
      : `Take ${protocol}/${port} out of that rule: nft -a list chain ${nftChain(e)}, then nft replace rule ${nftChain(e)} handle ${h} <the rule without ${port}>`;
  }
  if (!e.text.startsWith("-A "))
    return `The ${e.ref} policy accepts it: make ${fam(/ip6tables/.test(e.source) ? 6 : 4)} default-deny (see FW-002).`;
  const single = new RegExp(`--dport ${port}( |$)`).test(e.text);
  return single
    ? `${iptablesTool(e)} ${e.text.replace(/^-A /, "-D ")}`
    : `Take ${protocol}/${port} out of that rule (${iptablesTool(e)} -D the rule, re-add it without ${port}).`;
}

const FW003: Check = {
  id: "FW-003",
  title: "A listening port the deployment does not need publicly is open to anyone",
  area: "firewall",
  severity: "high",
  refs: ["CIS Debian 12 4.1.x (a rule for every open port)", "SSG ufw_rules_for_open_ports"],
  run(facts) {
    const fw = firewallOrSkip(facts);
    if (isSkip(fw)) return fw;
    if (!facts.sockets.ok) return { skipped: `listening sockets not seen: ${facts.sockets.reason}` };
    if (seenViews(fw).length === 0) return { skipped: unseenNote(fw) };
    const ssh = new Set(sshPortsOf(facts));
    const out: Finding[] = [];
    const done = new Set<string>();
    for (const s of facts.sockets.value.sockets) {
      if (isLoopback(s.address) || isPublicPort(facts.deployment, s.port, s.protocol)) continue;
      if (s.protocol === "tcp" && ssh.has(s.port)) continue; // FW-004 judges SSH
      for (const f of socketFamilies(s)) {
        const view = f === 4 ? fw.v4 : fw.v6;
        const key = `${f}/${s.protocol}/${s.port}`;
        if (!view || done.has(key)) continue;
        const r = portAccess(view, s.protocol, s.port);
        if (r?.access !== "anyone") continue;
        done.add(key);
        const priv = privatePort(facts.deployment, s.port, s.protocol);
        const who = s.process ? ` (${s.process.name}, pid ${s.process.pid})` : "";
        const e = r.evidence[r.evidence.length - 1];
        out.push(
          finding(FW003, {
            severity: priv ? "high" : "medium",
            title: priv
              ? `${priv.service} (${s.protocol}/${s.port}) is reachable from anywhere over ${fam(f)}`
              : `${s.protocol}/${s.port} is listening and open to anyone over ${fam(f)}`,
            evidence: [
              `${facts.sockets.source}: ${s.protocol} ${s.address}:${s.port} listening${who}`,
              `${fam(f)} firewall: ${s.protocol}/${s.port} accepted from any source by`,
              lines(r.evidence),
              priv
                ? `${priv.service} must stay private (deployment: ${facts.deployment.sources.join(", ") || "stinger defaults"})`
                : "",
            ]
              .filter(Boolean)
              .join("\n"),
            fix: [
              e ? removeFix(e, s.protocol, s.port) : "",
              priv
                ? `and bind ${priv.service} to 127.0.0.1 (reach it through the gateway or an SSH tunnel).`
                : "If it must be reachable, allow it only from the addresses that need it (ip saddr <net> ... accept); else stop the service or bind it to 127.0.0.1.",
            ]
              .filter(Boolean)
              .join("\n"),
          }),
        );
      }
    }
    return out;
  },
};

function rateLimitFix(e: Evidence | undefined, port: number, family: Family): string {
  if (e && e.backend !== "nftables" && e.text.startsWith("-A ")) {
    const tool = iptablesTool(e);
    return [
      "Allow SSH only from admin addresses or a VPN, or at least rate-limit new connections:",
      `${tool} -I INPUT -p tcp --dport ${port} -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 10 --name ssh -j DROP`,
      `${tool} -I INPUT -p tcp --dport ${port} -m conntrack --ctstate NEW -m recent --set --name ssh`,
      "(and keep the sshd jail of fail2ban on).",
    ].join("\n");
  }
  const chain = e && e.backend === "nftables" && e.ref ? nftChain(e) : "inet filter input";
  const saddr = family === 6 ? "ip6 saddr 2001:db8::/32" : "ip saddr 198.51.100.0/24";
  return [
    "Allow SSH only from admin addresses or a VPN, or at least rate-limit new connections:",
    `nft insert rule ${chain} tcp dport ${port} ct state new limit rate over 10/minute drop`,
    `(to restrict instead: nft insert rule ${chain} ${saddr} tcp dport ${port} accept, with your admin network, then remove the open rule).`,
  ].join("\n");
}

const FW004: Check = {
  id: "FW-004",
  title: "SSH is open to every source without a rate limit",
  area: "firewall",
  severity: "low",
  refs: ["Lynis SSH-7408 (port)", "dev-sec ssh-baseline"],
  run(facts) {
    const seen = seenFirewall(facts);
    if (isSkip(seen)) return seen;
    const { views } = seen;
    const out: Finding[] = [];
    const from = facts.sshd.ok
      ? `sshd port, per ${facts.sshd.value.method}`
      : "default port 22 (sshd settings not seen)";
    for (const port of sshPortsOf(facts))
      for (const v of views) {
        const r = portAccess(v, "tcp", port);
        if (r?.access !== "anyone" || r.rateLimited) continue;
        out.push(
          finding(FW004, {
            title: `SSH (tcp/${port}) is open to every source over ${fam(v.family)} without a rate limit`,
            evidence: `SSH port ${port} (${from}); ${fam(v.family)}: accepted from any source, no limit/meter/recent rule, by\n${lines(r.evidence)}`,
            fix: rateLimitFix(r.evidence.find((e) => e.ref !== "") ?? r.evidence[0], port, v.family),
          }),
        );
      }
    return out;
  },
};

const FW006: Check = {
  id: "FW-006",
  title: "Several firewall managers or back ends hold rules",
  area: "firewall",
  severity: "medium",
  refs: ["CIS Debian 12 4.1.1 (single firewall utility)", "SSG firewall_single_service_active"],
  run(facts) {
    const fw = firewallOrSkip(facts);
    if (isSkip(fw)) return fw;
    const split =
      fw.backendInUse["iptables-legacy"] && (fw.backendInUse.nftables || fw.backendInUse["iptables-nft"]);
    if (fw.managers.length < 2 && !split) return [];
    const evidence = [
      ...fw.managers.map((m) => `${m.name}: ${m.evidence}`),
      ...(split
        ? [
            "rules sit in both the legacy iptables back end and nf_tables; `nft list ruleset` cannot show the legacy ones, and both are applied",
          ]
        : []),
    ].join("\n");
    const fix = split
      ? [
          "Move the legacy rules to nf_tables and empty the legacy back end:",
          "iptables-legacy-save > /root/legacy.v4 && ip6tables-legacy-save > /root/legacy.v6",
          "iptables-restore-translate -f /root/legacy.v4 > /root/legacy.nft   # review, then merge into /etc/nftables.conf",
          "iptables-legacy -P INPUT ACCEPT && iptables-legacy -F && ip6tables-legacy -P INPUT ACCEPT && ip6tables-legacy -F",
          "update-alternatives --set iptables /usr/sbin/iptables-nft (so tools stop writing legacy rules).",
        ].join("\n")
      : `Keep one manager (${fw.managers.map((m) => m.name).join(", ")}): e.g. \`systemctl disable --now firewalld\` or \`ufw disable\`, and fold its rules into the one you keep.`;
    return [finding(FW006, { evidence, fix })];
  },
};

const FW007: Check = {
  id: "FW-007",
  title: "Firewall rules are not persistent across reboots",
  area: "firewall",
  severity: "medium",
  refs: ["Lynis FIRE-4540", "CIS Debian 12 4.2.x (nftables service enabled)"],
  run(facts) {
    const seen = seenFirewall(facts);
    if (isSkip(seen)) return seen;
    const { fw, views } = seen;
    // Nothing loaded means nothing to lose: FW-001 covers that host.
    if (!views.some((v) => v.dropsAnything) || fw.persistence.persistent !== false) return [];
    const fixes: string[] = [];
    if (fw.backendInUse.nftables)
      fixes.push(
        "{ echo 'flush ruleset'; nft list ruleset; } > /etc/nftables.conf && systemctl enable nftables",
      );
    if (fw.backendInUse["iptables-nft"] || fw.backendInUse["iptables-legacy"])
      fixes.push(
        "apt-get install iptables-persistent && iptables-save > /etc/iptables/rules.v4 && ip6tables-save > /etc/iptables/rules.v6 && systemctl enable netfilter-persistent",
      );
    if (fw.ufw.installed && fw.ufw.enabled === false && fw.managers.some((m) => m.name === "ufw"))
      fixes.push("ufw enable (sets ENABLED=yes in /etc/ufw/ufw.conf)");
    return [
      finding(FW007, {
        evidence: [
          `loaded now: ${views.map((v) => `${fam(v.family)} default ${v.defaultVerdict} (${v.inputChains.join(", ")})`).join("; ")}`,
          ...fw.persistence.evidence,
        ].join("\n"),
        fix: `${fixes.join("\n") || "Save the loaded rules where the boot loads them (/etc/nftables.conf + systemctl enable nftables)"}\n(or let \`stinger harden\` write /etc/nftables.conf).`,
      }),
    ];
  },
};

function openFix(e: Evidence | undefined, protocol: Protocol, port: number): string {
  if (e && e.backend !== "nftables")
    return `${iptablesTool(e)} -I INPUT -p ${protocol} --dport ${port} -j ACCEPT`;
  const chain = e?.ref ? nftChain(e) : "inet filter input";
  return `nft insert rule ${chain} ${protocol} dport ${port} accept`;
}

const FW008: Check = {
  id: "FW-008",
  title: "A port the deployment must serve publicly is blocked",
  area: "firewall",
  severity: "medium",
  refs: ["stinger deployment profile (gateway, gossip)"],
  run(facts) {
    const seen = seenFirewall(facts);
    if (isSkip(seen)) return seen;
    const { views } = seen;
    const out: Finding[] = [];
    for (const p of facts.deployment.publicPorts)
      for (const v of views) {
        // IPv6 counts only where the service listens on IPv6; many hosts have no IPv6 at all.
        if (v.family === 6) {
          const v6 =
            facts.sockets.ok &&
            facts.sockets.value.sockets.some(
              (s) =>
                s.port === p.port &&
                s.protocol === p.protocol &&
                s.family === 6 &&
                !isLoopback(s.address) &&
                !s.address.startsWith("::ffff:"),
            );
          if (!v6) continue;
        }
        const r: PortRange | undefined = portAccess(v, p.protocol, p.port);
        if (!r || r.access === "anyone") continue;
        const restricted = r.access === "restricted";
        out.push(
          finding(FW008, {
            severity: restricted ? "low" : "medium",
            title: `${p.service} (${p.protocol}/${p.port}) is ${restricted ? "only open to some sources" : "blocked"} over ${fam(v.family)}`,
            evidence: `${p.service} ${p.protocol}/${p.port} is a public port of the deployment (${facts.deployment.sources.join(", ") || "stinger defaults"}); ${fam(v.family)}: ${restricted ? `accepted only from ${r.sources.join(", ")}` : "dropped"} by\n${lines(r.evidence)}`,
            fix: restricted
              ? `If every peer/client should reach it: ${openFix(r.evidence[0], p.protocol, p.port)}`
              : openFix(r.evidence[0], p.protocol, p.port),
          }),
        );
      }
    return out;
  },
};

const FW009: Check = {
  id: "FW-009",
  title: "The gateway bans repeat offenders into nftables, but the ban sets are not loaded",
  area: "firewall",
  severity: "medium",
  refs: ["stinger gateway kernelBan", "operator checklist: rate-limit abuse down to the firewall"],
  run(facts) {
    const gw = facts.deployment.gateway;
    // Nothing to verify without a gateway that bans into the kernel (and nothing unseen either).
    if (!gw?.config.kernelBan.enabled) return [];
    const seen = seenFirewall(facts);
    if (isSkip(seen)) return seen;
    const { fw } = seen;
    // A drop rule in an input chain that matches the set: nft refuses a rule naming a missing set, so a
    // loaded rule means a loaded set.
    const dropsFrom = (set: string) =>
      fw.chains.some(
        (c) =>
          c.input &&
          c.backend === "nftables" &&
          c.rules.some((r) => r.verdict?.kind === "drop" && r.evidence.text.includes(`@${set}`)),
      );
    const missing = [BAN_SET_V4, BAN_SET_V6].filter((set) => !dropsFrom(set));
    if (missing.length === 0) return [];
    return [
      finding(FW009, {
        evidence: `${gw.file} sets kernelBan.enabled, but no input chain drops packets from ${missing.map((m) => `@${m}`).join(" or ")} (input chains: ${
          fw.chains
            .filter((c) => c.input)
            .map((c) => `${c.backend} ${c.tableFamily} ${c.table} ${c.name}`)
            .join(", ") || "none"
        }); banned clients would still reach the gateway`,
        fix: `stinger harden --out DIR, then nft -f DIR/nftables/stinger.nft (table ${BAN_TABLE_FAMILY} ${BAN_TABLE}: sets ${BAN_SET_V4}/${BAN_SET_V6} and their drop rules), and run \`stinger ban-helper --socket ${gw.config.kernelBan.helperSocket}\` as root`,
      }),
    ];
  },
};

export const FIREWALL_CHECKS: Check[] = [FW001, FW002, FW003, FW004, FW006, FW007, FW008, FW009];
