#!/usr/bin/env node
// `npm test`'s first step (pretest): makes sure the system tools the tests run are on this machine.
// Missing ones are installed with apt-get when we are root on Debian/Ubuntu (one line per package);
// otherwise the step stops at once with one line naming what is missing and the command that fixes it.
//
//   node scripts/system-tools.mjs             check, install what is missing (root) or say how (exit 2)
//   node scripts/system-tools.mjs --dry-run   print what it would install, change nothing
//   node scripts/system-tools.mjs --list      print the table below as "command package: why"
//
// STINGER_TOOLS_PATH replaces where commands are looked for (default: $PATH plus the sbin folders), so a
// test can play a machine on which none of them is installed.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Each command a test runs, the Debian package that has it, and which tests need it. */
const TOOLS = [
  { command: "openssl", pkg: "openssl", why: "TLS tests make certificates with the openssl CLI" },
  { command: "redis-server", pkg: "redis-server", why: "shared rate limits between gateways" },
  { command: "fail2ban-client", pkg: "fail2ban", why: "harden: jails checked with fail2ban-client -t" },
  { command: "fail2ban-regex", pkg: "fail2ban", why: "the gateway's fail2ban filter against its log" },
  { command: "sshd", pkg: "openssh-server", why: "audit/harden: sshd -T and sshd -t" },
  { command: "ssh-keygen", pkg: "openssh-client", why: "audit/harden: throwaway host keys" },
  { command: "nft", pkg: "nftables", why: "firewall tests in network namespaces" },
  { command: "iptables-save", pkg: "iptables", why: "firewall tests (iptables back ends)" },
  { command: "iptables-legacy-save", pkg: "iptables", why: "firewall tests (legacy back end)" },
  { command: "ip", pkg: "iproute2", why: "kernel-ban test: two network namespaces joined by veth" },
  { command: "unshare", pkg: "util-linux", why: "throwaway network namespaces" },
  { command: "testssl", pkg: "testssl.sh", why: "the devnet gateway's TLS rated by testssl.sh" },
  { command: "slowhttptest", pkg: "slowhttptest", why: "slow-header/-body/-read attacks on the gateway" },
  { command: "haproxy", pkg: "haproxy", why: "the gateway's HAProxy engine (--engine haproxy, haproxy -c)" },
  {
    command: "systemd-analyze",
    pkg: "systemd",
    why: "systemd-analyze verify and security of deploy/systemd",
  },
  { command: "nsenter", pkg: "util-linux", why: "nft inside the ban helper's network namespace" },
  { command: "script", pkg: "bsdutils", why: "log-format test: stinger on a pseudo-terminal" },
  { command: "chromium", pkg: "chromium", why: "dashboard tests in headless Chromium (playwright-core)" },
];

const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

function searchPath() {
  const custom = process.env.STINGER_TOOLS_PATH;
  if (custom !== undefined) return custom.split(delimiter).filter(Boolean);
  return [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SBIN];
}

function found(command, dirs) {
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function missingTools(dirs = searchPath()) {
  return TOOLS.filter((t) => !found(t.command, dirs));
}

function isDebian() {
  return existsSync("/etc/debian_version") && found("apt-get", searchPathForApt());
}

// apt-get itself is looked up on the real PATH: STINGER_TOOLS_PATH only hides the tools under test.
function searchPathForApt() {
  return [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SBIN, "/usr/bin", "/bin"];
}

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  if (r.status !== 0) {
    const err = (r.stderr?.toString() ?? "").trim().split("\n").slice(-3).join(" / ");
    console.error(`system-tools: ${cmd} ${args.join(" ")} failed (exit ${r.status}): ${err}`);
    process.exit(1);
  }
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes("--help")) {
    console.log("usage: node scripts/system-tools.mjs [--dry-run | --list]");
    return;
  }
  if (args.includes("--list")) {
    for (const t of TOOLS) console.log(`${t.command} ${t.pkg}: ${t.why}`);
    return;
  }
  const missing = missingTools();
  if (missing.length === 0) {
    console.log(`system-tools: all ${TOOLS.length} tools the tests use are installed`);
    return;
  }
  const packages = [...new Set(missing.map((t) => t.pkg))];
  const install = `apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  const root = process.getuid?.() === 0;
  if (!root || !isDebian()) {
    const how = isDebian()
      ? `sudo apt-get update && sudo ${install}`
      : `install the packages ${packages.join(", ")}`;
    console.error(`system-tools: missing ${missing.map((t) => t.command).join(", ")}; ${how}`);
    process.exit(2);
  }
  const dryRun = args.includes("--dry-run");
  for (const pkg of packages) {
    const cmds = missing.filter((t) => t.pkg === pkg);
    console.log(
      `system-tools: ${dryRun ? "would install" : "installing"} ${pkg} (${cmds.map((t) => t.command).join(", ")}: ${cmds[0].why})`,
    );
  }
  if (dryRun) {
    console.log(`system-tools: would run: apt-get update && ${install}`);
    return;
  }
  // Packages only: their daemons (redis, sshd, fail2ban) must not start on this host. policy-rc.d is
  // Debian's switch for that (invoke-rc.d asks it); 101 = "action forbidden".
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    run("apt-get", ["update", "-qq"], env);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], env);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  const still = missingTools();
  if (still.length > 0) {
    console.error(`system-tools: still missing after apt-get: ${still.map((t) => t.command).join(", ")}`);
    process.exit(1);
  }
  console.log(`system-tools: installed ${packages.join(", ")}`);
}

main();
