import { type Check, finding, type Skipped } from "../check.ts";
import { first, type SshdConfig, type SshdFacts } from "../collectors/sshd.ts";
import {
  matchesWeak,
  RECOMMENDED,
  WEAK_CIPHERS,
  WEAK_KEX,
  WEAK_MACS,
  type WeakAlgorithm,
} from "../data/weak-algorithms.ts";
import type { Facts } from "../facts.ts";
import type { Finding, Severity } from "../types.ts";

const DROP_IN = "/etc/ssh/sshd_config.d/00-stinger-hardening.conf";
function fixLines(lines: string[]): string {
  return `add ${lines.map((l) => `"${l}"`).join(" and ")} to ${DROP_IN} (sshd takes the first value it reads), then \`sshd -t\` and reload sshd; \`stinger harden\` writes that file`;
}

/** "permitrootlogin yes (sshd -T -f /etc/ssh/sshd_config; set at /etc/ssh/sshd_config.d/50-x.conf:3)" */
function evidenceOf(s: SshdFacts, keyword: string, value?: string): string {
  const shown = value ?? s.config.get(keyword)?.join(" ") ?? "(unset)";
  const where = s.provenance.get(keyword);
  const at = where
    ? `; set at ${where.file}:${where.line}`
    : "; not set in the files, so the built-in default applies";
  return `${keyword} ${shown} (from ${s.source}${at})`;
}

type SshRule = Omit<Check, "run" | "area"> & {
  judge(
    config: SshdConfig,
    s: SshdFacts,
  ): { severity?: Severity; evidence?: string; fix?: string; directives: string[] } | null;
};

function sshFacts(f: Facts): SshdFacts | Skipped {
  if (!f.sshd.ok) return { skipped: f.sshd.reason };
  return f.sshd.value;
}

/** A rule judged on the effective config for everyone (Match overrides are SSH-005's business). */
function sshCheck(rule: SshRule): Check {
  return {
    id: rule.id,
    title: rule.title,
    area: "ssh",
    severity: rule.severity,
    ...(rule.refs ? { refs: rule.refs } : {}),
    run(f) {
      const s = sshFacts(f);
      if ("skipped" in s) return s;
      const verdict = rule.judge(s.config, s);
      if (!verdict) return [];
      return [
        finding(
          { ...rule, area: "ssh" },
          {
            ...(verdict.severity ? { severity: verdict.severity } : {}),
            evidence: verdict.evidence ?? "",
            fix: verdict.fix ?? fixLines(verdict.directives),
            sshdDirectives: verdict.directives,
          },
        ),
      ];
    },
  };
}

/** A yes/no setting that must have one value. */
function boolRule(
  id: string,
  title: string,
  severity: Severity,
  keyword: string,
  good: "yes" | "no",
  directive: string,
  refs: string[],
): SshRule {
  return {
    id,
    title,
    severity,
    refs,
    judge: (c, s) =>
      first(c, keyword)?.toLowerCase() === good
        ? null
        : { evidence: evidenceOf(s, keyword), directives: [directive] },
  };
}

function numberRule(
  id: string,
  title: string,
  severity: Severity,
  keyword: string,
  bad: (n: number) => boolean,
  directive: string,
  refs: string[],
): SshRule {
  return {
    id,
    title,
    severity,
    refs,
    judge: (c, s) => {
      const n = Number(first(c, keyword));
      return Number.isFinite(n) && !bad(n)
        ? null
        : { evidence: evidenceOf(s, keyword), directives: [directive] };
    },
  };
}

