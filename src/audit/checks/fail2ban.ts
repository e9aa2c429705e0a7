import { type Check, finding, type Skipped } from "../check.ts";
import type { Fail2banFacts, Fail2banJail } from "../collectors/fail2ban.ts";
import { SERVICE_PORTS } from "../data/services.ts";
import type { Facts } from "../facts.ts";
import type { Finding } from "../types.ts";

const JAIL_LOCAL = "/etc/fail2ban/jail.d/stinger.local";

function f2b(f: Facts): Fail2banFacts | Skipped {
  return f.fail2ban.ok ? f.fail2ban.value : { skipped: f.fail2ban.reason };
}

function installedF2b(f: Facts): Fail2banFacts | Skipped {
  const v = f2b(f);
  if ("skipped" in v) return v;
  return v.installed ? v : { skipped: "fail2ban is not installed (F2B-001)" };
}

/** Ports named by a jail's action, "ssh", "2222", "http,https", "1000:2000". */
export function jailPorts(jail: Fail2banJail): { ports: number[]; any: boolean } {
  const ports: number[] = [];
  let any = false;
  for (const spec of jail.actionPorts.length ? jail.actionPorts : [jail.settings.get("port") ?? ""]) {
    for (const part of spec.split(/[,\s]+/).filter(Boolean)) {
      if (part === "0:65535" || part === "1:65535" || part === "all") any = true;
      const range = /^(\d+):(\d+)$/.exec(part);
      if (range) {
        for (let p = Number(range[1]); p <= Number(range[2]) && ports.length < 70_000; p++) ports.push(p);
        continue;
      }
      const n = /^\d+$/.test(part) ? Number(part) : SERVICE_PORTS[part];
      if (n !== undefined) ports.push(n);
    }
  }
  return { ports, any };
}

const F2B_001: Check = {
  id: "F2B-001",
  title: "fail2ban is not installed",
  area: "fail2ban",
  severity: "medium",
  refs: ["dev-sec package-NN", "operator checklist: use fail2ban"],
  run(f) {
    const v = f2b(f);
    if ("skipped" in v) return v;
    if (v.installed) return [];
    return [
      finding(this, {
        evidence: `no fail2ban-client and no /etc/fail2ban/jail.conf (${v.source})`,
        fix: "apt-get install fail2ban, then `stinger harden` for the sshd and gateway jails",
      }),
    ];
  },
};

const F2B_002: Check = {
  id: "F2B-002",
  title: "fail2ban is installed but not running",
  area: "fail2ban",
  severity: "medium",
  run(f) {
    const v = installedF2b(f);
    if ("skipped" in v) return v;
    if (v.running === null) return { skipped: "fail2ban server status needs root (its socket is root-only)" };
    if (v.running) return [];
    return [
      finding(this, {
        evidence: "fail2ban-client status: the server does not answer (no /run/fail2ban/fail2ban.sock)",
        fix: "systemctl enable --now fail2ban (then fail2ban-client status)",
      }),
    ];
  },
};

const F2B_003: Check = {
  id: "F2B-003",
  title: "no fail2ban jail protects sshd",
  area: "fail2ban",
  severity: "medium",
  run(f) {
    const v = installedF2b(f);
    if ("skipped" in v) return v;
    if (v.jails.some((j) => j.name === "sshd" || j.name.startsWith("sshd"))) return [];
    return [
      finding(this, {
        evidence: `fail2ban-client -d defines the jails: ${v.jails.map((j) => j.name).join(", ") || "none"} (${v.source})`,
        fix: `enable the sshd jail: [sshd] enabled = true in ${JAIL_LOCAL} (stinger harden writes it), then fail2ban-client reload`,
      }),
    ];
  },
};

