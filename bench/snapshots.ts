// `npm run bench -- snapshots`: local snapshots and pruning (issue 15).
//
// 1. In process: a Store + Ledger loaded with N unspent outputs (100k and 1M by default); the time and
//    file size of a full snapshot of it (`writeFullSnapshot`), and the time to load that file into an
//    empty database (`importSnapshots`, what a bootstrapping node does).
// 2. Real node processes (`startCluster`, dist/ via bin/stinger): node 0 (coordinator) prunes with a
//    small window and snapshots often, node 1 keeps everything; data messages stream in for a history
//    of H milestones. The database size of both sampled over time; then a fresh node from node 0's
//    snapshot files and one replaying from the genesis, timed until synced; then GET latencies on
//    node 1 while quiet and while it prunes most of its history in one run.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../src/node/ledger/ledger.ts";
import type { LedgerOutput } from "../src/node/ledger/records.ts";
import { importSnapshots } from "../src/node/snapshot/import.ts";
import { writeFullSnapshot } from "../src/node/snapshot/local.ts";
import { Store } from "../src/node/store/store.ts";
import { networkIdFromName } from "../src/protocol/message.ts";
import { TOTAL_SUPPLY } from "../src/protocol/params.ts";
import { type ClusterNode, startCluster } from "../test/helpers/cluster.ts";
import { startDataStream } from "../test/helpers/data-stream.ts";
import { waitFor } from "../test/helpers/devnet.ts";
import { data, info } from "../test/helpers/ledger.ts";
import { fmt, percentile, printHeader, report } from "./_lib.ts";

const env = (name: string, fallback: string) => process.env[`BENCH_SNAPSHOTS_${name}`] ?? fallback;
const SIZES = env("OUTPUTS", "100000,1000000").split(",").map(Number);
const HISTORY = Number(env("HISTORY", "300"));
const INTERVAL_MS = Number(env("MILESTONE_MS", "250"));
const KEEP = Number(env("KEEP", "30"));
const PARTS = env("PARTS", "files,cluster").split(",");
const NETWORK = "bench-snapshots";

printHeader("snapshots");
const results: Record<string, unknown> = {};

function outputsOf(n: number): LedgerOutput[] {
  const each = 1_000_000n;
  const out: LedgerOutput[] = [];
  for (let i = 0; i < n; i++) {
    const outputId = new Uint8Array(34);
    new DataView(outputId.buffer).setUint32(0, i + 1);
    const address = new Uint8Array(32);
    new DataView(address.buffer).setUint32(0, i % 50_000);
    const amount = i === 0 ? TOTAL_SUPPLY - each * BigInt(n - 1) : each;
    out.push({ outputId, messageId: new Uint8Array(32), outputType: 0, address, amount, bookedAt: 0 });
  }
  return out;
}

async function files(): Promise<void> {
  console.log("\n## Full snapshot of N unspent outputs (in process, LMDB in a temp folder)");
  console.log(
    "| outputs | load ledger (s) | write snapshot (s) | outputs/s | file (MB) | import into an empty db (s) | outputs/s |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  const networkId = networkIdFromName(NETWORK);
  for (const n of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), "stinger-bench-snap-"));
    try {
      const store = new Store(join(dir, "a"));
      const ledger = new Ledger(store.root);
      let t = performance.now();
      await ledger.loadSnapshot(outputsOf(n), { milestoneId: new Uint8Array(32), amount: 0n }, 0);
      const loadS = (performance.now() - t) / 1000;
      t = performance.now();
      const written = await writeFullSnapshot(store, ledger, {
        path: join(dir, "full.bin"),
        networkId,
        index: 0,
        belowMaxDepth: 15,
      });
      const writeS = (performance.now() - t) / 1000;
      store.close();
      const fresh = new Store(join(dir, "b"));
      t = performance.now();
      const imported = await importSnapshots(written.path, undefined, fresh, new Ledger(fresh.root), {
        networkId,
        checkMilestone: () => {},
      });
      const importS = (performance.now() - t) / 1000;
      fresh.close();
      if (imported.outputs !== n) throw new Error(`imported ${imported.outputs} of ${n} outputs`);
      console.log(
        `| ${fmt(n)} | ${fmt(loadS, 2)} | ${fmt(writeS, 2)} | ${fmt(n / writeS)} | ${fmt(written.bytes / 1e6, 1)} | ${fmt(importS, 2)} | ${fmt(n / importS)} |`,
      );
      results[`files_${n}`] = { loadS, writeS, bytes: written.bytes, importS };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** GET latencies (ms) from `connections` loops over `paths` until `until` settles (or for `ms`). */
async function latencies(
  node: ClusterNode,
  paths: string[],
  until: Promise<unknown>,
  connections = 8,
): Promise<number[]> {
  let done = false;
  until.finally(() => (done = true)).catch(() => {});
  const out: number[] = [];
  let n = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (!done) {
        const t = performance.now();
        const r = await fetch(`${node.url}${paths[n++ % paths.length]}`);
        await r.arrayBuffer();
        out.push(performance.now() - t);
      }
    }),
  );
  return out;
}

