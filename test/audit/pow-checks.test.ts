// The remote-PoW audit checks on fixture hosts: a weak setting is found with its evidence and fix, a
// sound one is silent, and a node without remote PoW has nothing to judge.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runAudit } from "../../src/audit/audit.ts";
import { POW_CHECKS } from "../../src/audit/checks/pow.ts";
import { FixtureHost } from "../../src/audit/host.ts";
import { recommendPow } from "../../src/node/pow/benchmark.ts";

/** A fixture root with the two configs, `cores` CPUs in /proc/cpuinfo and a saved PoW measurement. */
async function audit(opts: { cores: number; rate: number; node: object; gateway?: object }) {
  const root = mkdtempSync(join(tmpdir(), "stinger-pow-audit-"));
  try {
    mkdirSync(join(root, "etc/stinger"), { recursive: true });
    mkdirSync(join(root, "proc"), { recursive: true });
    mkdirSync(join(root, "commands"), { recursive: true });
    writeFileSync(
      join(root, "proc/cpuinfo"),
      Array.from({ length: opts.cores }, (_, i) => `processor\t: ${i}\nmodel name\t: test\n`).join("\n"),
    );
    writeFileSync(
      join(root, "commands/stinger-pow-benchmark"),
      JSON.stringify(recommendPow({ cores: opts.cores, rates: [opts.rate], score: 4000, messageSize: 300 })),
    );
    writeFileSync(join(root, "etc/stinger/node.json"), JSON.stringify(opts.node));
    if (opts.gateway) writeFileSync(join(root, "etc/stinger/gateway.json"), JSON.stringify(opts.gateway));
    const report = await runAudit({
      host: new FixtureHost(root),
      nodeConfig: "/etc/stinger/node.json",
      ...(opts.gateway ? { gatewayConfig: "/etc/stinger/gateway.json" } : {}),
      checks: POW_CHECKS,
    });
    return report;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test("weak remote-PoW settings are each found, with evidence and the keys to change", async () => {
  const report = await audit({
    cores: 2,
    rate: 1000,
    node: {
      protocol: { minPoWScore: 4000 },
      restAPI: { bindAddress: "0.0.0.0:14265", powEnabled: true, powWorkerCount: 2, pow: { maxQueue: 100 } },
    },
    gateway: {
      upstreams: ["http://127.0.0.1:14265"],
      rateLimit: { submitCost: 5, powSubmitCost: 5, maxPowSubmitsPerClient: 4 },
    },
  });
  const by = (id: string) => report.findings.filter((f) => f.id === id);
  assert.match(by("STG-010")[0]!.evidence, /powWorkerCount 2 on a host with 2 core\(s\)/);
  assert.match(by("STG-010")[0]!.fix, /"powWorkerCount": 1/);
  // 1,594,323 hashes at 1,000 hashes/s: 26 minutes a job, so not even one job fits in the 2 min timeout.
  assert.match(by("STG-011")[0]!.evidence, /maxQueue 100; one job .* takes ~\d+ ms on 2 worker/);
  assert.match(by("STG-011")[0]!.fix, /"maxQueue": 0/);
  assert.match(by("STG-012")[0]!.fix, /"bindAddress": "127\.0\.0\.1:14265"/);
  const stg13 = by("STG-013");
  assert.equal(stg13.length, 3, JSON.stringify(stg13));
  assert.match(stg13[0]!.evidence, /powSubmitCost 5 is no more than a plain submit's 5/);
  assert.match(stg13[1]!.evidence, /one client may submit 20\.0 remote-PoW jobs a second/);
  assert.equal(stg13[2]!.severity, "low");
  assert.deepEqual(report.skipped, []);
});

test("a sound setting is silent, and a node without remote PoW has nothing to judge", async () => {
  const sound = await audit({
    cores: 4,
    rate: 3_000_000,
    node: {
      protocol: { minPoWScore: 4000 },
      restAPI: { powEnabled: true, powWorkerCount: 3, pow: { maxQueue: 32, maxJobsPerClient: 2 } },
    },
    gateway: {
      upstreams: ["http://127.0.0.1:14265"],
      rateLimit: { capacity: 400, refillPerSecond: 100, powSubmitCost: 200, maxPowSubmitsPerClient: 2 },
    },
  });
  assert.deepEqual(sound.findings, []);
  assert.deepEqual(sound.skipped, []);
  const off = await audit({ cores: 1, rate: 1000, node: { restAPI: { powEnabled: false } } });
  assert.deepEqual(off.findings, []);
});

test("the recommendation follows the figures, and says do not enable when nothing can be spared", () => {
  const b = recommendPow({ cores: 4, rates: [2e6, 4e6, 6e6, 7e6], score: 4000, messageSize: 300 });
  assert.equal(b.sustainable.workers, 3);
  assert.equal(b.sustainable.hashesPerSecond, 6e6, "the measured rate of cores - 1 workers");
  assert.equal(b.expectedHashes, 3 ** b.targetZeros);
  assert.equal(b.sustainable.expectedMs, Math.round((b.expectedHashes / 6e6) * 1000));
  assert.equal(b.recommendation.enable, true);
  assert.equal(b.recommendation["restAPI.powWorkerCount"], 3);
  assert.equal(
    b.recommendation["restAPI.pow.maxQueue"],
    Math.min(256, Math.floor(120_000 / Math.ceil((b.expectedHashes / 6e6) * 1000)) - 1),
  );
  const single = recommendPow({ cores: 1, rates: [2e6], score: 4000, messageSize: 300 });
  assert.equal(single.recommendation.enable, false);
  assert.match(single.recommendation.reason, /^do not enable: this host has no core to spare/);
  const slow = recommendPow({ cores: 2, rates: [100], score: 4000, messageSize: 300 });
  assert.equal(slow.recommendation.enable, false);
  assert.match(slow.recommendation.reason, /beyond restAPI\.pow\.timeout/);
});