function weakAlgorithms(
  id: string,
  title: string,
  severity: Severity,
  keyword: "ciphers" | "macs" | "kexalgorithms",
  weak: WeakAlgorithm[],
  directiveKeyword: string,
  refs: string[],
  severityOf: (w: WeakAlgorithm) => Severity = () => severity,
): SshRule {
  return {
    id,
    title,
    severity,
    refs,
    judge: (c, s) => {
      const offered = (first(c, keyword) ?? "").split(",").filter(Boolean);
      const found = offered.map((a) => ({ a, w: matchesWeak(a, weak) })).filter((x) => x.w !== undefined);
      if (found.length === 0) return null;
      const worst = found.map((x) => severityOf(x.w!)).sort((a, b) => rank(b) - rank(a))[0]!;
      return {
        severity: worst,
        evidence: `${keyword} offers ${found.map((x) => `${x.a} (${x.w!.why})`).join(", ")} (from ${s.source})`,
        directives: [`${directiveKeyword} ${RECOMMENDED[keyword]}`],
      };
    },
  };
}

const rank = (s: Severity) => ["info", "low", "medium", "high", "critical"].indexOf(s);

const RULES: SshRule[] = [
  {
    id: "SSH-002",
    title: "root can log in over SSH",
    severity: "high",
    refs: ["CIS 5.1.20", "dev-sec sshd-06", "Lynis SSH-7408"],
    judge: (c, s) => {
      const v = first(c, "permitrootlogin");
      if (v === "no") return null;
      return {
        severity: v === "yes" ? "high" : "medium",
        evidence: evidenceOf(s, "permitrootlogin"),
        directives: ["PermitRootLogin no"],
      };
    },
  },
  {
    id: "SSH-003",
    title: "password logins are allowed",
    severity: "high",
    refs: ["dev-sec sshd-27", "SSG sshd_disable_password_authentication"],
    judge: (c, s) => {
      const pw = first(c, "passwordauthentication") === "yes";
      const kbd = first(c, "kbdinteractiveauthentication") === "yes" && first(c, "usepam") === "yes";
      if (!pw && !kbd) return null;
      const evidence = pw
        ? evidenceOf(s, "passwordauthentication")
        : `${evidenceOf(s, "kbdinteractiveauthentication")} with usepam yes (PAM asks for the password)`;
      return {
        evidence,
        fix: `install your public key first (ssh-copy-id), check a key login works, then ${fixLines(["PasswordAuthentication no", "KbdInteractiveAuthentication no"])}`,
        directives: ["PasswordAuthentication no", "KbdInteractiveAuthentication no"],
      };
    },
  },
  {
    ...boolRule(
      "SSH-004",
      "empty passwords are accepted",
      "critical",
      "permitemptypasswords",
      "no",
      "PermitEmptyPasswords no",
      ["CIS 5.1.19", "dev-sec sshd-28"],
    ),
  },
  numberRule(
    "SSH-007",
    "too many authentication attempts per connection",
    "low",
    "maxauthtries",
    (n) => n > 4,
    "MaxAuthTries 3",
    ["CIS 5.1.16"],
  ),
  numberRule(
    "SSH-008",
    "login grace time unlimited or longer than 60 s",
    "low",
    "logingracetime",
    (n) => n === 0 || n > 60,
    "LoginGraceTime 30",
    ["CIS 5.1.13", "dev-sec sshd-18"],
  ),
  {
    id: "SSH-009",
    title: "unauthenticated connection limit looser than 10:30:60",
    severity: "low",
    refs: ["CIS 5.1.18"],
    judge: (c, s) => {
      const parts = (first(c, "maxstartups") ?? "").split(":").map(Number);
      const [start, rate, full] = parts.length === 3 ? parts : [parts[0], 100, parts[0]];
      if ((start ?? 99) <= 10 && (rate ?? 99) <= 30 && (full ?? 99) <= 60) return null;
      return { evidence: evidenceOf(s, "maxstartups"), directives: ["MaxStartups 10:30:60"] };
    },
  },
  numberRule(
    "SSH-010",
    "more than 10 sessions per connection",
    "low",
    "maxsessions",
    (n) => n > 10,
    "MaxSessions 4",
    ["CIS 5.1.17"],
  ),
  {
    id: "SSH-011",
    title: "idle sessions never time out",
    severity: "low",
    refs: ["CIS 5.1.7", "dev-sec sshd-36/37"],
    judge: (c, s) => {
      const interval = Number(first(c, "clientaliveinterval"));
      const count = Number(first(c, "clientalivecountmax"));
      if (interval > 0 && count > 0) return null;
      return {
        evidence: `${evidenceOf(s, "clientaliveinterval")}; clientalivecountmax ${count}`,
        directives: ["ClientAliveInterval 300", "ClientAliveCountMax 2"],
      };
    },
  },
  {
    id: "SSH-012",
    title: "SSH forwarding is enabled",
    severity: "medium",
    refs: ["CIS 5.1.8", "dev-sec sshd-38..42"],
    judge: (c, s) => {
      if (
        first(c, "disableforwarding") === "yes" &&
        first(c, "permittunnel") === "no" &&
        first(c, "gatewayports") === "no"
      )
        return null;
      const on = [
        "allowtcpforwarding",
        "allowagentforwarding",
        "x11forwarding",
        "allowstreamlocalforwarding",
      ].filter((k) => first(c, k) !== undefined && first(c, k) !== "no");
      const exposing = ["permittunnel", "gatewayports"].filter(
        (k) => first(c, k) !== undefined && first(c, k) !== "no",
      );
      if (first(c, "disableforwarding") === "yes" && exposing.length === 0) return null;
      if (on.length === 0 && exposing.length === 0) return null;
      return {
        severity: exposing.length > 0 ? "medium" : "low",
        evidence: `${[...on, ...exposing].map((k) => `${k} ${first(c, k)}`).join(", ")}; disableforwarding ${first(c, "disableforwarding")} (from ${s.source})`,
        directives: ["DisableForwarding yes", "PermitTunnel no", "GatewayPorts no"],
      };
    },
  },
  {
    id: "SSH-013",
    title: "host-based (rhosts) trust is enabled",
    severity: "high",
    refs: ["CIS 5.1.10", "CIS 5.1.11"],
    judge: (c, s) => {
      if (first(c, "hostbasedauthentication") === "no" && first(c, "ignorerhosts") === "yes") return null;
      return {
        evidence: `${evidenceOf(s, "hostbasedauthentication")}; ignorerhosts ${first(c, "ignorerhosts")}`,
        directives: ["HostbasedAuthentication no", "IgnoreRhosts yes"],
      };
    },
  },
  boolRule(
    "SSH-014",
    "users may set their environment",
    "medium",
    "permituserenvironment",
    "no",
    "PermitUserEnvironment no",
    ["CIS 5.1.21"],
  ),
  {
    id: "SSH-015",
    title: "authentication events are not logged",
    severity: "medium",
    refs: ["CIS 5.1.14", "dev-sec sshd-13"],
    judge: (c, s) => {
      const level = first(c, "loglevel")?.toUpperCase();
      return level === "INFO" || level === "VERBOSE"
        ? null
        : { evidence: evidenceOf(s, "loglevel"), directives: ["LogLevel VERBOSE"] };
    },
  },
  boolRule(
    "SSH-016",
    "PAM is off (account and session checks skipped)",
    "low",
    "usepam",
    "yes",
    "UsePAM yes",
    ["CIS 5.1.22"],
  ),
  weakAlgorithms("SSH-017", "weak SSH ciphers offered", "high", "ciphers", WEAK_CIPHERS, "Ciphers", [
    "CIS 5.1.6",
  ]),
  weakAlgorithms(
    "SSH-018",
    "weak SSH MACs offered",
    "medium",
    "macs",
    WEAK_MACS,
    "MACs",
    ["CIS 5.1.15"],
    (w) => (w.why.startsWith("SHA-1") ? "low" : "medium"),
  ),
  weakAlgorithms(
    "SSH-019",
    "weak SSH key exchange offered",
    "high",
    "kexalgorithms",
    WEAK_KEX,
    "KexAlgorithms",
    ["CIS 5.1.12"],
  ),
  {
    id: "SSH-022",
    title: "no allow-list of who may log in",
    severity: "low",
    refs: ["CIS 5.1.4"],
    judge: (c, s) =>
      c.has("allowusers") || c.has("allowgroups")
        ? null
        : {
            evidence: `neither allowusers nor allowgroups is set (from ${s.source})`,
            fix: `create a group for SSH users (groupadd sshusers; usermod -aG sshusers <you>), then ${fixLines(["AllowGroups sshusers"])}`,
            directives: [],
          },
  },
  {
    id: "SSH-025",
    title: "no pre-login banner",
    severity: "info",
    refs: ["CIS 5.1.5"],
    judge: (c, s) =>
      first(c, "banner") && first(c, "banner") !== "none"
        ? null
        : { evidence: evidenceOf(s, "banner"), directives: ["Banner /etc/issue.net"] },
  },
  boolRule(
    "SSH-026",
    "sshd does not check home directory permissions",
    "medium",
    "strictmodes",
    "yes",
    "StrictModes yes",
    ["dev-sec sshd-11"],
  ),
  {
    id: "SSH-027",
    title: "public key authentication is off",
    severity: "medium",
    refs: ["dev-sec sshd-22"],
    judge: (c, s) =>
      first(c, "pubkeyauthentication") === "yes"
        ? null
        : { evidence: evidenceOf(s, "pubkeyauthentication"), directives: ["PubkeyAuthentication yes"] },
  },
];

