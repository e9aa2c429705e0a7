// scripts/system-tools.mjs, `npm test`'s first step, on a machine that plays one without the tools
// (STINGER_TOOLS_PATH points at an empty folder): without root it stops at once with one line naming
// what is missing and the apt-get command; as root it plans one apt-get install of their packages.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { removeDir, tempDir } from "../helpers/devnet.ts";

const STEP = new URL("../../scripts/system-tools.mjs", import.meta.url).pathname;
const PACKAGES = ["redis-server", "fail2ban", "openssh-server", "nftables", "iptables", "openssl"];

function step(args: string[], env: NodeJS.ProcessEnv, asNobody = false) {
  // Dropping root the way a normal user runs it: setpriv from util-linux, uid/gid 65534 (nobody).
  const [cmd, argv] = asNobody
    ? ["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, STEP, ...args]]
    : [process.execPath, [STEP, ...args]];
  return spawnSync(cmd, argv as string[], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe("npm test's system-tools step", () => {
  const empty = tempDir();

  it("finds every tool on this machine (the suite below needs them)", () => {
    const r = step([], {});
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^system-tools: all \d+ tools the tests use are installed\n$/);
  });

  it("without root: exit 2 with one line naming the missing tools and the apt-get command", () => {
    const r = step([], { STINGER_TOOLS_PATH: empty }, process.getuid?.() === 0);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^system-tools: missing openssl, redis-server, .*sshd.*nft.*iptables-save/);
    assert.match(
      lines[0]!,
      /sudo apt-get update && sudo apt-get install -y --no-install-recommends openssl redis-server fail2ban /,
    );
    for (const pkg of PACKAGES) assert.ok(lines[0]!.includes(` ${pkg}`), `${pkg} not named`);
  });

  it("as root: one line per package it would install, then one apt-get update and install", {
    skip: process.getuid?.() !== 0 ? "needs root" : false,
  }, () => {
    const r = step(["--dry-run"], { STINGER_TOOLS_PATH: empty });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    for (const pkg of PACKAGES)
      assert.equal(lines.filter((l) => l.startsWith(`system-tools: would install ${pkg} (`)).length, 1, pkg);
    assert.match(
      lines.at(-1)!,
      /^system-tools: would run: apt-get update && apt-get install -y --no-install-recommends openssl redis-server /,
    );
  });

  it("--list names a package and a reason for every tool", () => {
    const r = step(["--list"], {});
    assert.equal(r.status, 0);
    for (const line of r.stdout.trimEnd().split("\n")) assert.match(line, /^\S+ \S+: .+/);
    removeDir(empty);
  });
});
