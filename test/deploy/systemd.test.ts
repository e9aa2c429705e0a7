// The systemd units in deploy/systemd: valid for systemd-analyze verify, scored by systemd-analyze
// security, and judged by stinger audit (STG-014) as installed, and once a hardening line is lost.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runAudit } from "../../src/audit/audit.ts";
import { UNIT_CHECKS } from "../../src/audit/checks/units.ts";
import { FixtureHost } from "../../src/audit/host.ts";
import { BIN } from "../helpers/devnet.ts";

const DEPLOY = new URL("../../deploy/systemd/", import.meta.url).pathname;
const UNITS = ["stinger-node.service", "stinger-gateway.service", "stinger-ban-helper.service"];

test("every shipped unit passes systemd-analyze verify and scores OK with systemd-analyze security", () => {
  const dir = mkdtempSync(join(tmpdir(), "stinger-units-"));
  try {
    for (const name of UNITS) {
      // verify wants ExecStart's program to exist: the repository's bin instead of the install path.
      const file = join(dir, name);
      writeFileSync(file, readFileSync(join(DEPLOY, name), "utf8").replaceAll("/usr/local/bin/stinger", BIN));
      const verify = spawnSync("systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8" });
      assert.equal(verify.status, 0, `${name}: ${verify.stderr}`);
      assert.equal(verify.stderr.trim(), "", `${name}: ${verify.stderr}`);
      const security = spawnSync("systemd-analyze", ["security", "--offline=yes", file], {
        encoding: "utf8",
      });
      const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1]);
      console.log(`${name}: systemd-analyze security exposure ${score}`);
      // systemd calls up to 2.5 "OK"; 10 is an unconfined service.
      assert.ok(score <= 2.5, `${name}: exposure ${score}\n${security.stdout.slice(-500)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stinger audit passes the shipped units and reports one that lost its hardening", async () => {
  const root = mkdtempSync(join(tmpdir(), "stinger-units-audit-"));
  try {
    const units = join(root, "etc/systemd/system");
    mkdirSync(units, { recursive: true });
    for (const name of UNITS) writeFileSync(join(units, name), readFileSync(join(DEPLOY, name)));
    const sound = await runAudit({ host: new FixtureHost(root), checks: UNIT_CHECKS });
    assert.deepEqual(sound.findings, []);
    assert.deepEqual(sound.skipped, []);
    const weakened = readFileSync(join(DEPLOY, "stinger-node.service"), "utf8")
      .replace(/^ProtectSystem=strict$/m, "ProtectSystem=full")
      .replace(/^NoNewPrivileges=yes$/m, "")
      .replace(/^User=stinger$/m, "User=root");
    writeFileSync(join(units, "stinger-node.service"), weakened);
    const weak = await runAudit({ host: new FixtureHost(root), checks: UNIT_CHECKS });
    assert.equal(weak.findings.length, 1, JSON.stringify(weak.findings));
    const f = weak.findings[0]!;
    assert.equal(f.id, "STG-014");
    assert.equal(f.severity, "high");
    assert.match(
      f.evidence,
      /stinger-node\.service: NoNewPrivileges is not set, ProtectSystem is "full", runs as root/,
    );
    assert.match(f.fix, /NoNewPrivileges=yes; ProtectSystem=strict; User=stinger/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