const SSH_001: Check = {
  id: "SSH-001",
  title: "sshd configuration invalid or unreadable",
  area: "ssh",
  severity: "high",
  run(f) {
    const s = sshFacts(f);
    if ("skipped" in s) return s;
    const out: Finding[] = [];
    if (s.configError)
      out.push(
        finding(this, {
          evidence: `sshd refuses its configuration: ${s.configError}`,
          fix: "correct the file and line named above, then check with `sshd -t` before reloading (a reload with a bad file leaves sshd down after the next restart)",
        }),
      );
    const unreadable = s.problems.filter((p) =>
      /Include .*:|unbalanced quote|no value|Include loop|deeper than/.test(p),
    );
    if (unreadable.length > 0)
      out.push(
        finding(this, {
          severity: "medium",
          title: "sshd configuration has lines sshd would reject or skip",
          evidence: unreadable.join("; "),
          fix: "fix or remove the lines named above and check with `sshd -t`",
        }),
      );
    return out;
  },
};

/** Settings a Match block makes weaker than for everyone else. */
const SSH_005: Check = {
  id: "SSH-005",
  title: "a Match block weakens SSH settings for some logins",
  area: "ssh",
  severity: "medium",
  refs: ["Lynis SSH-7408 (sshd -T -C)"],
  run(f) {
    const s = sshFacts(f);
    if ("skipped" in s) return s;
    const out: Finding[] = [];
    const weaker: [string, (v: string | undefined) => boolean][] = [
      ["permitrootlogin", (v) => v === "yes"],
      ["passwordauthentication", (v) => v === "yes"],
      ["permitemptypasswords", (v) => v === "yes"],
      ["allowtcpforwarding", (v) => v !== undefined && v !== "no"],
      ["x11forwarding", (v) => v === "yes"],
      ["permittunnel", (v) => v !== undefined && v !== "no"],
      ["gatewayports", (v) => v !== undefined && v !== "no"],
      ["maxauthtries", (v) => Number(v) > 6],
    ];
    for (const m of s.matches) {
      const loosened = weaker
        .filter(([k, bad]) => bad(first(m.config, k)) && !bad(first(s.config, k)))
        .map(([k]) => `${k} ${first(m.config, k)}`);
      if (loosened.length === 0) continue;
      out.push(
        finding(this, {
          severity: loosened.some((l) => /^(permitrootlogin|permitemptypasswords)/.test(l))
            ? "high"
            : "medium",
          evidence: `under "Match ${m.criteria}": ${loosened.join(", ")} (everyone else: stricter; from ${s.method === "sshd -T" ? "sshd -T -C" : "the files"})`,
          fix: `remove those lines from the "Match ${m.criteria}" block, or narrow it to named admin addresses`,
        }),
      );
    }
    return out;
  },
};

