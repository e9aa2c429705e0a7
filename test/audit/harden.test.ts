// The hardener's files, checked by the tools that will read them: nft loads the ruleset in a throwaway
// network namespace, sshd -t/-T reads the drop-in, fail2ban-client -t/-d reads the jails and the filter.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runAudit } from "../../src/audit/audit.ts";
import type { SshdFacts } from "../../src/audit/collectors/sshd.ts";
import {
  buildHardenFiles,
  GATEWAY_FILTER,
  type HardenFile,
  type HardenInput,
  HardenInputError,
  hardenInputFrom,
  parseCidr,
  SSHD_BASELINE,
} from "../../src/audit/harden/index.ts";
import { FixtureHost } from "../../src/audit/host.ts";
import { seen } from "../../src/audit/types.ts";
import { removeDir, tempDir } from "../helpers/devnet.ts";
import {
  fail2banConfig,
  fail2banDump,
  fail2banTest,
  matchOn,
  type NftObject,
  nftCheck,
  nftLoad,
  sshdEffective,
  sshdSetup,
  sshdTest,
  values,
} from "./harden-tools.ts";

const BASE: HardenInput = {
  publicPorts: [
    { port: 443, protocol: "tcp", service: "gateway (HTTPS)" },
    { port: 15600, protocol: "tcp", service: "gossip" },
    { port: 14626, protocol: "udp", service: "autopeering" },
  ],
  sshPorts: [22],
  sshdDirectives: [],
  sshBackend: "systemd",
};

function file(files: HardenFile[], kind: HardenFile["kind"]): HardenFile {
  const f = files.find((x) => x.kind === kind);
  assert.ok(f, kind);
  return f;
}

const dirs: string[] = [];
function dir(): string {
  const d = tempDir("stinger-harden-");
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) removeDir(d);
});

function writeNft(input: HardenInput): string {
  const path = join(dir(), "stinger.nft");
  writeFileSync(path, file(buildHardenFiles(input), "nftables").content);
  return path;
}

function inputRules(ruleset: NftObject[]): Record<string, unknown>[][] {
  return ruleset
    .filter((o) => o.rule?.table === "stinger" && o.rule.chain === "input")
    .map((o) => o.rule!.expr);
}

/** SSH rules: those matching the ssh dport, with the family of their rate-limit meter. */
function sshRules(rules: Record<string, unknown>[][], port: number) {
  return rules
    .filter((expr) => values(matchOn(expr, "tcp", "dport")).includes(port))
    .map((expr) => {
      const update = expr.find((e) => "set" in e)?.set as
        | { op: string; set: string; elem: { payload: { protocol: string } }; stmt: { limit?: unknown }[] }
        | undefined;
      return { expr, update };
    });
}

