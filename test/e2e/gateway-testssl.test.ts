// testssl.sh (Debian's 3.0.8) against the devnet's HTTPS gateway: nothing rated NOT ok or VULNERABLE
// except what belongs to the devnet's private CA. Every finding testssl rates above OK/INFO must be in
// ALLOWED with its reason; a new one fails the test.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningDevnet, removeDir, startDevnet, tempDir } from "../helpers/devnet.ts";

interface Finding {
  id: string;
  severity: "OK" | "INFO" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL" | "WARN" | "DEBUG";
  finding: string;
}

/** Findings that are not about the gateway's TLS, and why. */
const ALLOWED: Record<string, string> = {
  cert_chain_of_trust:
    "the devnet's CA is private: no public chain exists (operators bring their own certificate)",
  cert_revocation: "a private devnet CA runs no CRL or OCSP responder",
  DNS_CAArecord: "127.0.0.1 has no DNS name to hold a CAA record",
  engine_problem: "testssl's note on the local openssl (no GOST engine), not on the server",
  // testssl's own s_client closes before a TLS 1.3 ticket arrives now and then (seen flip between runs
  // against the same server); a check that could not run is a WARN, not a rating.
  sessionresumption_ticket: "testssl could not run the check (its s_client race)",
  sessionresumption_ID: "testssl could not run the check (its s_client race)",
};

/** Checks that must have run and passed, so an empty report cannot pass. */
const MUST_PASS = ["LUCKY13", "BEAST", "SWEET32", "ROBOT", "heartbleed", "cipher_order", "PFS", "HSTS_time"];

function testssl(target: string, jsonFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "testssl",
      ["--quiet", "--color", "0", "--warnings", "off", "--jsonfile", jsonFile, target],
      { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      // testssl's exit code counts findings; the JSON file is what is judged.
      (err, stdout) => (err?.killed ? reject(new Error("testssl timed out")) : resolve(stdout)),
    );
  });
}

describe("testssl.sh against the devnet gateway", () => {
  const dir = tempDir();
  let devnet: RunningDevnet;
  let findings: Finding[];
  let text: string;

  before(async () => {
    devnet = await startDevnet({ gateway: true, nodes: 1 });
    const target = new URL(devnet.gateway!.url).host;
    text = await testssl(target, join(dir, "testssl.json"));
    findings = JSON.parse(readFileSync(join(dir, "testssl.json"), "utf8"));
  });

  after(async () => {
    if (devnet) {
      assert.equal(await devnet.stop(), 0);
      removeDir(devnet.dataDir);
    }
    removeDir(dir);
  });

  it("rates nothing NOT ok or VULNERABLE but the private CA's chain and revocation", () => {
    const flagged = findings.filter((f) => !["OK", "INFO", "DEBUG"].includes(f.severity));
    const unexpected = flagged.filter((f) => !(f.id in ALLOWED));
    assert.deepEqual(
      unexpected.map((f) => `${f.severity} ${f.id}: ${f.finding}`),
      [],
      "testssl findings that no reason covers",
    );
    for (const f of flagged.filter((x) => x.severity === "WARN"))
      assert.match(f.id, /^(engine_problem|sessionresumption_)/, `${f.id}: only 'could not check' warnings`);
    const notOk = text
      .split("\n")
      .filter((l) => /NOT ok|\bVULNERABLE\b/.test(l) && !/not vulnerable/i.test(l));
    assert.deepEqual(
      notOk.map((l) => l.trim()),
      [
        "Chain of trust               NOT ok (chain incomplete)",
        "NOT ok -- neither CRL nor OCSP URI provided",
      ],
    );
  });

  it("ran the vulnerability and protocol checks, and they passed", () => {
    for (const id of MUST_PASS) {
      const f = findings.find((x) => x.id === id);
      assert.ok(f, `testssl reported no ${id}`);
      assert.equal(f.severity, "OK", `${id}: ${f.finding}`);
    }
    const offered = (id: string) => findings.find((x) => x.id === id)?.finding ?? "";
    for (const old of ["SSLv2", "SSLv3", "TLS1", "TLS1_1"]) assert.match(offered(old), /not offered/, old);
    assert.match(offered("TLS1_2"), /^offered/);
    assert.match(offered("TLS1_3"), /^offered/);
  });
});
