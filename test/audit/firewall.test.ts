// Firewall collector + FW-* checks on saved outputs. The saved nft/iptables outputs were produced by the real
// tools from the source/ rule sets next to them (test/fixtures/audit/generate-firewall.sh).
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { test } from "node:test";
import {
  collectFirewall,
  type FirewallFacts,
  isSkeletonNftablesConf,
  parseIptablesSave,
  parseNftJson,
  portAccess,
} from "../../src/audit/collectors/firewall.ts";
import { FixtureHost } from "../../src/audit/host.ts";
import { firewallFacts, runFirewallChecks } from "./helpers/netns.ts";

const FIX = join(import.meta.dirname, "../fixtures/audit");

async function collect(dir: string): Promise<FirewallFacts> {
  const r = await collectFirewall(new FixtureHost(isAbsolute(dir) ? dir : join(FIX, dir)));
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r.value;
}

const ids = (fs: { id: string }[]) => fs.map((f) => f.id).sort();

test("clean host: inet default drop, 443/15600 open, SSH rate-limited, persistent → no FW finding", async () => {
  const fw = await collect("hosts/clean");
  for (const v of [fw.v4!, fw.v6!]) {
    assert.equal(v.defaultVerdict, "drop");
    assert.equal(portAccess(v, "tcp", 443)?.access, "anyone");
    assert.equal(portAccess(v, "tcp", 15600)?.access, "anyone");
    assert.equal(portAccess(v, "tcp", 22)?.access, "anyone");
    assert.equal(portAccess(v, "tcp", 22)?.rateLimited, true);
    assert.equal(portAccess(v, "tcp", 14265)?.access, "blocked");
    assert.equal(portAccess(v, "udp", 53)?.access, "blocked");
    assert.deepEqual(v.inputChains, ["nftables inet filter input"]);
  }
  assert.equal(fw.persistence.persistent, true);
  assert.deepEqual(
    fw.managers.map((m) => m.name),
    ["nftables"],
  );
  assert.equal(fw.sources["iptables-save"].status, "absent");
  const { findings, skipped } = runFirewallChecks(
    firewallFacts(seenOk(fw), {
      sockets: [
        { port: 443 },
        { port: 15600, family: 6, address: "::" },
        { port: 22 },
        { port: 14265, address: "127.0.0.1" },
      ],
    }),
  );
  assert.deepEqual(ids(findings), []);
  assert.deepEqual([...skipped.keys()], []);
});

function seenOk(fw: FirewallFacts) {
  return { ok: true as const, value: fw, source: "test" };
}

test("v4 DROP + v6 ACCEPT (iptables): FW-002 for IPv6 only, with the ip6tables policy line and a mirroring fix", async () => {
  const fw = await collect("firewall/v4drop-v6accept");
  assert.equal(fw.v4?.defaultVerdict, "drop");
  assert.equal(fw.v6?.defaultVerdict, "accept");
  assert.equal(portAccess(fw.v4!, "tcp", 22)?.rateLimited, true);
  const { findings } = runFirewallChecks(firewallFacts(seenOk(fw)));
  const fw2 = findings.filter((f) => f.id === "FW-002");
  assert.equal(fw2.length, 1);
  assert.equal(fw2[0]!.severity, "high");
  assert.match(fw2[0]!.title, /IPv6/);
  assert.match(fw2[0]!.evidence, /ip6tables-save\.txt \(saved output\): :INPUT ACCEPT \[0:0\]/);
  assert.match(fw2[0]!.fix, /^ip6tables -A INPUT -p tcp --dport 443 -j ACCEPT$/m);
  assert.match(fw2[0]!.fix, /^ip6tables -P INPUT DROP$/m);
  assert.ok(!findings.some((f) => f.id === "FW-001"));
  // SSH over IPv6 is open to anyone by the accept policy and has no limit there.
  assert.ok(findings.some((f) => f.id === "FW-004" && /IPv6/.test(f.title)));
  assert.ok(!findings.some((f) => f.id === "FW-004" && /IPv4/.test(f.title)));
});