describe("nftables ruleset", () => {
  it("passes nft -c and loads as one inet table with input policy drop for IPv4 and IPv6", () => {
    const path = writeNft(BASE);
    const check = nftCheck(path);
    assert.equal(check.status, 0, check.out);
    const ruleset = nftLoad(path);
    const chains = ruleset.filter((o) => o.chain?.hook === "input").map((o) => o.chain!);
    // One inet base chain covers both families; nothing else was loaded.
    assert.deepEqual(
      chains.map((c) => [c.family, c.table, c.name, c.policy]),
      [["inet", "stinger", "input", "drop"]],
    );
    const rules = inputRules(ruleset);
    assert.deepEqual(rules.at(-1), [{ counter: { packets: 0, bytes: 0 } }, { drop: null }]);
    assert.ok(
      rules.some(
        (e) =>
          JSON.stringify(e) ===
          '[{"match":{"op":"==","left":{"meta":{"key":"iif"}},"right":"lo"}},{"accept":null}]',
      ),
    );
    const nd = rules.find((e) => values(matchOn(e, "icmpv6", "type")).includes("nd-neighbor-solicit"));
    assert.ok(nd, "neighbour discovery accepted");
    assert.deepEqual(values(matchOn(nd, "icmpv6", "type")).sort(), [
      "nd-neighbor-advert",
      "nd-neighbor-solicit",
      "nd-router-advert",
      "nd-router-solicit",
    ]);
    assert.equal(matchOn(nd, "ip6", "hoplimit"), 255);
    assert.ok(rules.some((e) => values(matchOn(e, "icmpv6", "type")).includes("packet-too-big")));
    assert.ok(rules.some((e) => values(matchOn(e, "icmp", "type")).includes("echo-request")));
  });

  it("accepts exactly the public ports, TCP and UDP separately", () => {
    const rules = inputRules(nftLoad(writeNft(BASE)));
    const accepted = (proto: string) =>
      rules
        .filter((e) => e.some((x) => "accept" in x) && !e.some((x) => "set" in x))
        .flatMap((e) => values(matchOn(e, proto, "dport")))
        .filter((v) => v !== undefined);
    assert.deepEqual(accepted("tcp"), [443, 15600]);
    assert.deepEqual(accepted("udp"), [14626]);
  });

  it("lets SSH in only through a per-source rate limit, for IPv4 and IPv6", () => {
    const rules = inputRules(nftLoad(writeNft({ ...BASE, sshPorts: [2222] })));
    const ssh = sshRules(rules, 2222);
    assert.equal(ssh.length, 2);
    for (const [i, family] of ["ip", "ip6"].entries()) {
      const { update, expr } = ssh[i]!;
      assert.equal(update?.op, "update");
      assert.equal(update?.set, family === "ip" ? "@ssh_meter_v4" : "@ssh_meter_v6");
      assert.equal(update?.elem.payload.protocol, family);
      assert.deepEqual(update?.stmt, [{ limit: { rate: 10, burst: 5, per: "minute" } }]);
      assert.equal(matchOn(expr, family, "saddr"), undefined, "no source restriction asked for");
    }
    // Port 22 is not opened when sshd listens elsewhere.
    assert.equal(sshRules(rules, 22).length, 0);
  });

  it("an SSH port also listed as public is still only rate-limited", () => {
    const input = {
      ...BASE,
      publicPorts: [...BASE.publicPorts, { port: 22, protocol: "tcp" as const, service: "x" }],
    };
    const rules = inputRules(nftLoad(writeNft(input)));
    assert.ok(sshRules(rules, 22).every((r) => r.update !== undefined));
  });

  it("honours sshAllowFrom for IPv4 and IPv6 sources", () => {
    const ruleset = nftLoad(
      writeNft({ ...BASE, sshAllowFrom: ["192.0.2.0/24", "198.51.100.7", "2001:db8::/32"] }),
    );
    const elems = (name: string) => ruleset.find((o) => o.set?.name === name)?.set?.elem;
    assert.deepEqual(elems("ssh_allow_v4"), [{ prefix: { addr: "192.0.2.0", len: 24 } }, "198.51.100.7"]);
    assert.deepEqual(elems("ssh_allow_v6"), [{ prefix: { addr: "2001:db8::", len: 32 } }]);
    const ssh = sshRules(inputRules(ruleset), 22);
    assert.deepEqual(
      ssh.map((r) => [matchOn(r.expr, "ip", "saddr"), matchOn(r.expr, "ip6", "saddr")]),
      [
        ["@ssh_allow_v4", undefined],
        [undefined, "@ssh_allow_v6"],
      ],
    );
  });

  it("with only IPv4 sources allowed, no rule lets SSH in over IPv6", () => {
    const ruleset = nftLoad(writeNft({ ...BASE, sshAllowFrom: ["203.0.113.0/24"] }));
    const ssh = sshRules(inputRules(ruleset), 22);
    assert.equal(ssh.length, 1);
    assert.equal(matchOn(ssh[0]!.expr, "ip", "saddr"), "@ssh_allow_v4");
    assert.equal(
      ruleset.some((o) => o.set?.name === "ssh_allow_v6"),
      false,
    );
  });

  it("re-applying replaces the table instead of doubling it", () => {
    const path = writeNft(BASE);
    const once = nftLoad(path, 1);
    const thrice = nftLoad(path, 3);
    assert.equal(thrice.filter((o) => o.table).length, 1);
    assert.equal(inputRules(thrice).length, inputRules(once).length);
  });
});

