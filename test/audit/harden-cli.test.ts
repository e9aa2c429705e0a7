// `stinger harden` end to end: printing, --out without clobbering, and --apply only when confirmed,
// validated with the real tools and confined to --root.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { BIN, removeDir, tempDir } from "../helpers/devnet.ts";

function run(...args: string[]) {
  // stdin from /dev/null: never a TTY, as in CI and cron.
  return spawnSync(process.execPath, [BIN, "harden", ...args], {
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Every file under dir (relative path → content), to prove what a run did or did not write. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

function oneLineError(r: ReturnType<typeof run>, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^stinger: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

const INSTALLED = [
  "etc/nftables.d/stinger.nft",
  "etc/ssh/sshd_config.d/00-stinger-hardening.conf",
  "etc/fail2ban/jail.d/stinger.local",
  "etc/fail2ban/filter.d/stinger-gateway.conf",
];

describe("stinger harden", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir("stinger-harden-cli-");
    dirs.push(d);
    return d;
  };
  /** A host root with the gateway's log (fail2ban refuses a jail whose log is missing) and a config. */
  const hostRoot = () => {
    const root = dir();
    mkdirSync(join(root, "var/log/stinger"), { recursive: true });
    writeFileSync(join(root, "var/log/stinger/gateway.log"), "");
    mkdirSync(join(root, "etc/stinger"), { recursive: true });
    writeFileSync(
      join(root, "etc/stinger/gateway.json"),
      JSON.stringify({
        bindAddress: "0.0.0.0:8443",
        adminBindAddress: "127.0.0.1:9312",
        upstreams: ["http://127.0.0.1:14265"],
      }),
    );
    return root;
  };

  before(() => {
    // sshd -t as root needs its privilege separation directory, which systemd would create.
    mkdirSync("/run/sshd", { recursive: true });
  });
  after(() => {
    for (const d of dirs) removeDir(d);
  });

  it("--help exits 0", () => {
    const r = run("--help");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: stinger harden/m);
    assert.match(r.stdout, /--apply/);
  });

  it("prints every file under an install-path header, built from the deployment's configs", () => {
    const root = hostRoot();
    const r = run(
      "--root",
      root,
      "--gateway-config",
      "/etc/stinger/gateway.json",
      "--ssh-allow-from",
      "192.0.2.0/24,2001:db8::/48",
    );
    assert.equal(r.status, 0, r.stderr);
    const headers = [...r.stdout.matchAll(/^# ==> (\S+) <==$/gm)].map((m) => m[1]);
    assert.deepEqual(
      headers,
      INSTALLED.map((p) => `/${p}`),
    );
    assert.match(r.stdout, /tcp dport \{ 8443, 15600 \} accept/);
    assert.match(r.stdout, /elements = \{ 192\.0\.2\.0\/24 \}/);
    assert.match(r.stdout, /elements = \{ 2001:db8::\/48 \}/);
    assert.match(r.stdout, /^port\s+= http,https,8443$/m);
    // Printing writes nothing into the host root.
    assert.deepEqual(Object.keys(tree(root)).sort(), [
      "etc/stinger/gateway.json",
      "var/log/stinger/gateway.log",
    ]);
  });

  it("bad input is one line and exit 2", () => {
    oneLineError(run("--ssh-allow-from", "10.0.0.1/8"), /host bits/);
    oneLineError(run("--ssh-allow-from", "not-an-ip"), /not an IPv4\/IPv6 address or CIDR/);
    oneLineError(
      run("--root", dir(), "--gateway-config", "/etc/stinger/nope.json"),
      /nope\.json: cannot read/,
    );
    oneLineError(run("--root", "/nonexistent-stinger-root"), /not a directory/);
    oneLineError(run("--gateway-access-log", "relative.log"), /absolute path/);
  });

  it("--out writes the files with their modes, and refuses to clobber a different file", () => {
    const out = dir();
    const first = run("--out", out);
    assert.equal(first.status, 0, first.stderr);
    const names = [
      "nftables/stinger.nft",
      "ssh/sshd_config.d/00-stinger-hardening.conf",
      "fail2ban/jail.d/stinger.local",
      "fail2ban/filter.d/stinger-gateway.conf",
    ];
    assert.deepEqual(Object.keys(tree(out)).sort(), [...names].sort());
    assert.deepEqual(
      names.map((n) => statSync(join(out, n)).mode & 0o777),
      [0o600, 0o600, 0o644, 0o644],
    );
    // Same content again: nothing to refuse.
    assert.equal(run("--out", out).status, 0);
    const nft = join(out, "nftables/stinger.nft");
    writeFileSync(nft, "# edited by hand\n");
    oneLineError(
      run("--out", out, "--ssh-allow-from", "192.0.2.0/24"),
      /stinger\.nft exists and differs.*--force/,
    );
    assert.equal(readFileSync(nft, "utf8"), "# edited by hand\n");
    // Nothing else was rewritten either (the allow-list would show in no file).
    assert.doesNotMatch(JSON.stringify(tree(out)), /192\.0\.2\.0/);
    const forced = run("--out", out, "--force", "--ssh-allow-from", "192.0.2.0/24");
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(readFileSync(nft, "utf8"), /elements = \{ 192\.0\.2\.0\/24 \}/);
  });

  it("--apply without --yes and without a terminal refuses with exit 2 and writes nothing", () => {
    const root = hostRoot();
    const before = tree(root);
    oneLineError(run("--apply", "--root", root), /confirmation.*--yes/);
    assert.deepEqual(tree(root), before);
  });

  it("--apply on a terminal writes only after the operator types yes", () => {
    // script(1) gives the CLI a pseudo-terminal and types our answer into it.
    const onTty = (root: string, answer: string) =>
      spawnSync(
        "script",
        ["-qec", `'${process.execPath}' '${BIN}' harden --apply --root '${root}'`, "/dev/null"],
        {
          encoding: "utf8",
          input: `${answer}\n`,
          timeout: 60_000,
        },
      );
    const declined = hostRoot();
    const before = tree(declined);
    const no = onTty(declined, "no");
    assert.equal(no.status, 2, no.stdout);
    assert.match(no.stdout, /type "yes" to continue/);
    assert.match(no.stdout, /stinger: not confirmed; nothing was written/);
    assert.deepEqual(tree(declined), before);

    const accepted = hostRoot();
    const yes = onTty(accepted, "yes");
    assert.equal(yes.status, 0, yes.stdout);
    for (const p of INSTALLED) assert.ok(tree(accepted)[p], p);
  });

  it("--apply --yes --root writes the validated files into the root, backing up what was there", () => {
    const root = hostRoot();
    const dropin = join(root, "etc/ssh/sshd_config.d/00-stinger-hardening.conf");
    mkdirSync(join(root, "etc/ssh/sshd_config.d"), { recursive: true });
    writeFileSync(dropin, "PermitRootLogin yes\n", { mode: 0o644 });
    const r = run("--apply", "--yes", "--root", root, "--gateway-config", "/etc/stinger/gateway.json");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /nothing on this host was loaded or reloaded/);
    const t = tree(root);
    for (const p of INSTALLED) assert.ok(t[p], p);
    assert.equal(t["etc/ssh/sshd_config.d/00-stinger-hardening.conf.stinger-bak"], "PermitRootLogin yes\n");
    assert.equal(statSync(`${dropin}.stinger-bak`).mode & 0o777, 0o644);
    assert.equal(statSync(dropin).mode & 0o777, 0o600);
    assert.match(t["etc/ssh/sshd_config.d/00-stinger-hardening.conf"]!, /^PermitRootLogin no$/m);
    assert.match(t["etc/nftables.d/stinger.nft"]!, /tcp dport \{ 8443, 15600 \} accept/);
    assert.match(t["etc/fail2ban/jail.d/stinger.local"]!, /^logpath\s+= \/var\/log\/stinger\/gateway\.log$/m);

    // Applying the same files again changes nothing and keeps the one backup (the original).
    const again = run("--apply", "--yes", "--root", root, "--gateway-config", "/etc/stinger/gateway.json");
    assert.equal(again.status, 0, again.stderr);
    assert.equal((again.stdout.match(/^unchanged /gm) ?? []).length, 4);
    assert.deepEqual(tree(root), t);
  });

  it("--apply writes nothing when a tool rejects a file (fail2ban: the gateway log does not exist)", () => {
    const root = hostRoot();
    const before = tree(root);
    const r = run("--apply", "--yes", "--root", root, "--gateway-access-log", "/var/log/stinger/missing.log");
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^stinger: fail2ban jail: fail2ban-client .* failed: Failed during configuration: Have not found any log file for stinger-gateway/m,
    );
    assert.deepEqual(tree(root), before);
  });
});
