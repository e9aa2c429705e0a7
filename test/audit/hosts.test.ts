import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type AuditReport, runAudit } from "../../src/audit/audit.ts";
import { FixtureHost } from "../../src/audit/host.ts";
import { materializeHost } from "./helpers.ts";

const CONFIGS = { nodeConfig: "/etc/stinger/node.json", gatewayConfig: "/etc/stinger/gateway.json" };

function has(report: AuditReport, id: string, severity: string, evidence?: RegExp): void {
  const hits = report.findings.filter((f) => f.id === id && f.severity === severity);
  assert.ok(
    hits.length > 0 && (!evidence || hits.some((f) => evidence.test(f.evidence))),
    `expected ${id} at ${severity}${evidence ? ` with evidence ${evidence}` : ""}; got ${JSON.stringify(
      report.findings.filter((f) => f.id === id).map((f) => [f.severity, f.evidence]),
    )}`,
  );
}

describe("fixture host 'weak': every planted weakness is found with its id and severity", () => {
  let root: string;
  let report: AuditReport;
  before(async () => {
    root = materializeHost("weak");
    report = await runAudit({ host: new FixtureHost(root), ...CONFIGS });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const planted: [string, string, RegExp?][] = [
    ["SSH-001", "medium", /unbalanced quote.*|Include loop/],
    ["SSH-002", "high", /permitrootlogin yes/],
    ["SSH-003", "high", /50-cloud-init\.conf:1/],
    ["SSH-004", "critical"],
    ["SSH-005", "medium", /Match User deploy.*gatewayports yes/],
    ["SSH-006", "info", /passwordauthentication "no" at \/etc\/ssh\/sshd_config:\d+ is shadowed/],
    ["SSH-007", "low", /maxauthtries 10/],
    ["SSH-008", "low", /logingracetime 0/],
    ["SSH-011", "low", /clientaliveinterval 0/],
    ["SSH-012", "medium", /permittunnel yes/],
    ["SSH-013", "high"],
    ["SSH-014", "medium"],
    ["SSH-015", "medium", /QUIET/],
    ["SSH-016", "low"],
    ["SSH-017", "high", /aes128-cbc.*3des-cbc/],
    ["SSH-019", "high", /diffie-hellman-group1-sha1/],
    ["SSH-020", "medium", /RSA 2048-bit/],
    ["SSH-021", "medium", /9\.2p1-2\+deb12u1 .*chacha20-poly1305/],
    ["SSH-023", "high", /sshd_config: mode 0666/],
    ["SSH-024", "high", /ssh_host_rsa_key: mode 0644/],
    ["NET-001", "medium", /0\.0\.0\.0:6379/],
    ["NET-002", "high", /0\.0\.0\.0:14265/],
    ["NET-002", "high", /\[::\]:8081/],
    ["NET-002", "high", /0\.0\.0\.0:1883/],
    ["NET-005", "critical", /2375/],
    ["NET-006", "info", /15600/],
    ["NET-008", "low", /udp6: 1 malformed line/],
    ["FW-002", "high", /IPv6 default: accept/],
    ["FW-003", "high", /0\.0\.0\.0:14265/],
    ["FW-004", "low", /SSH port 22/],
    ["FW-005", "high", /--dport 6379 -j DNAT/],
    ["FW-007", "medium"],
    ["FW-008", "medium", /gossip tcp\/15600/],
    ["F2B-002", "medium"],
    ["F2B-004", "high", /Have not found any log file for sshd jail/],
    ["F2B-005", "high", /sshd listens on 22,2222/],
    ["F2B-006", "low", /maxretry 10/],
    ["F2B-008", "low"],
    ["SYS-001", "medium"],
    ["SYS-002", "low"],
    ["SYS-003", "critical", /toor/],
    ["SYS-006", "low", /alice,bob/],
    ["STG-001", "high", /coordinator\.keys/],
    ["STG-001", "medium", /identity\.key.*0640/],
    ["STG-002", "high", /db.*0777/],
    ["STG-003", "medium"],
    ["STG-005", "high", /HORNET/],
    ["STG-006", "medium", /restAPI\.bindAddress/],
    ["STG-007", "high"],
    ["STG-008", "high", /gateway\.json: trustedProxies contains 0\.0\.0\.0\/0/],
    ["STG-008", "high", /node\.json: restAPI\.trustedProxies contains ::\/0/],
    ["STG-009", "medium"],
  ];
  for (const [id, severity, evidence] of planted)
    test(`${id} ${severity}${evidence ? ` ${evidence}` : ""}`, () => has(report, id, severity, evidence));

  test("a container published on 127.0.0.1 only is not reported as bypassing the firewall", () => {
    assert.ok(!report.findings.some((f) => f.id === "FW-005" && /5432/.test(f.evidence)));
  });

  test("private-network listeners and DHCP are not reported as exposed", () => {
    assert.ok(!report.findings.some((f) => /10\.1\.2\.3:5432/.test(f.evidence)));
  });

  test("every finding carries evidence and a fix", () => {
    for (const f of report.findings) {
      assert.ok(f.evidence.length > 10, `${f.id} evidence`);
      assert.ok(f.fix.length > 10, `${f.id} fix`);
    }
  });
});

describe("fixture host 'clean'", () => {
  let root: string;
  before(() => {
    root = materializeHost("clean");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test("has no finding above info, nothing skipped and nothing unseen", async () => {
    const report = await runAudit({ host: new FixtureHost(root), ...CONFIGS });
    assert.deepEqual(
      report.findings.filter((f) => f.severity !== "info").map((f) => `${f.id}: ${f.evidence}`),
      [],
    );
    assert.deepEqual(report.blindSpots, []);
    assert.deepEqual(report.skipped, []);
    assert.equal(report.score, 100);
    assert.ok(report.checksRun >= 40, `only ${report.checksRun} checks ran`);
  });

  test("a blind spot is said, never an all clear: without /proc/net the socket checks are skipped", async () => {
    rmSync(join(root, "proc"), { recursive: true });
    const report = await runAudit({ host: new FixtureHost(root), ...CONFIGS });
    assert.ok(report.blindSpots.some((b) => /listening sockets/.test(b)));
    assert.ok(report.skipped.some((s) => s.id === "NET-001"));
  });

  test("a malformed node config is refused with its file named", async () => {
    writeFileSync(join(root, "etc/stinger/node.json"), '{"restAPI": {"bindAddress": 14265}}');
    await assert.rejects(
      runAudit({ host: new FixtureHost(root), ...CONFIGS }),
      /node\.json: restAPI\.bindAddress/,
    );
    writeFileSync(join(root, "etc/stinger/node.json"), "{not json");
    await assert.rejects(runAudit({ host: new FixtureHost(root), ...CONFIGS }), /node\.json: not valid JSON/);
  });
});