/** A drop-in silently overriding the main file is how cloud images re-enable passwords. */
const SSH_006: Check = {
  id: "SSH-006",
  title: "a drop-in file overrides sshd_config",
  area: "ssh",
  severity: "info",
  run(f) {
    const s = sshFacts(f);
    if ("skipped" in s) return s;
    const out: Finding[] = [];
    for (const [keyword, sets] of s.assignments) {
      const main = sets.find((a) => a.file === "/etc/ssh/sshd_config");
      const winner = sets[0];
      if (
        !main ||
        !winner ||
        winner.file === main.file ||
        winner.value.toLowerCase() === main.value.toLowerCase()
      )
        continue;
      out.push(
        finding(this, {
          evidence: `${keyword} "${main.value}" at ${main.file}:${main.line} is shadowed by "${winner.value}" at ${winner.file}:${winner.line}`,
          fix: `edit ${winner.file}:${winner.line} (sshd takes the first value it reads, and Include comes first)`,
        }),
      );
    }
    return out;
  },
};

/** OpenSSH upstream version from a Debian package version: "1:9.2p1-2+deb12u3" → [9, 2]. */
function upstreamVersion(v: string): [number, number] | null {
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * Strict key exchange (the Terrapin fix, CVE-2023-48795) came with OpenSSH 9.6; Debian 12 backported
 * it in 1:9.2p1-2+deb12u2, Ubuntu in its 2023-12 security updates (version strings carry "ubuntu").
 */
function hasStrictKex(version: string): boolean | null {
  const up = upstreamVersion(version);
  if (!up) return null;
  if (up[0] > 9 || (up[0] === 9 && up[1] >= 6)) return true;
  const deb = /\+deb(\d+)u(\d+)/.exec(version);
  if (deb && up[0] === 9 && up[1] === 2) return Number(deb[2]) >= 2;
  return null;
}

const SSH_021: Check = {
  id: "SSH-021",
  title: "SSH open to the Terrapin prefix-truncation attack",
  area: "ssh",
  severity: "medium",
  refs: ["CVE-2023-48795", "CIS 5.1.6"],
  run(f) {
    const s = sshFacts(f);
    if ("skipped" in s) return s;
    if (!f.system.ok || f.system.value.opensshServerVersion === null)
      return { skipped: "openssh-server version unknown (dpkg status not readable or package absent)" };
    const version = f.system.value.opensshServerVersion;
    const strict = hasStrictKex(version);
    if (strict === null)
      return { skipped: `cannot tell whether openssh-server ${version} has strict key exchange` };
    if (strict) return [];
    const c = s.config;
    const ciphers = (first(c, "ciphers") ?? "").split(",");
    const macs = (first(c, "macs") ?? "").split(",");
    const chacha = ciphers.includes("chacha20-poly1305@openssh.com");
    const cbcEtm = ciphers.some((x) => x.endsWith("-cbc")) && macs.some((m) => m.includes("-etm@"));
    if (!chacha && !cbcEtm) return [];
    return [
      finding(this, {
        evidence: `openssh-server ${version} (dpkg) has no strict key exchange and offers ${chacha ? "chacha20-poly1305@openssh.com" : "a CBC cipher with an -etm MAC"} (from ${s.source})`,
        fix: `upgrade openssh-server (apt-get install --only-upgrade openssh-server); until then ${fixLines([`Ciphers ${RECOMMENDED.ciphers}`])}`,
        sshdDirectives: [`Ciphers ${RECOMMENDED.ciphers}`],
      }),
    ];
  },
};

export const SSH_CHECKS: readonly Check[] = [SSH_001, SSH_005, SSH_006, SSH_021, ...RULES.map(sshCheck)];
