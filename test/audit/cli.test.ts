import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { BIN } from "../helpers/devnet.ts";
import { materializeHost } from "./helpers.ts";

const require = createRequire(import.meta.url);
const REPORT_SCHEMA = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../docs/audit-report.schema.json"), "utf8"),
);
// The OASIS SARIF 2.1.0 schema as Microsoft's SARIF SDK ships it.
const SARIF_SCHEMA = JSON.parse(
  readFileSync(require.resolve("@microsoft/sarif-multitool-linux/sarif-2.1.0.json"), "utf8"),
);

function audit(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "audit", ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("stinger audit CLI", () => {
  let weak: string;
  let clean: string;
  const configs = [
    "--node-config",
    "/etc/stinger/node.json",
    "--gateway-config",
    "/etc/stinger/gateway.json",
  ];
  before(() => {
    weak = materializeHost("weak");
    clean = materializeHost("clean");
  });
  after(() => {
    rmSync(weak, { recursive: true, force: true });
    rmSync(clean, { recursive: true, force: true });
  });

  test("--json validates against docs/audit-report.schema.json and exits 1 on high findings", () => {
    const r = audit(["--root", weak, ...configs, "--json"]);
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      findings: { severity: string }[];
      summary: Record<string, number>;
    };
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(REPORT_SCHEMA);
    assert.ok(validate(report), JSON.stringify(validate.errors));
    assert.ok(report.findings.length >= 40);
    assert.equal(
      report.summary.critical,
      report.findings.filter((f: { severity: string }) => f.severity === "critical").length,
    );
  });

  test("--sarif validates against the SARIF 2.1.0 schema", () => {
    const r = audit(["--root", weak, ...configs, "--sarif"]);
    assert.equal(r.status, 1, r.stderr);
    const sarif = JSON.parse(r.stdout) as {
      runs: { results: { ruleId: string; level: string }[]; tool: { driver: { rules: { id: string }[] } } }[];
    };
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(SARIF_SCHEMA);
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5)));
    const results = sarif.runs[0].results as { ruleId: string; level: string }[];
    assert.ok(results.some((x) => x.ruleId === "SSH-004" && x.level === "error"));
    const ruleIds = sarif.runs[0].tool.driver.rules.map((x: { id: string }) => x.id);
    for (const x of results) assert.ok(ruleIds.includes(x.ruleId));
  });

  test("the clean host exits 0 under --fail-on low; the weak one fails even --fail-on critical", () => {
    assert.equal(audit(["--root", clean, ...configs, "--fail-on", "low"]).status, 0);
    assert.equal(audit(["--root", weak, ...configs, "--fail-on", "critical"]).status, 1);
  });

  test("the table names findings, fixes and the score, without colours when not on a terminal", () => {
    const r = audit(["--root", weak, ...configs]);
    assert.match(r.stdout, /CRITICAL\s+SSH-004/);
    assert.match(r.stdout, /fix:\s+add "PermitEmptyPasswords no"/);
    assert.match(r.stdout, /score \d+\/100/);
    assert.ok(!r.stdout.includes("\u001b["), "no ANSI escapes when not on a terminal");
  });

  test("on a terminal the table is coloured, and --no-color turns it off", () => {
    // script(1) gives the CLI a pseudo-terminal, as an operator's shell would.
    const onTty = (extra: string) =>
      spawnSync(
        "script",
        ["-qec", `'${process.execPath}' '${BIN}' audit --root '${weak}' ${extra}`, "/dev/null"],
        { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "" } },
      );
    const coloured = onTty("");
    assert.ok(
      new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*mCRITICAL`).test(coloured.stdout),
      coloured.stdout.slice(0, 300),
    );
    const plain = onTty("--no-color");
    assert.match(plain.stdout, /CRITICAL\s+SSH-004/);
    assert.ok(!plain.stdout.includes("\u001b["), "no ANSI escapes with --no-color");
  });

  test("usage and config errors: one line, exit 2", () => {
    const cases = [
      ["--root", "/nonexistent-stinger-root"],
      ["--root", weak, "--fail-on", "severe"],
      ["--root", weak, "--json", "--sarif"],
      ["--root", weak, "--node-config", "/etc/stinger/missing.json"],
      ["--root", weak, "--gateway-config", "/etc/passwd"],
    ];
    for (const args of cases) {
      const r = audit(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^stinger: /);
    }
  });

  test("--help documents the exit codes and the saved-output paths", () => {
    const r = audit(["--help"]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Exit codes: 0 .* 1 .* 2 /s);
    assert.match(r.stdout, /nft-list-ruleset\.json/);
  });

  test("the live host can be audited (as the test user) and always reports its blind spots or judgements", () => {
    const r = audit(["--json"]);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const report = JSON.parse(r.stdout) as { checksRun: number; skipped: unknown[] };
    assert.ok(report.checksRun + report.skipped.length >= 40);
  });
});

describe("stinger audit without root", () => {
  test("as nobody it still reads sshd's real config, and names the firewall as unseen instead of judging it", () => {
    const r = spawnSync(
      "setpriv",
      // CAP_DAC_READ_SEARCH only lets nobody load stinger from wherever the clone lives (e.g. under
      // /root); it grants no netfilter, ptrace or socket rights, which is what the audit must do without.
      [
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        process.execPath,
        BIN,
        "audit",
        "--json",
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      host: { root_privileges: boolean };
      findings: { id: string; evidence: string }[];
      skipped: { id: string; reason: string }[];
      blindSpots: string[];
    };
    assert.equal(report.host.root_privileges, false);
    assert.ok(
      report.blindSpots.some((b) => /firewall \(IPv4\).*(root|permitted)/i.test(b)),
      report.blindSpots.join("|"),
    );
    assert.ok(report.skipped.some((s) => s.id === "FW-001"));
    assert.ok(
      !report.findings.some((f) => f.id === "FW-001"),
      "no false 'no firewall' when it could not look",
    );
    // sshd -T with a throwaway host key: the evidence names the daemon, not stinger's parser.
    assert.ok(
      report.findings.filter((f) => f.id.startsWith("SSH-0")).some((f) => /sshd -T/.test(f.evidence)),
    );
  });
});
