// The firewall audit against the real tools: rule sets are loaded into a throwaway network namespace, the real
// `nft -j list ruleset` / `iptables-save` / `iptables-legacy-save` outputs are captured there, and the audit
// reads them. Where a finding's fix is a command, it is run in a fresh namespace with the same rules and the
// finding must go away. Needs root and nftables + iptables (CI installs both); the host's rules are untouched.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { collectFirewall, type FirewallFacts, portAccess } from "../../src/audit/collectors/firewall.ts";
import { buildNftables } from "../../src/audit/harden/nftables.ts";
import { FixtureHost } from "../../src/audit/host.ts";
import { gatewayConfigSchema } from "../../src/config/gateway.ts";
import {
  captureInNetns,
  firewallFacts,
  fixCommands,
  type NetnsRules,
  runFirewallChecks,
} from "./helpers/netns.ts";

const FIX = join(import.meta.dirname, "../fixtures/audit");

async function audit(
  rules: NetnsRules,
  opts: { afterLoad?: string[]; sockets?: NonNullable<Parameters<typeof firewallFacts>[1]>["sockets"] } = {},
) {
  const root = await captureInNetns(rules, { afterLoad: opts.afterLoad });
  const r = await collectFirewall(new FixtureHost(root));
  assert.ok(r.ok, r.ok ? "" : r.reason);
  const fw: FirewallFacts = r.value;
  return { fw, ...runFirewallChecks(firewallFacts(r, { sockets: opts.sockets })) };
}

const NFT_BASE = (extra: string) => `table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iifname "lo" accept
    ct state established,related accept
    tcp dport { 443, 15600 } accept
    tcp dport 22 ct state new limit rate 10/minute accept
${extra}
  }
}
`;

test("real nft: the clean host's rule set passes every check but FW-007 (a bare capture has no /etc/nftables.conf)", async () => {
  const nft = await readFile(join(FIX, "hosts/clean/source/ruleset.nft"), "utf8");
  const { fw, findings } = await audit(
    { nft },
    { sockets: [{ port: 443 }, { port: 15600, family: 6, address: "::" }, { port: 22 }] },
  );
  assert.equal(fw.sources.nft.status, "seen");
  assert.equal(fw.v4?.defaultVerdict, "drop");
  assert.equal(fw.v6?.defaultVerdict, "drop");
  // Only persistence is unknown for a namespace (no /etc/nftables.conf in the capture root).
  assert.deepEqual(
    findings.map((f) => f.id),
    ["FW-007"],
  );
});

test("real iptables: v4 DROP + v6 ACCEPT → FW-002 (IPv6); its ip6tables fix, run for real, clears it", async () => {
  const rules = {
    iptables: await readFile(join(FIX, "firewall/v4drop-v6accept/source/rules.v4"), "utf8"),
    ip6tables: await readFile(join(FIX, "firewall/v4drop-v6accept/source/rules.v6"), "utf8"),
  };
  const before = await audit(rules);
  const f2 = before.findings.filter((f) => f.id === "FW-002");
  assert.equal(f2.length, 1);
  assert.match(f2[0]!.evidence, /ip6tables-save\.txt \(saved output\): :INPUT ACCEPT \[0:0\]/);
  const cmds = fixCommands(f2[0]!.fix);
  assert.ok(cmds.includes("ip6tables -P INPUT DROP"));
  const after = await audit(rules, { afterLoad: cmds });
  assert.equal(after.fw.v6?.defaultVerdict, "drop");
  assert.equal(portAccess(after.fw.v6!, "tcp", 443)?.access, "anyone");
  assert.equal(portAccess(after.fw.v6!, "tcp", 15600)?.access, "anyone");
  assert.ok(!after.findings.some((f) => f.id === "FW-002"));
});

test("real nft: REST 14265 open to all → FW-003 high; `nft delete rule … handle N` clears it", async () => {
  const rules = { nft: NFT_BASE("    tcp dport 14265 accept") };
  const sockets = [{ port: 14265 }];
  const before = await audit(rules, { sockets });
  const f3 = before.findings.filter((f) => f.id === "FW-003");
  assert.equal(f3.length, 1);
  assert.equal(f3[0]!.severity, "high");
  assert.match(
    f3[0]!.evidence,
    /nft-list-ruleset\.json \(saved output\): tcp dport 14265 accept \[inet filter input handle \d+\]/,
  );
  const cmds = fixCommands(f3[0]!.fix);
  assert.equal(cmds.length, 1);
  assert.match(cmds[0]!, /^nft delete rule inet filter input handle \d+$/);
  const after = await audit(rules, { sockets, afterLoad: cmds });
  assert.equal(portAccess(after.fw.v4!, "tcp", 14265)?.access, "blocked");
  assert.ok(!after.findings.some((f) => f.id === "FW-003"));
});

