// Full host audit on this machine: in-process runAudit timings, and the whole `stinger audit --json`
// command (process start included), which is what an operator waits for. Goal: under 2 s.
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { runAudit } from "../src/audit/audit.ts";
import { LiveHost } from "../src/audit/host.ts";
import { BIN } from "../test/helpers/devnet.ts";
import { percentile, printHeader } from "./_lib.ts";

const RUNS = 10;
printHeader("audit");

const inProcess: number[] = [];
let checks = 0;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const report = await runAudit({ host: new LiveHost() });
  inProcess.push(performance.now() - t);
  checks = report.checksRun + report.skipped.length;
  console.log(
    `run ${i + 1}/${RUNS}: ${inProcess.at(-1)!.toFixed(0)} ms (${report.findings.length} findings)`,
  );
}
const cli: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, "audit", "--json"], { encoding: "utf8" });
  if (r.status !== 0 && r.status !== 1) throw new Error(`stinger audit failed: ${r.stderr}`);
  cli.push(performance.now() - t);
}
const fmt = (xs: number[]) =>
  `median ${percentile(xs, 50).toFixed(0)} ms, p90 ${percentile(xs, 90).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
console.log(`audit (${checks} checks, root=${new LiveHost().isRoot}) in-process: ${fmt(inProcess)}`);
console.log(`stinger audit --json (whole command): ${fmt(cli)}  goal < 2000 ms`);
