import { type Check, finding } from "../check.ts";
import type { SystemFacts } from "../collectors/system.ts";
import type { Facts } from "../facts.ts";

function sys(f: Facts): SystemFacts | { skipped: string } {
  return f.system.ok ? f.system.value : { skipped: f.system.reason };
}

const SYS_001: Check = {
  id: "SYS-001",
  title: "security updates are not installed automatically",
  area: "system",
  severity: "medium",
  refs: ["Lynis PKGS-7420"],
  run(f) {
    const s = sys(f);
    if ("skipped" in s) return s;
    if (s.packages.unattendedUpgrades === null && s.unattendedUpgradeSetting === null)
      return { skipped: "neither dpkg status nor apt-config could be read" };
    if (
      s.packages.unattendedUpgrades !== false &&
      s.unattendedUpgradeSetting !== null &&
      s.unattendedUpgradeSetting !== "0"
    )
      return [];
    const seen =
      s.packages.unattendedUpgrades === false
        ? "package unattended-upgrades is not installed (dpkg status)"
        : `APT::Periodic::Unattended-Upgrade is "${s.unattendedUpgradeSetting ?? "?"}" (${s.updateSettingSource})`;
    return [
      finding(this, {
        evidence: seen,
        fix: 'apt-get install unattended-upgrades && echo \'APT::Periodic::Update-Package-Lists "1"; APT::Periodic::Unattended-Upgrade "1";\' > /etc/apt/apt.conf.d/20auto-upgrades',
      }),
    ];
  },
};

const SYS_002: Check = {
  id: "SYS-002",
  title: "a reboot is pending for installed updates",
  area: "system",
  severity: "low",
  run(f) {
    const s = sys(f);
    if ("skipped" in s) return s;
    if (!s.rebootRequired) return [];
    return [
      finding(this, {
        evidence: "/var/run/reboot-required exists: updated kernel or libraries are not in use yet",
        fix: "schedule a reboot (the node resyncs through gossip; keep a second node behind the gateway meanwhile)",
      }),
    ];
  },
};

const SYS_003: Check = {
  id: "SYS-003",
  title: "an account other than root has UID 0",
  area: "system",
  severity: "critical",
  refs: ["Lynis AUTH-9204"],
  run(f) {
    const s = sys(f);
    if ("skipped" in s) return s;
    return s.extraUid0.map((name) =>
      finding(this, {
        evidence: `/etc/passwd: ${name} has UID 0 (a second root)`,
        fix: `remove or renumber the account: usermod -u <free uid> ${name} (or userdel ${name}), then look for how it got there`,
      }),
    );
  },
};

const SYS_006: Check = {
  id: "SYS-006",
  title: "users in the docker group (root-equivalent)",
  area: "system",
  severity: "low",
  run(f) {
    const s = sys(f);
    if ("skipped" in s) return s;
    if (s.dockerGroupMembers.length === 0) return [];
    return [
      finding(this, {
        evidence: `/etc/group: docker:${s.dockerGroupMembers.join(",")} (docker access = root on the host)`,
        fix: `remove users who need no root: gpasswd -d <user> docker`,
      }),
    ];
  },
};

const SYS_007: Check = {
  id: "SYS-007",
  title: "some host facts could not be read",
  area: "audit",
  severity: "low",
  run(f) {
    const s = sys(f);
    if ("skipped" in s) return s;
    if (s.problems.length === 0) return [];
    return [
      finding(this, {
        evidence: s.problems.join("; "),
        fix: "rerun as root on the host (or add the missing files/saved outputs to the fixture root)",
      }),
    ];
  },
};

export const SYSTEM_CHECKS: readonly Check[] = [SYS_001, SYS_002, SYS_003, SYS_006, SYS_007];
