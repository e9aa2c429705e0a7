// `stinger pow --benchmark` for real on this machine: consistent figures, a recommendation that follows
// them, and one-line refusals of nonsense input.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import type { PowBenchmark } from "../../src/node/pow/benchmark.ts";
import { BIN } from "../helpers/devnet.ts";

const run = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, "pow", "--benchmark", ...args], { encoding: "utf8", timeout: 60_000 });

test("measures 1..cores workers and recommends a setting consistent with the figures", () => {
  const r = run("--json", "--score", "4000", "--message-size", "300");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /stinger pow: measuring 1 worker\(s\)/, "a progress line while it measures");
  const b = JSON.parse(r.stdout) as PowBenchmark;
  const cores = availableParallelism();
  assert.equal(b.cores, cores);
  assert.deepEqual(
    b.byWorkers.map((w) => w.workers),
    Array.from({ length: cores }, (_, i) => i + 1),
  );
  for (const w of b.byWorkers) {
    assert.ok(w.hashesPerSecond > 0, JSON.stringify(w));
    // More workers cannot beat linear scaling of one worker by much (the spread of one measurement).
    assert.ok(w.hashesPerSecond <= b.perWorkerHashesPerSecond * w.workers * 1.5, JSON.stringify(b.byWorkers));
  }
  assert.equal(b.perWorkerHashesPerSecond, b.byWorkers[0]!.hashesPerSecond);
  assert.equal(b.expectedHashes, 3 ** b.targetZeros);
  const s = b.sustainable;
  assert.equal(s.workers, cores - 1);
  if (s.workers > 0) {
    assert.equal(s.hashesPerSecond, b.byWorkers[s.workers - 1]!.hashesPerSecond);
    assert.ok(Math.abs(s.expectedMs - (b.expectedHashes / s.hashesPerSecond) * 1000) <= 1);
    assert.ok(Math.abs(s.p95Ms - s.expectedMs * Math.log(20)) <= 2);
  }
  const rec = b.recommendation;
  assert.equal(rec.enable, s.workers > 0 && s.p95Ms <= 120_000);
  assert.equal(rec["restAPI.powWorkerCount"], s.workers);
  assert.ok(rec["rateLimit.maxPowSubmitsPerClient"] === rec["restAPI.pow.maxJobsPerClient"]);
  assert.ok((rec["restAPI.pow.maxQueue"] + 1) * s.expectedMs <= 120_000 || rec["restAPI.pow.maxQueue"] === 0);
});

test("refuses an unknown score or an absurd message size in one line, exit 2", () => {
  for (const args of [
    ["--score", "abc"],
    ["--score", "0"],
    ["--message-size", "5"],
    ["--message-size", "1000000"],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^stinger: --(score|message-size)/);
  }
});
