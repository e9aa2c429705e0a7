import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parsePublicKey } from "../../src/audit/collectors/files.ts";
import { collectSshd, first, parseSshdT } from "../../src/audit/collectors/sshd.ts";
import {
  effectiveConfig,
  matchApplies,
  parseSshdConfig,
  tokenize,
} from "../../src/audit/collectors/sshd-parser.ts";
import { FixtureHost, LiveHost } from "../../src/audit/host.ts";

describe("sshd_config tokenizer", () => {
  test("keyword and value separated by spaces, tabs or one '='", () => {
    assert.deepEqual(tokenize("PermitRootLogin no"), ["PermitRootLogin", "no"]);
    assert.deepEqual(tokenize("\tMaxAuthTries=3"), ["MaxAuthTries", "3"]);
    assert.deepEqual(tokenize("MaxAuthTries = 3 # trailing comment"), ["MaxAuthTries", "3"]);
    assert.deepEqual(tokenize("Subsystem\tsftp\t/usr/lib/openssh/sftp-server"), [
      "Subsystem",
      "sftp",
      "/usr/lib/openssh/sftp-server",
    ]);
  });
  test("quotes group words; an unbalanced quote is reported, comments are empty", () => {
    assert.deepEqual(tokenize('Banner "/etc/issue net"'), ["Banner", "/etc/issue net"]);
    assert.equal(tokenize('MaxSessions "20'), null);
    assert.deepEqual(tokenize("   # just a comment"), []);
    assert.deepEqual(tokenize(""), []);
  });
  test("Match criteria: users, negation, CIDR addresses", () => {
    assert.ok(matchApplies("User deploy,ops", { user: "ops" }));
    assert.ok(!matchApplies("User deploy", { user: "other" }));
    assert.ok(
      matchApplies("User !root,*", { user: "alice" }) || true === matchApplies("User *", { user: "alice" }),
    );
    assert.ok(matchApplies("Address 10.0.0.0/8", { addr: "10.9.8.7" }));
    assert.ok(!matchApplies("Address 10.0.0.0/8", { addr: "192.168.1.1" }));
    assert.ok(!matchApplies("Address 10.0.0.0/8", { addr: "none" }));
    assert.ok(!matchApplies("Group admins", { user: "alice" }), "groups cannot be resolved offline");
  });
});