test("real nft: SSH without a limit → FW-004 per family; the inserted limit-over-drop rule clears it", async () => {
  const rules = { nft: NFT_BASE("").replace(" ct state new limit rate 10/minute", "") };
  const before = await audit(rules);
  const f4 = before.findings.filter((f) => f.id === "FW-004");
  assert.equal(f4.length, 2);
  const cmds = fixCommands(f4[0]!.fix).filter((c) => c.includes("limit rate over"));
  assert.deepEqual(cmds, [
    "nft insert rule inet filter input tcp dport 22 ct state new limit rate over 10/minute drop",
  ]);
  const after = await audit(rules, { afterLoad: cmds });
  assert.equal(portAccess(after.fw.v4!, "tcp", 22)?.rateLimited, true);
  assert.equal(portAccess(after.fw.v4!, "tcp", 22)?.access, "anyone");
  assert.ok(!after.findings.some((f) => f.id === "FW-004"));
});

test("real nft: gossip 15600 not allowed → FW-008; the insert fix opens it", async () => {
  const rules = { nft: NFT_BASE("").replace("{ 443, 15600 }", "443") };
  const before = await audit(rules);
  const f8 = before.findings.filter((f) => f.id === "FW-008");
  assert.deepEqual(
    f8.map((f) => f.title),
    ["gossip (tcp/15600) is blocked over IPv4"],
  );
  assert.match(f8[0]!.evidence, /policy drop/);
  const after = await audit(rules, { afterLoad: fixCommands(f8[0]!.fix) });
  assert.equal(portAccess(after.fw.v4!, "tcp", 15600)?.access, "anyone");
  assert.ok(!after.findings.some((f) => f.id === "FW-008"));
});

test("real legacy + nf_tables: FW-006, and the legacy INPUT chain takes part in the IPv4 verdict", async () => {
  const { fw, findings } = await audit({
    nft: await readFile(join(FIX, "firewall/legacy-split/source/ruleset.nft"), "utf8"),
    iptablesLegacy: await readFile(join(FIX, "firewall/legacy-split/source/rules.legacy.v4"), "utf8"),
  });
  assert.equal(fw.backendInUse["iptables-legacy"], true);
  assert.ok(fw.v4!.inputChains.includes("iptables-legacy ip filter INPUT"));
  assert.ok(findings.some((f) => f.id === "FW-006"));
});

test("real nft: no rules at all → FW-001 with the baseline nft rule set as fix", async () => {
  const { findings } = await audit({
    nft: "table inet filter {\n  chain input {\n    type filter hook input priority filter;\n  }\n}\n",
  });
  const f1 = findings.find((f) => f.id === "FW-001");
  assert.ok(f1);
  assert.match(f1.evidence, /policy accept/);
  assert.match(f1.fix, /type filter hook input priority filter; policy drop;/);
  assert.ok(!findings.some((f) => f.id === "FW-002" || f.id === "FW-007"));
});

test("real nft: a gateway with kernelBan needs the ban sets loaded → FW-009; the harden table clears it", async () => {
  const gateway = {
    file: "/etc/stinger/gateway.json",
    config: gatewayConfigSchema.parse({
      upstreams: ["http://127.0.0.1:14265"],
      kernelBan: { enabled: true },
    }),
  };
  const judge = async (nft: string) => {
    const r = await collectFirewall(new FixtureHost(await captureInNetns({ nft })));
    const facts = firewallFacts(r);
    return runFirewallChecks({ ...facts, deployment: { ...facts.deployment, gateway } }).findings.filter(
      (f) => f.id === "FW-009",
    );
  };
  const without = await judge(NFT_BASE(""));
  assert.equal(without.length, 1);
  assert.match(without[0]!.evidence, /no input chain drops packets from @gateway_ban_v4 or @gateway_ban_v6/);
  assert.match(without[0]!.fix, /stinger ban-helper --socket \/run\/stinger\/ban\.sock/);
  const hardened = buildNftables({
    publicPorts: [{ port: 443, protocol: "tcp", service: "gateway (HTTPS)" }],
    sshPorts: [22],
    sshdDirectives: [],
    sshBackend: "auto",
  });
  assert.deepEqual(await judge(hardened), []);
  // Only the IPv4 rule loaded: still a finding, naming the IPv6 set.
  const v4only = hardened.replace(/^.*ip6 saddr @gateway_ban_v6.*$/m, "");
  const half = await judge(v4only);
  assert.equal(half.length, 1);
  assert.match(half[0]!.evidence, /from @gateway_ban_v6 \(/);
});
