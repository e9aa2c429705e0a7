import type { Host } from "../host.ts";
import { type Collected, seen } from "../types.ts";

export interface SystemFacts {
  /** Accounts other than root with UID 0. */
  extraUid0: string[];
  dockerGroupMembers: string[];
  /** Packages installed according to dpkg (only the ones the checks ask about). */
  packages: { unattendedUpgrades: boolean | null; fail2ban: boolean | null };
  /** dpkg's version of openssh-server, e.g. "1:9.2p1-2+deb12u3" (null: not installed or unknown). */
  opensshServerVersion: string | null;
  /** APT::Periodic::Unattended-Upgrade as apt-config reports it (null: unknown). */
  unattendedUpgradeSetting: string | null;
  updateSettingSource: string;
  rebootRequired: boolean;
  container: string | null;
  problems: string[];
}

/**
 * Installed packages from dpkg's status file (package → version, null when the stanza has none).
 * One pass over the file, which holds a stanza for every package ever installed.
 */
function installedPackages(status: string): Map<string, string | null> {
  const installed = new Map<string, string | null>();
  for (const block of status.split(/\n\n+/)) {
    const name = /^Package: (\S+)$/m.exec(block)?.[1];
    if (!name || !/^Status: install ok installed$/m.test(block)) continue;
    installed.set(name, /^Version: (.+)$/m.exec(block)?.[1]?.trim() ?? null);
  }
  return installed;
}

/** Account, package and update facts: /etc/passwd, /etc/group, dpkg status, apt-config. */
export async function collectSystem(host: Host): Promise<Collected<SystemFacts>> {
  const problems: string[] = [];
  const passwd = await host.readText("/etc/passwd");
  const extraUid0: string[] = [];
  if (passwd.ok) {
    for (const line of passwd.text.split("\n")) {
      const cols = line.split(":");
      if (cols.length >= 4 && cols[2] === "0" && cols[0] !== "root") extraUid0.push(cols[0]!);
    }
  } else problems.push(`${host.display("/etc/passwd")}: ${passwd.reason}`);

  const group = await host.readText("/etc/group");
  const docker = group.ok ? group.text.split("\n").find((l) => l.startsWith("docker:")) : undefined;
  const dockerGroupMembers = docker ? (docker.split(":")[3] ?? "").split(",").filter(Boolean) : [];

  const status = await host.readText("/var/lib/dpkg/status");
  if (!status.ok)
    problems.push(`${host.display("/var/lib/dpkg/status")}: ${status.reason} (package state unknown)`);
  const installed = status.ok ? installedPackages(status.text) : null;
  const packages = {
    unattendedUpgrades: installed ? installed.has("unattended-upgrades") : null,
    fail2ban: installed ? installed.has("fail2ban") : null,
  };

  let unattendedUpgradeSetting: string | null = null;
  let updateSettingSource = "apt-config dump";
  const apt = await host.run("apt-config", ["dump"], "apt-config-dump.txt");
  if (apt.ok) {
    updateSettingSource = apt.source;
    const m = /^APT::Periodic::Unattended-Upgrade "([^"]*)";/m.exec(apt.stdout);
    unattendedUpgradeSetting = m ? m[1]! : "0";
  } else problems.push(`unattended upgrades: ${apt.reason}`);

  let container: string | null = null;
  if (await host.exists("/.dockerenv")) container = "docker";
  else if (await host.exists("/run/.containerenv")) container = "podman";

  return seen(
    {
      extraUid0,
      dockerGroupMembers,
      packages,
      opensshServerVersion: installed?.get("openssh-server") ?? null,
      unattendedUpgradeSetting,
      updateSettingSource,
      rebootRequired: await host.exists("/var/run/reboot-required"),
      container,
      problems,
    },
    "/etc/passwd, /etc/group, dpkg status, apt-config",
  );
}