/** A folder standing in for / with an /etc/ssh tree. */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "stinger-sshd-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("sshd_config parser semantics", () => {
  test("Include expands in place, drop-ins sort lexically, the first value wins", async () => {
    const root = fakeRoot({
      "etc/ssh/sshd_config": "Include sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin no\n",
      "etc/ssh/sshd_config.d/20-late.conf": "PasswordAuthentication no\nMaxAuthTries 5\n",
      "etc/ssh/sshd_config.d/10-early.conf": "passwordauthentication YES\nLoginGraceTime 2m\n",
      "etc/ssh/sshd_config.d/README": "PermitRootLogin yes\n",
    });
    try {
      const parsed = await parseSshdConfig(new FixtureHost(root));
      assert.ok(!("error" in parsed));
      const { config, provenance } = effectiveConfig(parsed);
      assert.equal(first(config, "passwordauthentication"), "yes");
      assert.deepEqual(provenance.get("passwordauthentication"), {
        file: "/etc/ssh/sshd_config.d/10-early.conf",
        line: 1,
      });
      assert.equal(first(config, "logingracetime"), "120", "2m is printed in seconds, as sshd -T does");
      assert.equal(first(config, "permitrootlogin"), "no", "files not matching *.conf are not included");
      assert.equal(first(config, "maxauthtries"), "5");
    } finally {
      rmSync(root, { recursive: true });
    }
  });

  test("Include loops and missing files are reported, not followed forever", async () => {
    const root = fakeRoot({
      "etc/ssh/sshd_config": "Include /etc/ssh/a.conf\nInclude /etc/ssh/none-*.conf\n",
      "etc/ssh/a.conf": "Include /etc/ssh/b.conf\nX11Forwarding yes\n",
      "etc/ssh/b.conf": "Include /etc/ssh/a.conf\n",
    });
    try {
      const parsed = await parseSshdConfig(new FixtureHost(root));
      assert.ok(!("error" in parsed));
      assert.ok(
        parsed.problems.some((p) => /Include loop back to .*a\.conf/.test(p)),
        parsed.problems.join("|"),
      );
      assert.equal(first(effectiveConfig(parsed).config, "x11forwarding"), "yes");
    } finally {
      rmSync(root, { recursive: true });
    }
  });

  test("algorithm lists edited with + - ^ are resolved against the defaults", async () => {
    const root = fakeRoot({
      "etc/ssh/sshd_config":
        "Ciphers +aes128-cbc\nMACs -hmac-sha1*,umac-64*\nKexAlgorithms ^diffie-hellman-group14-sha1\n",
    });
    try {
      const parsed = await parseSshdConfig(new FixtureHost(root));
      assert.ok(!("error" in parsed));
      const { config } = effectiveConfig(parsed);
      assert.match(first(config, "ciphers")!, /aes256-gcm@openssh\.com,aes128-cbc$/);
      assert.doesNotMatch(first(config, "macs")!, /sha1|umac-64/);
      assert.match(first(config, "kexalgorithms")!, /^diffie-hellman-group14-sha1,sntrup761/);
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});

// The real daemon: `sshd -T` on test configs, and stinger's parser must agree with it.
describe("sshd -T (OpenSSH, real binary)", () => {
  let dir: string;
  let key: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "stinger-sshd-real-"));
    key = join(dir, "hostkey");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    // As root, sshd -T insists on its privilege-separation directory (systemd creates it at boot).
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const CONFIGS: Record<string, string> = {
    debianish: `Include ${"DIR"}/d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\n`,
    tricky: `pErMiTrOoTlOgIn prohibit-password\nMaxAuthTries=4\nLoginGraceTime 1m30s\nCiphers +aes128-cbc\nBanner "/etc/issue.net"\nPort 2222\nPort 22\nMatch User deploy\n  PasswordAuthentication yes\n  PermitRootLogin yes\n`,
    clientalive:
      "ClientAliveInterval 5m\nClientAliveCountMax 0\nMACs -umac-64*,hmac-sha1\nLogLevel verbose\n",
  };
  const KEYWORDS = [
    "port",
    "permitrootlogin",
    "passwordauthentication",
    "kbdinteractiveauthentication",
    "usepam",
    "maxauthtries",
    "logingracetime",
    "clientaliveinterval",
    "clientalivecountmax",
    "x11forwarding",
    "ciphers",
    "macs",
    "kexalgorithms",
    "loglevel",
    "banner",
  ];

  for (const [name, template] of Object.entries(CONFIGS)) {
    test(`parser agrees with sshd -T on the "${name}" config`, async () => {
      const main = join(dir, `${name}.conf`);
      mkdirSync(join(dir, "d"), { recursive: true });
      writeFileSync(join(dir, "d", "10-pw.conf"), "PasswordAuthentication no\n");
      writeFileSync(main, template.replaceAll("DIR", dir));
      const real = await collectSshd(new LiveHost(), { configPath: main });
      assert.ok(real.ok, real.ok ? "" : real.reason);
      assert.equal(real.value.method, "sshd -T");
      const parsed = await parseSshdConfig(new LiveHost(), main);
      assert.ok(!("error" in parsed));
      const mine = effectiveConfig(parsed, {
        user: "stinger-audit-nobody",
        host: "none",
        addr: "none",
      }).config;
      for (const k of KEYWORDS)
        assert.deepEqual(
          mine.get(k),
          real.value.config.get(k),
          `${k}: parser ${mine.get(k)} vs sshd -T ${real.value.config.get(k)}`,
        );
    });
  }

  test("Match blocks: sshd -T -C per condition shows what a Match user gets", async () => {
    const main = join(dir, "match.conf");
    writeFileSync(main, CONFIGS.tricky!);
    const r = await collectSshd(new LiveHost(), { configPath: main });
    assert.ok(r.ok);
    assert.equal(first(r.value.config, "passwordauthentication"), "yes");
    assert.equal(first(r.value.config, "permitrootlogin"), "without-password");
    const deploy = r.value.matches.find((m) => m.criteria === "User deploy");
    assert.ok(deploy, "the Match User deploy block was evaluated");
    assert.equal(first(deploy.config, "permitrootlogin"), "yes");
    assert.deepEqual(r.value.ports, [2222, 22]);
  });

  test("a config sshd refuses is reported with its line, and the parser still gives settings", async () => {
    const main = join(dir, "bad.conf");
    writeFileSync(main, "PermitRootLogin no\nNoSuchOption yes\n");
    const r = await collectSshd(new LiveHost(), { configPath: main });
    assert.ok(r.ok);
    assert.equal(r.value.method, "parser");
    assert.match(r.value.configError ?? "", /line 2: Bad configuration option: NoSuchOption/);
    assert.equal(first(r.value.config, "permitrootlogin"), "no");
  });

  test("host key types and RSA sizes read from .pub files agree with ssh-keygen -l", () => {
    for (const [type, bits] of [
      ["rsa", 2048],
      ["rsa", 3072],
      ["rsa", 4095],
      ["ed25519", undefined],
      ["ecdsa", undefined],
    ] as const) {
      const path = join(dir, `k-${type}-${bits ?? "default"}`);
      execFileSync("ssh-keygen", [
        "-q",
        "-t",
        type,
        ...(bits ? ["-b", String(bits)] : []),
        "-N",
        "",
        "-f",
        path,
      ]);
      const parsed = parsePublicKey(readFileSync(`${path}.pub`, "utf8"));
      // "3072 SHA256:... comment (RSA)": ssh-keygen's own reading of the same file.
      const listed = execFileSync("ssh-keygen", ["-l", "-f", `${path}.pub`], { encoding: "utf8" });
      const size = Number(listed.trim().split(/\s+/)[0]);
      assert.ok(parsed, `${type}: parsed`);
      if (type === "rsa") assert.equal(parsed.bits, size, `${type} -b ${bits}: ${listed}`);
      else assert.equal(parsed.bits, null);
      assert.match(listed, type === "rsa" ? /\(RSA\)/ : type === "ecdsa" ? /\(ECDSA\)/ : /\(ED25519\)/);
    }
    assert.equal(parsePublicKey("garbage"), null);
  });

  test("parseSshdT reads repeated keywords in order", () => {
    const c = parseSshdT("port 22\nport 2222\nacceptenv LANG\nacceptenv LC_*\npermitrootlogin no\n");
    assert.deepEqual(c.get("port"), ["22", "2222"]);
    assert.deepEqual(c.get("acceptenv"), ["LANG", "LC_*"]);
  });
});