describe("sshd drop-in", () => {
  // Debian's main file comes after the Include; the drop-in must win over what it says.
  const MAIN = "PermitRootLogin yes\nPasswordAuthentication yes\nMaxAuthTries 6\nX11Forwarding yes\n";

  it("the baseline passes sshd -t on OpenSSH 9.2 and takes effect over the main file", () => {
    const d = dir();
    const f = file(buildHardenFiles(BASE), "sshd");
    assert.equal(f.installPath, "/etc/ssh/sshd_config.d/00-stinger-hardening.conf");
    const dropin = join(d, "00-stinger-hardening.conf");
    writeFileSync(dropin, f.content);
    const { config, key } = sshdSetup(d, dropin, MAIN);
    const t = sshdTest(config, key);
    assert.equal(t.status, 0, t.out);
    const eff = sshdEffective(config, key);
    const want: Record<string, string> = {
      permitrootlogin: "no",
      passwordauthentication: "no",
      kbdinteractiveauthentication: "no",
      permitemptypasswords: "no",
      maxauthtries: "3",
      logingracetime: "30",
      clientaliveinterval: "300",
      clientalivecountmax: "2",
      disableforwarding: "yes",
      x11forwarding: "yes", // what the main file says; DisableForwarding overrides it at runtime
      loglevel: "VERBOSE",
      hostbasedauthentication: "no",
      ignorerhosts: "yes",
      permituserenvironment: "no",
      ciphers: "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
      macs: "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
    };
    for (const [k, v] of Object.entries(want)) assert.equal(eff.get(k), v, k);
    assert.equal(
      eff.get("kexalgorithms"),
      SSHD_BASELINE.find((l) => l.startsWith("KexAlgorithms"))!.split(" ")[1],
    );
  });

  it("uses the findings' directives instead of the baseline, first value per keyword", () => {
    const d = dir();
    const input = {
      ...BASE,
      sshdDirectives: [
        "MaxAuthTries 2",
        "maxauthtries 6",
        "PermitRootLogin prohibit-password",
        "MaxAuthTries=5",
      ],
    };
    const content = file(buildHardenFiles(input), "sshd").content;
    const settings = content.split("\n").filter((l) => l && !l.startsWith("#"));
    assert.deepEqual(settings, ["MaxAuthTries 2", "PermitRootLogin prohibit-password"]);
    const dropin = join(d, "00-stinger-hardening.conf");
    writeFileSync(dropin, content);
    const { config, key } = sshdSetup(d, dropin, MAIN);
    assert.equal(sshdTest(config, key).status, 0);
    const eff = sshdEffective(config, key);
    assert.equal(eff.get("maxauthtries"), "2");
    assert.equal(eff.get("permitrootlogin"), "without-password");
    // Nothing beyond the findings' fixes: the main file's value stands.
    assert.equal(eff.get("passwordauthentication"), "yes");
  });

  it("sshd -t really rejects a bad drop-in (the check above can fail)", () => {
    const d = dir();
    const dropin = join(d, "bad.conf");
    writeFileSync(dropin, "Ciphers aes128-cbc-nope\n");
    const { config, key } = sshdSetup(d, dropin);
    assert.notEqual(sshdTest(config, key).status, 0);
  });

  it("refuses directives that are not plain settings", () => {
    for (const bad of [
      "Match User x",
      "Include /tmp/x.conf",
      "PermitRootLogin no\nPermitRootLogin yes",
      "# c",
    ])
      assert.throws(() => buildHardenFiles({ ...BASE, sshdDirectives: [bad] }), HardenInputError, bad);
  });
});

describe("fail2ban jails and filter", () => {
  function setup(input: HardenInput) {
    const d = dir();
    const log = join(d, "gateway.log");
    writeFileSync(log, "");
    const files = buildHardenFiles({ ...input, gatewayAccessLog: log });
    const conf = fail2banConfig(d, {
      jail: file(files, "fail2ban-jail").content,
      filter: file(files, "fail2ban-filter").content,
    });
    return { conf, log, files };
  }

  it("pass fail2ban-client -t and resolve to the sshd and gateway jails asked for", () => {
    const { conf, log, files } = setup({ ...BASE, sshPorts: [22, 2222] });
    assert.equal(file(files, "fail2ban-jail").installPath, "/etc/fail2ban/jail.d/stinger.local");
    assert.equal(file(files, "fail2ban-filter").installPath, "/etc/fail2ban/filter.d/stinger-gateway.conf");
    const t = fail2banTest(conf);
    assert.equal(t.status, 0, t.out);
    const dump = fail2banDump(conf);
    for (const line of [
      "['add', 'sshd', 'systemd']",
      "['set', 'sshd', 'maxretry', 5]",
      "['set', 'sshd', 'findtime', '10m']",
      "['set', 'sshd', 'bantime', '1h']",
      "['set', 'sshd', 'bantime.increment', True]",
      "['set', 'sshd', 'addaction', 'nftables-multiport']",
      "['add', 'stinger-gateway', 'auto']",
      `['set', 'stinger-gateway', 'addlogpath', '${log}', 'head']`,
      "['set', 'stinger-gateway', 'addaction', 'nftables-multiport']",
    ])
      assert.ok(dump.includes(line), line);
    const action = (jail: string) =>
      dump.find((l) => l.startsWith(`['multi-set', '${jail}', 'action', 'nftables-multiport'`)) ?? "";
    assert.match(action("sshd"), /'port', '22,2222'/);
    assert.match(action("stinger-gateway"), /'port', 'http,https'/);
    // The journal backend reads no file, so a host without /var/log/auth.log still gets a working jail.
    assert.equal(
      dump.some((l) => l.startsWith("['set', 'sshd', 'addlogpath'")),
      false,
    );
    assert.ok(
      dump.includes("['set', 'sshd', 'addjournalmatch', '_SYSTEMD_UNIT=sshd.service', '+', '_COMM=sshd']"),
    );
  });

  it("a gateway on a non-standard port is banned on that port too; backend auto reads the auth log", () => {
    const d = dir();
    const authLog = join(d, "auth.log");
    writeFileSync(authLog, "");
    const { conf } = setup({
      ...BASE,
      publicPorts: [{ port: 8443, protocol: "tcp", service: "gateway" }],
      sshBackend: "auto",
      sshLogPath: authLog,
    });
    assert.equal(fail2banTest(conf).status, 0);
    const dump = fail2banDump(conf);
    assert.ok(dump.includes("['add', 'sshd', 'auto']"));
    assert.ok(dump.includes(`['set', 'sshd', 'addlogpath', '${authLog}', 'head']`));
    assert.match(
      dump.find((l) => l.startsWith("['multi-set', 'stinger-gateway', 'action'")) ?? "",
      /'port', 'http,https,8443'/,
    );
  });

  it("fail2ban-client -t really fails when the gateway log is missing (the check above can fail)", () => {
    const { conf, log } = setup(BASE);
    const jail = join(conf, "jail.d", "stinger.local");
    writeFileSync(jail, readFileSync(jail, "utf8").replace(log, `${log}.missing`));
    assert.notEqual(fail2banTest(conf).status, 0);
  });

  it("the filter is the one shipped in deploy/fail2ban, byte for byte", () => {
    const shipped = new URL("../../deploy/fail2ban/filter.d/stinger-gateway.conf", import.meta.url);
    assert.equal(GATEWAY_FILTER, readFileSync(shipped, "utf8"));
  });
});