test("legacy + nf_tables split: FW-006 names both back ends; legacy rules count in the IPv4 verdict", async () => {
  const fw = await collect("firewall/legacy-split");
  assert.equal(fw.backendInUse["iptables-legacy"], true);
  assert.equal(fw.backendInUse.nftables, true);
  // 8080 is accepted by legacy but dropped by the nft inet chain: drop is final.
  assert.equal(portAccess(fw.v4!, "tcp", 8080)?.access, "blocked");
  assert.ok(fw.v4!.inputChains.includes("iptables-legacy ip filter INPUT"));
  const { findings } = runFirewallChecks(firewallFacts(seenOk(fw)));
  const f6 = findings.find((f) => f.id === "FW-006");
  assert.ok(f6, "FW-006 expected");
  assert.equal(f6.severity, "medium");
  assert.match(
    f6.evidence,
    /iptables-legacy: .*iptables-legacy-save\.txt.*-A INPUT -s 203\.0\.113\.0\/24 -j DROP/,
  );
  assert.match(f6.evidence, /nftables: nft: table inet filter/);
  assert.match(f6.fix, /iptables-restore-translate/);
});

test("Debian skeleton /etc/nftables.conf with a hand-loaded drop rule set: FW-007", async () => {
  const fw = await collect("firewall/debian-skeleton");
  assert.equal(fw.persistence.persistent, false);
  const { findings } = runFirewallChecks(firewallFacts(seenOk(fw)));
  assert.deepEqual(ids(findings), ["FW-007"]);
  assert.match(findings[0]!.evidence, /nftables\.conf: Debian's empty accept-all skeleton/);
  assert.match(findings[0]!.fix, /nft list ruleset; \} > \/etc\/nftables\.conf && systemctl enable nftables/);
});

test("skeleton detection: Debian's file is empty, a drop policy or a rule is not", () => {
  const skeleton =
    "#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n}\n";
  assert.equal(isSkeletonNftablesConf(skeleton), true);
  assert.equal(
    isSkeletonNftablesConf(skeleton.replace("priority filter;", "priority filter; policy drop;")),
    false,
  );
  assert.equal(isSkeletonNftablesConf(skeleton.replace("\t}\n}", '\t\tiifname "lo" accept\n\t}\n}')), false);
  assert.equal(isSkeletonNftablesConf('include "/etc/nftables.d/*.nft"\n'), false);
});

test("ufw: files read (ENABLED=no, DROP), ufw chains followed, recent-based LIMIT counts as a rate limit", async () => {
  const fw = await collect("firewall/ufw");
  assert.equal(fw.ufw.installed, true);
  assert.equal(fw.ufw.enabled, false);
  assert.equal(fw.ufw.defaultInputPolicy, "DROP");
  assert.deepEqual(
    fw.managers.map((m) => m.name),
    ["ufw"],
  );
  for (const v of [fw.v4!, fw.v6!]) {
    assert.equal(v.defaultVerdict, "drop");
    const ssh = portAccess(v, "tcp", 22)!;
    assert.equal(ssh.access, "anyone");
    assert.equal(ssh.rateLimited, true);
    assert.match(ssh.evidence[0]!.text, /-A ufw-user-limit-accept -j ACCEPT/);
    const rest = portAccess(v, "tcp", 14265)!;
    assert.equal(rest.access, "restricted");
    assert.deepEqual(rest.sources, [v.family === 4 ? "-s 10.8.0.0/24" : "-s fd00:8::/64"]);
  }
  const { findings } = runFirewallChecks(firewallFacts(seenOk(fw), { sockets: [{ port: 14265 }] }));
  // Loaded now but ENABLED=no: gone after a reboot. Nothing else is wrong.
  assert.deepEqual(ids(findings), ["FW-007"]);
  assert.match(findings[0]!.evidence, /ufw\.conf: ENABLED=no/);
  assert.match(findings[0]!.fix, /ufw enable/);
});

test("weak host (iptables only, no nft): FW-002 v6, FW-003 high for REST 14265, FW-004 for SSH, FW-007", async () => {
  const fw = await collect("hosts/weak");
  assert.equal(fw.sources.nft.status, "absent");
  assert.match((fw.sources.nft as { reason: string }).reason, /nft not available on that host/);
  const { findings } = runFirewallChecks(
    firewallFacts(seenOk(fw), {
      sockets: [
        { port: 22 },
        { port: 14265, family: 6, address: "::" },
        { port: 9311, address: "127.0.0.1" },
      ],
    }),
  );
  const rest = findings.filter((f) => f.id === "FW-003");
  assert.deepEqual(rest.map((f) => [f.severity, /IPv(\d)/.exec(f.title)?.[1]]).sort(), [
    ["high", "4"],
    ["high", "6"],
  ]);
  const v4 = rest.find((f) => /IPv4/.test(f.title))!;
  assert.match(
    v4.evidence,
    /iptables-save\.txt \(saved output\): -A INPUT -p tcp -m tcp --dport 14265 -j ACCEPT/,
  );
  assert.match(v4.fix, /^iptables -D INPUT -p tcp -m tcp --dport 14265 -j ACCEPT$/m);
  assert.ok(findings.some((f) => f.id === "FW-002" && /IPv6/.test(f.title)));
  assert.equal(findings.filter((f) => f.id === "FW-004").length, 2);
  assert.ok(findings.some((f) => f.id === "FW-007"));
  assert.ok(!findings.some((f) => f.id === "FW-001" || f.id === "FW-006"));
  // 443 and 15600 are dropped by the IPv4 policy while the deployment needs them public.
  const f8 = findings.filter((f) => f.id === "FW-008");
  assert.deepEqual(f8.map((f) => f.title).sort(), [
    "gateway (HTTPS) (tcp/443) is blocked over IPv4",
    "gossip (tcp/15600) is blocked over IPv4",
  ]);
  assert.match(f8[0]!.evidence, /:INPUT DROP \[0:0\]/);
  assert.match(f8[0]!.fix, /^iptables -I INPUT -p tcp --dport (443|15600) -j ACCEPT$/);
});