const dbBytes = (node: ClusterNode) =>
  data<{ fileBytes: number; tangleBytes: number; ledgerBytes: number }>(
    `${node.url}/api/plugins/stinger/database`,
    node.token,
  );

async function cluster(): Promise<void> {
  console.log(`\n## Real nodes: ${HISTORY} milestones of ${INTERVAL_MS} ms with a stream of data messages`);
  const c = await startCluster(2, {
    genesis: true,
    milestoneInterval: `${INTERVAL_MS}ms`,
    config: (i) =>
      i === 0
        ? {
            snapshots: { interval: { synced: 10 }, depth: 2 },
            pruning: { milestones: { enabled: true, maxMilestonesToKeep: KEEP }, size: { enabled: false } },
          }
        : { snapshots: { interval: { synced: 1_000_000 }, depth: 2 }, pruning: { size: { enabled: false } } },
  });
  const [n0, n1] = c.nodes as [ClusterNode, ClusterNode];
  try {
    const feeder = startDataStream(n0, 4, "bench");
    const samples: {
      cmi: number;
      pruned: Awaited<ReturnType<typeof dbBytes>>;
      kept: Awaited<ReturnType<typeof dbBytes>>;
    }[] = [];
    const t0 = performance.now();
    while ((await info(n0)).confirmedMilestoneIndex < HISTORY) {
      samples.push({
        cmi: (await info(n0)).confirmedMilestoneIndex,
        pruned: await dbBytes(n0),
        kept: await dbBytes(n1),
      });
      await new Promise((r) => setTimeout(r, 5000));
    }
    const sent = await feeder.stop();
    samples.push({
      cmi: (await info(n0)).confirmedMilestoneIndex,
      pruned: await dbBytes(n0),
      kept: await dbBytes(n1),
    });
    console.log(`history: ${sent} data messages in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    console.log(
      "\n### Database size over time (node 0 prunes to the last %d milestones, node 1 keeps all)",
      KEEP,
    );
    console.log(
      "| milestone | pruned: file (kB) | history (kB) | ledger (kB) | unpruned: file (kB) | history (kB) | ledger (kB) |",
    );
    console.log("|---:|---:|---:|---:|---:|---:|---:|");
    const kb = (b: number) => fmt(b / 1024);
    const step = Math.max(1, Math.floor(samples.length / 12));
    for (const [i, s] of samples.entries()) {
      if (i % step !== 0 && i !== samples.length - 1) continue;
      console.log(
        `| ${s.cmi} | ${kb(s.pruned.fileBytes)} | ${kb(s.pruned.tangleBytes)} | ${kb(s.pruned.ledgerBytes)} | ${kb(s.kept.fileBytes)} | ${kb(s.kept.tangleBytes)} | ${kb(s.kept.ledgerBytes)} |`,
      );
    }
    const half = samples.slice(Math.floor(samples.length / 2));
    const grew = (k: "pruned" | "kept", f: "fileBytes" | "tangleBytes") =>
      half[half.length - 1]![k][f] - half[0]![k][f];
    console.log(
      `second half (milestones ${half[0]!.cmi}..${half[half.length - 1]!.cmi}): pruned file +${kb(grew("pruned", "fileBytes"))} kB (history +${kb(grew("pruned", "tangleBytes"))} kB), unpruned file +${kb(grew("kept", "fileBytes"))} kB (history +${kb(grew("kept", "tangleBytes"))} kB)`,
    );
    results.size = samples.map((s) => ({ cmi: s.cmi, pruned: s.pruned, kept: s.kept }));

    console.log("\n### A new node: from node 0's latest snapshot files vs replaying from the genesis");
    const dir = join(n0.dir, "snapshots");
    await waitFor(async () => existsSync(join(dir, "full_snapshot.bin")), 30_000, "a snapshot on node 0");
    const copies = mkdtempSync(join(tmpdir(), "stinger-bench-snapcopy-"));
    copyFileSync(join(dir, "full_snapshot.bin"), join(copies, "full.bin"));
    const withDelta = existsSync(join(dir, "delta_snapshot.bin"));
    if (withDelta) copyFileSync(join(dir, "delta_snapshot.bin"), join(copies, "delta.bin"));
    const target = (await info(n0)).confirmedMilestoneIndex;
    const timed = async (start: () => Promise<ClusterNode>) => {
      const t = performance.now();
      const node = await start();
      await waitFor(
        async () => {
          const i = await info(node).catch(() => undefined);
          return i?.isHealthy === true && i.confirmedMilestoneIndex >= target;
        },
        600_000,
        "synced",
      );
      return (performance.now() - t) / 1000;
    };
    // One after the other: each has both cores to itself.
    const snapS = await timed(() =>
      c.addNode({
        snapshot: join(copies, "full.bin"),
        delta: withDelta ? join(copies, "delta.bin") : undefined,
      }),
    );
    const replayS = await timed(() => c.addNode());
    rmSync(copies, { recursive: true, force: true });
    console.log("| start | synced to milestone %d (s) |", target);
    console.log("|---|---:|");
    console.log(`| from the snapshot${withDelta ? " (full + delta)" : ""} | ${fmt(snapS, 1)} |`);
    console.log(`| replaying ${target} milestones | ${fmt(replayS, 1)} |`);
    console.log(`replay / snapshot: ${fmt(replayS / snapS, 1)}x`);
    results.bootstrap = { target, snapS, replayS, withDelta };
    for (const n of c.nodes.slice(2)) await n.running?.stop();

    console.log(
      "\n### GET latency on node 1 (8 connections, milestones and messages): quiet vs during one prune run",
    );
    const cmi = (await info(n1)).confirmedMilestoneIndex;
    const paths: string[] = [];
    for (let i = cmi - 20; i <= cmi; i++) {
      const ms = await data<{ messageId: string }>(`${n1.url}/api/v1/milestones/${i}`);
      paths.push(`/api/v1/milestones/${i}`, `/api/v1/messages/${ms.messageId}/metadata`);
    }
    const quiet = await latencies(n1, paths, new Promise((r) => setTimeout(r, 5000)));
    const snap = await fetch(`${n1.url}/api/v1/control/snapshots/create`, {
      method: "POST",
      headers: { authorization: `Bearer ${n1.token}` },
    });
    if (snap.status !== 200) throw new Error(`snapshot on node 1: ${snap.status} ${await snap.text()}`);
    const limit = ((await snap.json()) as { data: { index: number } }).data.index;
    const tp = performance.now();
    const prune = fetch(`${n1.url}/api/v1/control/database/prune`, {
      method: "POST",
      headers: { authorization: `Bearer ${n1.token}`, "content-type": "application/json" },
      body: JSON.stringify({ index: Math.min(limit, cmi - 20) }),
    }).then(async (r) => {
      if (r.status !== 200) throw new Error(`prune: ${r.status} ${await r.text()}`);
      return r.json();
    });
    const during = await latencies(n1, paths, prune);
    const pruneS = (performance.now() - tp) / 1000;
    const pruned = ((await prune) as { data: { index: number } }).data.index;
    const row = (name: string, xs: number[]) =>
      `| ${name} | ${fmt(xs.length)} | ${fmt(percentile(xs, 50), 2)} | ${fmt(percentile(xs, 99), 2)} | ${fmt(Math.max(...xs), 1)} |`;
    console.log(`prune: milestones 1..${pruned} in ${fmt(pruneS, 2)} s`);
    console.log("| phase | requests | p50 (ms) | p99 (ms) | max (ms) |");
    console.log("|---|---:|---:|---:|---:|");
    console.log(row("quiet (5 s)", quiet));
    console.log(row("during the prune", during));
    console.log(`p99 during / quiet: ${fmt(percentile(during, 99) / percentile(quiet, 99), 2)}x`);
    results.prune = {
      pruned,
      pruneS,
      quietP99: percentile(quiet, 99),
      duringP99: percentile(during, 99),
      duringRequests: during.length,
    };
  } finally {
    await c.stop();
  }
}

if (PARTS.includes("files")) await files();
if (PARTS.includes("cluster")) await cluster();
report(results);