describe("hardener input from an audit report", () => {
  async function reportFor(root: string) {
    const host = new FixtureHost(root);
    return { host, report: await runAudit({ host }) };
  }

  it("takes ssh ports from sshd, public ports de-duplicated, findings' directives first-wins", async () => {
    const root = dir();
    const { host, report } = await reportFor(root);
    report.facts.sshd = seen({ ports: [2222, 22, 2222] } as unknown as SshdFacts, "test");
    report.facts.deployment.publicPorts = [
      { port: 443, protocol: "tcp", service: "gateway" },
      { port: 443, protocol: "tcp", service: "gateway again" },
      { port: 443, protocol: "udp", service: "quic" },
      { port: 0, protocol: "tcp", service: "ephemeral" },
    ];
    const finding = { title: "t", severity: "high" as const, evidence: "e", fix: "f", area: "ssh" as const };
    report.findings = [
      { ...finding, id: "SSH-002", sshdDirectives: ["PermitRootLogin no"] },
      { ...finding, id: "SSH-007", sshdDirectives: ["MaxAuthTries 3", "permitrootlogin prohibit-password"] },
      { ...finding, id: "NET-001" },
    ];
    const input = await hardenInputFrom(report, host, { sshAllowFrom: ["2001:db8::1"] });
    assert.deepEqual(input, {
      publicPorts: [
        { port: 443, protocol: "tcp", service: "gateway" },
        { port: 443, protocol: "udp", service: "quic" },
      ],
      sshPorts: [22, 2222],
      sshdDirectives: ["PermitRootLogin no", "MaxAuthTries 3"],
      sshBackend: "systemd",
      sshAllowFrom: ["2001:db8::1"],
    });
  });

  it("falls back to port 22 when sshd is unseen, and to a file backend when the host has auth.log", async () => {
    const root = dir();
    mkdirSync(join(root, "var/log"), { recursive: true });
    writeFileSync(join(root, "var/log/auth.log"), "");
    const { host, report } = await reportFor(root);
    assert.equal(report.facts.sshd.ok, false);
    const input = await hardenInputFrom(report, host, { gatewayAccessLog: "/srv/gw.log" });
    assert.deepEqual(input.sshPorts, [22]);
    assert.equal(input.sshBackend, "auto");
    assert.equal(input.sshLogPath, "/var/log/auth.log");
    assert.equal(input.gatewayAccessLog, "/srv/gw.log");
    assert.deepEqual(input.sshdDirectives, []);
    // Defaults when no config was named: the gateway's HTTPS port and gossip.
    assert.deepEqual(
      input.publicPorts.map((p) => `${p.port}/${p.protocol}`),
      ["443/tcp", "15600/tcp"],
    );
  });

  it("parses CIDRs strictly", () => {
    assert.deepEqual(parseCidr("10.0.0.0/8"), { family: 4, text: "10.0.0.0/8" });
    assert.deepEqual(parseCidr("2001:db8::/32"), { family: 6, text: "2001:db8::/32" });
    assert.deepEqual(parseCidr("::ffff:192.0.2.0/120"), { family: 6, text: "::ffff:192.0.2.0/120" });
    assert.deepEqual(parseCidr("192.0.2.9/32"), { family: 4, text: "192.0.2.9" });
    for (const bad of [
      "10.0.0.1/8",
      "2001:db8::1/32",
      "10.0.0.0/33",
      "::/129",
      "300.0.0.0/8",
      "host",
      "",
      "fe80::1%eth0",
    ])
      assert.throws(() => parseCidr(bad), HardenInputError, bad);
  });
});