const F2B_004: Check = {
  id: "F2B-004",
  title: "a fail2ban jail cannot read its log (it never bans)",
  area: "fail2ban",
  severity: "high",
  refs: ["fail2ban #3292/#3567: Debian 12 has no /var/log/auth.log"],
  run(f) {
    const v = installedF2b(f);
    if ("skipped" in v) return v;
    const out: Finding[] = [];
    for (const j of v.jails) {
      if (j.backend === "systemd") continue;
      const warned = v.warnings.find((w) => w.includes(`for ${j.name} jail`));
      if (j.logPaths.length > 0 && !warned) continue;
      out.push(
        finding(this, {
          evidence: `jail ${j.name}: backend ${j.backend} and ${j.logPaths.length ? `log ${j.logPaths.join(", ")}` : "no log file found"}${warned ? ` (fail2ban: "${warned}")` : ""}`,
          fix: j.name.startsWith("sshd")
            ? `set "backend = systemd" for [${j.name}] in ${JAIL_LOCAL} (no rsyslog means no /var/log/auth.log), then fail2ban-client reload`
            : `point logpath of [${j.name}] at an existing log (or backend = systemd with a journalmatch), then fail2ban-client reload`,
        }),
      );
    }
    return out;
  },
};

const F2B_005: Check = {
  id: "F2B-005",
  title: "the sshd jail bans a port sshd does not listen on",
  area: "fail2ban",
  severity: "high",
  run(f) {
    const v = installedF2b(f);
    if ("skipped" in v) return v;
    if (!f.sshd.ok) return { skipped: `sshd ports unknown: ${f.sshd.reason}` };
    const sshPorts = f.sshd.value.ports;
    const out: Finding[] = [];
    for (const j of v.jails.filter((j) => j.name.startsWith("sshd"))) {
      const { ports, any } = jailPorts(j);
      const missing = sshPorts.filter((p) => !any && !ports.includes(p));
      if (missing.length === 0) continue;
      out.push(
        finding(this, {
          evidence: `jail ${j.name} bans port(s) ${j.actionPorts.join(",") || "?"} but sshd listens on ${sshPorts.join(",")} (${f.sshd.value.source}); banned clients can keep guessing`,
          fix: `set "port = ${sshPorts.join(",")}" for [${j.name}] in ${JAIL_LOCAL}, then fail2ban-client reload`,
        }),
      );
    }
    return out;
  },
};

const F2B_006: Check = {
  id: "F2B-006",
  title: "lenient fail2ban limits",
  area: "fail2ban",
  severity: "low",
  run(f) {
    const v = installedF2b(f);
    if ("skipped" in v) return v;
    const out: Finding[] = [];
    for (const j of v.jails) {
      const maxretry = Number(j.settings.get("maxretry") ?? 5);
      const bantime = seconds(j.settings.get("bantime") ?? "600");
      const problems: string[] = [];
      // The gateway jail counts refusals, not password guesses: its higher maxretry is by design.
      if (maxretry > 5 && j.name.startsWith("sshd")) problems.push(`maxretry ${maxretry} > 5`);
      if (bantime >= 0 && bantime < 600) problems.push(`bantime ${j.settings.get("bantime")} < 10m`);
      if (problems.length === 0) continue;
      out.push(
        finding(this, {
          evidence: `jail ${j.name}: ${problems.join(", ")} (${v.source})`,
          fix: `in ${JAIL_LOCAL}: [${j.name}] maxretry = 5, bantime = 1h, bantime.increment = true`,
        }),
      );
    }
    return out;
  },
};

/** fail2ban times: "600", "10m", "1h", "1d", "-1" (forever). */
function seconds(v: string): number {
  const m = /^(-?\d+)\s*([smhdw]?)/.exec(v.trim());
  if (!m) return -1;
  const unit: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return Number(m[1]) * unit[m[2]!]!;
}

const F2B_008: Check = {
  id: "F2B-008",
  title: "no fail2ban jail watches the gateway's access log",
  area: "fail2ban",
  severity: "low",
  run(f) {
    const v = installedF2b(f);
    if ("skipped" in v) return v;
    if (!f.deployment.gateway) return { skipped: "no gateway config given (--gateway-config)" };
    if (v.jails.some((j) => j.name === "stinger-gateway")) return [];
    return [
      finding(this, {
        evidence: `the gateway refuses abusive clients (403/429 in its access log) but no stinger-gateway jail is defined (${v.source})`,
        fix: "install deploy/fail2ban/{filter.d,jail.d}/stinger-gateway.conf (stinger harden writes both), then fail2ban-client reload",
      }),
    ];
  },
};

export const FAIL2BAN_CHECKS: readonly Check[] = [
  F2B_001,
  F2B_002,
  F2B_003,
  F2B_004,
  F2B_005,
  F2B_006,
  F2B_008,
];
