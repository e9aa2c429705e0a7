// `npm run bench -- fuzz`: the HTTP fuzzer of test/e2e/http-fuzz.test.ts at volume against a devnet
// node and its gateway (BENCH_FUZZ_RUNS cases each, 100,000 by default), reporting cases/s, the
// status mix and any failure with its seed (replay: STINGER_FUZZ_SEED=<seed> BENCH_FUZZ_RUNS=<n>).
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { removeDir, startDevnet } from "../test/helpers/devnet.ts";
import { fuzzRequest, requestBytes, send } from "../test/helpers/http-fuzz.ts";
import { fmt, printHeader, report } from "./_lib.ts";

const RUNS = Number(process.env.BENCH_FUZZ_RUNS ?? 100_000);
const SEED = process.env.STINGER_FUZZ_SEED ? Number(process.env.STINGER_FUZZ_SEED) : Date.now() % 2 ** 31;
/** requests in flight at once (each on its own connection) */
const PARALLEL = Number(process.env.BENCH_FUZZ_PARALLEL ?? 16);

printHeader("fuzz");
const devnet = await startDevnet({ nodes: 1, gateway: true, milestoneInterval: 1 });
const results: Record<string, unknown> = { seed: SEED, runs: RUNS };
try {
  const node = new URL(devnet.url);
  const gw = new URL(devnet.gateway!.url);
  const targets = [
    { name: "node", host: node.hostname, port: Number(node.port), ca: undefined },
    { name: "gateway", host: gw.hostname, port: Number(gw.port), ca: readFileSync(devnet.gateway!.caFile) },
  ];
  console.log(`seed ${SEED}, ${fmt(RUNS)} cases per target, ${PARALLEL} in flight`);
  console.log("| target | cases | seconds | cases/s | failures | statuses |");
  console.log("|---|---:|---:|---:|---:|---|");
  for (const t of targets) {
    const cases = fc.sample(fuzzRequest, { numRuns: RUNS, seed: SEED });
    const seen = new Map<number, number>();
    const failures: string[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < cases.length) {
          const i = next++;
          const r = cases[i]!;
          const whole = r.shape === "whole" || r.shape === "pipelined";
          const a = await send(t, requestBytes(r, `${t.host}:${t.port}`), {
            expect: r.shape === "pipelined" ? 2 : 1,
            head: r.method === "HEAD",
            closeAfterWrite: r.shape === "truncated",
            idleMs: whole ? 2000 : 300,
          });
          for (const s of a.statuses) seen.set(s, (seen.get(s) ?? 0) + 1);
          const bad = a.statuses.filter((s) => s >= 500 && s !== 503);
          if (bad.length > 0 || (whole && a.noAnswer))
            failures.push(`case ${i}: ${r.method} ${r.path.slice(0, 80)} -> ${bad.join(",") || "no answer"}`);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const mix = JSON.stringify(Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])));
    console.log(
      `| ${t.name} | ${fmt(RUNS)} | ${fmt(seconds, 1)} | ${fmt(RUNS / seconds)} | ${failures.length} | ${mix} |`,
    );
    for (const f of failures.slice(0, 20)) console.log(`  ${f} (seed ${SEED})`);
    results[t.name] = {
      seconds,
      casesPerSecond: RUNS / seconds,
      failures: failures.length,
      statuses: Object.fromEntries(seen),
    };
  }
  const alive = await fetch(`${devnet.url}/api/v1/info`);
  console.log(`node after the fuzzing: /api/v1/info ${alive.status}`);
  results.aliveStatus = alive.status;
} finally {
  await devnet.stop();
  removeDir(devnet.dataDir);
}
report(results);
