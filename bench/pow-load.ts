// Remote PoW under load: REST read latency with the PoW pool idle vs saturated, and a long run of
// cancelled PoW jobs to check that cancellation leaks nothing (resident memory before/after).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { BIN, removeDir, startNode, tempDir } from "../test/helpers/devnet.ts";
import { startPowJob } from "../test/helpers/pow-job.ts";
import { fmt, printHeader, report, rssOf } from "./_lib.ts";

const CYCLES = Number(process.env.BENCH_POW_CANCEL_CYCLES ?? 300);
// 20 KB of data at minPoWScore 300: ~15 trailing zeros, far longer than any job here is allowed to run.
const BIG = JSON.stringify({ payload: { type: 2, index: "aa", data: "ab".repeat(20_000) } });

async function readLatency(url: string) {
  const r = await autocannon({ url: `${url}/api/v1/info`, connections: 8, duration: 3 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

printHeader("pow-load");
const dir = tempDir();
const keys = JSON.parse(spawnSync(process.execPath, [BIN, "keys"], { encoding: "utf8" }).stdout) as {
  keys: { publicKey: string; privateKey: string }[];
};
writeFileSync(
  join(dir, "config.json"),
  JSON.stringify({
    protocol: {
      networkID: "private_tangle1",
      minPoWScore: 300,
      milestonePublicKeyCount: 1,
      publicKeyRanges: [{ key: keys.keys[0]!.publicKey }],
    },
    restAPI: { bindAddress: "127.0.0.1:0", powEnabled: true, pow: { maxQueue: 8, maxJobsPerClient: 1000 } },
    coordinator: { enabled: true, interval: "1h" },
    prometheus: { bindAddress: "127.0.0.1:0" },
    p2p: { enabled: false },
    logger: { level: "warn" },
  }),
);
const node = await startNode(join(dir, "config.json"), { COO_PRV_KEYS: keys.keys[0]!.privateKey });
try {
  await readLatency(node.url); // warm-up
  const idle = await readLatency(node.url);
  const jobs = Array.from({ length: 9 }, () => startPowJob(node.url, BIG)); // all workers busy + full queue
  await new Promise((r) => setTimeout(r, 500));
  const busy = await readLatency(node.url);
  for (const job of jobs) job.cancel();
  console.log(
    `GET /api/v1/info, 8 connections, 3 s: pool idle ${fmt(idle.rps)} req/s p50 ${idle.p50} ms p99 ${idle.p99} ms; ` +
      `pool saturated (all workers mining, queue full) ${fmt(busy.rps)} req/s p50 ${busy.p50} ms p99 ${busy.p99} ms`,
  );

  // Rounds of start-then-disconnect: memory that keeps growing round after round would be a leak;
  // growth in the first round only is heap warm-up.
  const rounds: number[] = [rssOf(node.proc.pid!).anon];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < CYCLES; i++) {
      const job = startPowJob(node.url, BIG);
      await new Promise((r) => setTimeout(r, 20));
      job.cancel();
    }
    await new Promise((r) => setTimeout(r, 2000));
    rounds.push(rssOf(node.proc.pid!).anon);
  }
  console.log(
    `3 rounds of ${fmt(CYCLES)} PoW jobs cancelled by client disconnect: anonymous RSS ` +
      `${rounds.map((m) => fmt(m, 1)).join(" -> ")} MiB`,
  );
  report({ idle, busy, anonRssByRound: rounds });
} finally {
  await node.stop();
  removeDir(dir);
}