test("malformed nft JSON and a truncated iptables-save: precise reasons, no throw, nothing judged", async () => {
  const root = await mkdtemp(join(tmpdir(), "stinger-fw-bad-"));
  await mkdir(join(root, "commands"));
  await cp(
    join(FIX, "firewall/malformed/commands/iptables-save.txt"),
    join(root, "commands/iptables-save.txt"),
  );
  const json = await readFile(join(FIX, "hosts/clean/commands/nft-list-ruleset.json"), "utf8");
  await writeFile(join(root, "commands/nft-list-ruleset.json"), json.slice(0, 700));
  const r = await collectFirewall(new FixtureHost(root));
  // Nothing usable was read, so the whole area is a blind spot with both reasons in it.
  assert.equal(r.ok, false);
  const reason = (r as { reason: string }).reason;
  assert.match(reason, /nft-list-ruleset\.json \(saved output\): not valid JSON .*truncated output\?/);
  assert.match(
    reason,
    /iptables-save\.txt \(saved output\): table \*filter has no COMMIT \(truncated output\?\); its rules were not used/,
  );
  const { findings, skipped } = runFirewallChecks(firewallFacts(r));
  assert.deepEqual(findings, []);
  assert.equal(skipped.size, 7);
  assert.match(skipped.get("FW-001")!, /not valid JSON/);
});

test("a truncated save next to readable files: the family is unseen with the reason, the rest is judged", async () => {
  const root = await mkdtemp(join(tmpdir(), "stinger-fw-trunc-"));
  await mkdir(join(root, "commands"));
  await cp(
    join(FIX, "firewall/malformed/commands/iptables-save.txt"),
    join(root, "commands/iptables-save.txt"),
  );
  await cp(join(FIX, "hosts/weak/commands/ip6tables-save.txt"), join(root, "commands/ip6tables-save.txt"));
  const fw = await collect(root);
  assert.equal(fw.v4, null);
  assert.match(fw.unseenReason.v4!, /IPv4 rules could not be read: .*table \*filter has no COMMIT/);
  assert.equal(fw.v6?.defaultVerdict, "accept");
  const { findings } = runFirewallChecks(firewallFacts(seenOk(fw)));
  // IPv6 accepts everything and IPv4 is unknown: reported as no firewall for what was seen, with the gap named.
  const f1 = findings.find((f) => f.id === "FW-001");
  assert.ok(f1);
  assert.match(f1.evidence, /IPv4 rules could not be read/);
});

test("an empty fixture root: the collector says nothing could be seen, checks skip", async () => {
  const r = await collectFirewall(new FixtureHost(await mkdtemp(join(tmpdir(), "stinger-fw-empty-"))));
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /nft not available on that host/);
  const { findings, skipped } = runFirewallChecks(firewallFacts(r));
  assert.deepEqual(findings, []);
  assert.equal(skipped.size, 7);
});

test("parsers never throw on junk; nft errors say what is wrong", () => {
  assert.throws(() => parseNftJson('{"nftables": [', "x"), /not valid JSON/);
  assert.throws(() => parseNftJson('{"rules": []}', "x"), /expected \{"nftables": \[\.\.\.\]\}/);
  const p = parseIptablesSave("garbage\n*filter\n:INPUT DROP\n-A NOPE -j ACCEPT\n", 4, "f", "iptables-nft");
  assert.deepEqual(p.problems, ["f:1: line outside a table: garbage", "f:4: rule for undeclared chain NOPE"]);
  assert.match(p.truncated!, /\*filter has no COMMIT/);
});
