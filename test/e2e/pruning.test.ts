// Pruning and local snapshots on real node processes with 1 s milestones and a stream of transfers
// (data-message load over 300 milestones is in bench/snapshots.ts): node 0 (the coordinator) keeps 15
// milestones and snapshots every 5 (full and delta in turn), node 1 keeps everything. Node 0's pruning index advances, what it
// pruned answers 404 while node 1 still serves it, its history stops growing while node 1's grows, and
// both hold the same ledger. Then three fresh nodes join: from node 0's full + delta snapshot files,
// downloading them through a gateway in front of node 0, and replaying from the genesis; the first two
// are synced sooner and all hold the same ledger state.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SingleNodeClient } from "@iota/iota.js";
import { ensureDevCertificate } from "../../src/gateway/dev-cert.ts";
import { readSnapshotHeader } from "../../src/node/snapshot/snapshot-file.ts";
import { encodeAddress } from "../../src/protocol/bech32.ts";
import { generateEd25519Seed } from "../../src/protocol/keys.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import { type ClusterNode, type GenesisCluster, startCluster } from "../helpers/cluster.ts";
import { BIN, removeDir, startGatewayWith, tempDir, waitFor } from "../helpers/devnet.ts";
import {
  data,
  getJson,
  info,
  LedgerModel,
  logTail,
  MilestoneTracker,
  mineOnTips,
  postMessage,
  stateHashAt,
  TransferStream,
  verifyLedger,
} from "../helpers/ledger.ts";
import { wallet } from "../helpers/transactions.ts";

const KEEP = 15;
const SNAPSHOT_INTERVAL = 5;
/** snapshots.depth: node 0's snapshots have their entry points this far below the confirmed milestone */
const DEPTH = 2;
const WALLETS = 6;
/** how long the load runs, in milestones of 1 s: the window fills about four times over */
const RUN_MILESTONES = 3 * KEEP + 2 * SNAPSHOT_INTERVAL;

interface DbSize {
  /** data.mdb's size on disk */
  file: number;
  /** pages the tangle's history uses (what pruning bounds) and the ledger's (unspent outputs grow) */
  tangle: number;
  ledger: number;
}
async function dbSize(node: ClusterNode): Promise<DbSize> {
  const d = await data<{ tangleBytes: number; ledgerBytes: number }>(
    `${node.url}/api/plugins/stinger/database`,
    node.token,
  );
  return {
    file: statSync(join(node.dir, "db", "data.mdb")).size,
    tangle: d.tangleBytes,
    ledger: d.ledgerBytes,
  };
}

async function post(node: ClusterNode, path: string, body: unknown, token = node.token) {
  const r = await fetch(`${node.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

describe("pruning and local snapshots", () => {
  let cluster: GenesisCluster;
  let nodes: ClusterNode[];
  let model: LedgerModel;
  let tracker: MilestoneTracker;
  /** a transfer confirmed at the start, with its milestone */
  let early: { id: string; milestone: number };
  const logs = () => nodes.map((n, i) => `--- node ${i}\n${logTail(n)}`).join("\n");

  before(async () => {
    cluster = await startCluster(2, {
      genesis: true,
      milestoneInterval: "1s",
      config: (i) => ({
        pruning:
          i === 0
            ? { milestones: { enabled: true, maxMilestonesToKeep: KEEP }, size: { enabled: false } }
            : { size: { enabled: false } },
        snapshots: { interval: { synced: i === 0 ? SNAPSHOT_INTERVAL : 100_000 }, depth: DEPTH },
      }),
    });
    nodes = cluster.nodes;
    const wallets = [
      cluster.mint,
      ...Array.from({ length: WALLETS - 1 }, () => wallet(generateEd25519Seed())),
    ];
    model = new LedgerModel(wallets, cluster.mint, TOTAL_SUPPLY);
    await waitFor(async () => (await info(nodes[1]!)).confirmedMilestoneIndex >= 1, 60_000, "milestone 1");
    tracker = new MilestoneTracker(cluster, model);
  });

  after(async () => {
    await tracker?.stop();
    await cluster?.stop();
  });

  it("prunes below the keep window under load: 404 below it, intact inside it, a flat database, one ledger", async (t) => {
    // The mint pays each other wallet: these coins feed the stream.
    const [mint, ...others] = model.wallets;
    const genesis = model.take(1);
    const share = 100_000_000_000_000n;
    const { tx, transactionId, outputs } = model.build(genesis, [
      ...others.map((to) => ({ to, amount: share })),
      { to: mint!, amount: TOTAL_SUPPLY - share * BigInt(others.length) },
    ]);
    const mined = await mineOnTips(nodes[0]!, tx);
    model.send({ messageId: mined.id, transactionId, inputs: genesis, outputs, node: 0 });
    assert.equal((await postMessage(nodes[0]!, mined.bytes)).status, 201);
    await waitFor(async () => model.included.has(mined.id), 30_000, "the funding transfer confirmed");
    early = { id: mined.id, milestone: model.included.get(mined.id)!.milestone };

    const stream = new TransferStream(cluster, model, [0, 1, 0, 1], { maxInFlight: 8 });
    const sizes: { cmi: number; pruned: DbSize; kept: DbSize }[] = [];
    try {
      const until = early.milestone + RUN_MILESTONES;
      while ((await info(nodes[0]!)).confirmedMilestoneIndex < until) {
        sizes.push({
          cmi: (await info(nodes[0]!)).confirmedMilestoneIndex,
          pruned: await dbSize(nodes[0]!),
          kept: await dbSize(nodes[1]!),
        });
        await new Promise((r) => setTimeout(r, 2000));
      }
    } finally {
      await stream.stop();
    }
    await waitFor(async () => model.sent.size === 0, 30_000, "every sent transfer confirmed");
    assert.deepEqual(stream.record.errors, [], "no worker error");
    assert.deepEqual(stream.record.refused, [], "no transfer refused");
    assert.deepEqual(model.problems, []);

    const [i0, i1] = await Promise.all(nodes.map(info));
    t.diagnostic(
      `node 0: confirmed ${i0!.confirmedMilestoneIndex}, pruning index ${i0!.pruningIndex}; ${model.included.size} transfers`,
    );
    assert.ok(
      i0!.pruningIndex >= i0!.confirmedMilestoneIndex - KEEP - SNAPSHOT_INTERVAL - DEPTH - 2,
      `node 0 pruned up to ${i0!.pruningIndex} at ${i0!.confirmedMilestoneIndex}\n${logs()}`,
    );
    assert.ok(i0!.pruningIndex > early.milestone);
    assert.equal(i1!.pruningIndex, 0, "node 1 prunes nothing");

    // Below the window: gone from node 0 (404 in the JSON error shape), still on node 1.
    for (const path of [
      `/api/v1/messages/${early.id}`,
      `/api/v1/messages/${early.id}/metadata`,
      `/api/v1/milestones/${early.milestone}`,
      `/api/v1/milestones/${early.milestone}/utxo-changes`,
    ]) {
      const gone = await getJson<{ error: { code: string } }>(`${nodes[0]!.url}${path}`);
      assert.equal(gone.status, 404, `node 0 ${path}`);
      assert.equal(gone.body.error.code, "404");
      assert.equal((await getJson(`${nodes[1]!.url}${path}`)).status, 200, `node 1 ${path}`);
    }
    // Inside it: the latest transfers with their metadata, on both.
    const recent = [...model.included.entries()].filter(([, v]) => v.milestone > i0!.pruningIndex).slice(-5);
    assert.ok(recent.length > 0, "transfers inside the window");
    for (const [id, { milestone }] of recent) {
      for (const node of nodes) {
        const meta = await data<{ referencedByMilestoneIndex: number; ledgerInclusionState: string }>(
          `${node.url}/api/v1/messages/${id}/metadata`,
        );
        assert.deepEqual(
          [meta.referencedByMilestoneIndex, meta.ledgerInclusionState],
          [milestone, "included"],
        );
      }
    }

    // One ledger: both consistent, the whole supply, the same state, the balances the model expects.
    const checks = await Promise.all(nodes.map(verifyLedger));
    for (const [i, v] of checks.entries()) {
      assert.deepEqual(v.problems, [], `node ${i}`);
      assert.equal(v.unspentSum + v.treasury, Number(TOTAL_SUPPLY), `node ${i}: supply`);
      assert.equal(v.unspentOutputs, model.unspent.size, `node ${i}: unspent outputs`);
    }
    assert.equal(checks[0]!.stateHash, checks[1]!.stateHash);
    for (const w of model.wallets) {
      const b = await data<{ balance: number }>(
        `${nodes[0]!.url}/api/v1/addresses/${encodeAddress("atoi", w.address)}`,
      );
      assert.equal(BigInt(b.balance), model.balanceOf(w));
    }

    // Once the window is full the pruned node's history stops growing while the unpruned one's keeps
    // growing; what its file still gains is the ledger (every transfer here adds an unspent output on
    // average) and LMDB's free-page slack, so the file grows much less than the unpruned one's.
    const half = sizes.slice(Math.floor(sizes.length / 2));
    const growth = (node: "pruned" | "kept", k: keyof DbSize) =>
      half[half.length - 1]![node][k] - half[0]![node][k];
    const line = (node: "pruned" | "kept") =>
      `file ${growth(node, "file")} B, history ${growth(node, "tangle")} B, ledger ${growth(node, "ledger")} B`;
    t.diagnostic(
      `growth over the second half (milestones ${half[0]!.cmi}..${half[half.length - 1]!.cmi}): pruned: ${line("pruned")}; unpruned: ${line("kept")}`,
    );
    const all = JSON.stringify(sizes);
    assert.ok(growth("kept", "tangle") > 0, "the unpruned history grew");
    assert.ok(
      growth("pruned", "tangle") < growth("kept", "tangle") / 8,
      `the pruned history grew ${growth("pruned", "tangle")} B against ${growth("kept", "tangle")} B: ${all}`,
    );
    assert.ok(
      growth("pruned", "file") < growth("kept", "file") / 2,
      `the pruned file grew ${growth("pruned", "file")} B against ${growth("kept", "file")} B: ${all}`,
    );
  });

  it("fresh nodes from node 0's full and delta snapshots (files, and downloaded through its gateway) are synced sooner than one replaying from milestone 1, on the same ledger", async (t) => {
    const dir = join(nodes[0]!.dir, "snapshots");
    const full = join(dir, "full_snapshot.bin");
    const delta = join(dir, "delta_snapshot.bin");
    // Node 0 writes full and delta snapshots in turn (its genesis full snapshot is tiny, so every delta
    // outgrows deltaSizeThresholdPercentage): take the pair while a delta is there.
    const copies = tempDir();
    let deltaIndex = 0;
    await waitFor(
      async () => {
        if (!existsSync(delta)) return false;
        copyFileSync(full, join(copies, "full.bin"));
        copyFileSync(delta, join(copies, "delta.bin"));
        const [f, d] = await Promise.all(
          ["full.bin", "delta.bin"].map(async (n) => (await readSnapshotHeader(join(copies, n))).header),
        );
        // A new full snapshot between the two copies leaves a delta of the old one: copy again.
        deltaIndex = d!.sepMilestoneIndex;
        return d!.ledgerMilestoneIndex === f!.sepMilestoneIndex;
      },
      30_000,
      "a delta snapshot on node 0 with the full snapshot it follows",
    );
    const cert = ensureDevCertificate(join(copies, "tls"));
    const gateway = await startGatewayWith(
      join(copies, "gateway.json"),
      {
        bindAddress: "127.0.0.1:0",
        adminBindAddress: "127.0.0.1:0",
        upstreams: [nodes[0]!.url],
        tls: { certFile: cert.certFile, keyFile: cert.keyFile },
        logger: { level: "warn" },
      },
      { ca: readFileSync(cert.caFile) },
    );
    try {
      const t0 = performance.now();
      const fromFiles = await cluster.addNode({
        snapshot: join(copies, "full.bin"),
        delta: join(copies, "delta.bin"),
      });
      const downloading = await cluster.addNode({
        snapshot: undefined,
        config: {
          snapshots: {
            fullPath: "downloaded/full_snapshot.bin",
            deltaPath: "downloaded/delta_snapshot.bin",
            downloadURLs: [
              {
                full: `${gateway.url}/api/plugins/snapshots/full`,
                delta: `${gateway.url}/api/plugins/snapshots/delta`,
              },
            ],
          },
        },
        env: { NODE_EXTRA_CA_CERTS: cert.caFile },
      });
      const replaying = await cluster.addNode();
      const target = (await info(nodes[0]!)).confirmedMilestoneIndex;
      const syncedAt = async (node: ClusterNode) => {
        await waitFor(
          async () => {
            const i = await info(node).catch(() => undefined);
            return i?.isHealthy === true && i.confirmedMilestoneIndex >= target;
          },
          120_000,
          `node synced to ${target}\n${logTail(node, 30)}`,
        );
        return performance.now() - t0;
      };
      const [filesMs, downloadMs, replayMs] = await Promise.all(
        [fromFiles, downloading, replaying].map(syncedAt),
      );
      t.diagnostic(
        `synced to milestone ${target}: from the snapshot files in ${filesMs!.toFixed(0)} ms, downloaded through the gateway in ${downloadMs!.toFixed(0)} ms, replaying in ${replayMs!.toFixed(0)} ms`,
      );
      assert.ok(filesMs! < replayMs!, `from the snapshot ${filesMs} ms, replaying ${replayMs} ms`);
      assert.ok(downloadMs! < replayMs!, `downloaded ${downloadMs} ms, replaying ${replayMs} ms`);
      // The files node starts where the delta ends, not where the full snapshot does.
      assert.equal((await info(fromFiles)).pruningIndex, deltaIndex);
      const downloaded = await info(downloading);
      assert.ok(downloaded.pruningIndex > 0, "the downloading node starts at a snapshot's index");
      assert.ok(existsSync(join(downloading.dir, "downloaded", "full_snapshot.bin")));

      // Same ledger: milestones keep coming every second, so compare the state hashes every node
      // recorded for the newest milestone they all have applied, and each one's own recomputation.
      const everyNode = [nodes[0]!, fromFiles, downloading, replaying];
      let compared = 0;
      let seen: (string | undefined)[] = [];
      await waitFor(
        async () => {
          const v = await Promise.all(everyNode.map(verifyLedger));
          for (const [i, x] of v.entries()) {
            assert.deepEqual(x.problems, [], `node ${i}: ledger problems`);
            assert.equal(x.recomputedStateHash, x.stateHash, `node ${i}: state hash recomputes`);
          }
          compared = Math.min(...v.map((x) => x.ledgerIndex));
          seen = await Promise.all(everyNode.map((n) => stateHashAt(n, compared)));
          return seen.every((h) => h !== undefined && h === seen[0]);
        },
        30_000,
        "the same ledger state hash on node 0 and the new nodes",
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last at milestone ${compared}: ${seen.join(", ")}`);
      });
      assert.ok(compared >= target, `compared at milestone ${compared}, synced to ${target}`);
      for (const node of [fromFiles, downloading]) {
        const client = new SingleNodeClient(node.url);
        for (const w of model.wallets) {
          const b = await client.address(encodeAddress("atoi", w.address));
          assert.equal(BigInt(b.balance), model.balanceOf(w), "iota.js balance from a snapshot node");
        }
      }
    } finally {
      await gateway.stop();
      removeDir(copies);
    }
  });

  it("prunes and snapshots on request through the protected control routes", async () => {
    const node = nodes[1]!;
    const before = await info(node);
    assert.equal((await post(node, "/api/v1/control/database/prune", { depth: 20 }, "")).status, 401);
    for (const bad of [{}, { index: -1 }, { depth: "x" }, { index: 1, depth: 1 }, [1]]) {
      const r = await post(node, "/api/v1/control/database/prune", bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.body.error.code, "400");
    }
    // Node 1 has no local snapshot yet: nothing may be pruned until it has one. (Last test: after this
    // no node holds the history from milestone 1.)
    const refused = await post(node, "/api/v1/control/database/prune", { depth: 20 });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /too high/);
    const snap = await post(node, "/api/v1/control/snapshots/create", {});
    assert.equal(snap.status, 200, JSON.stringify(snap.body));
    // snapshots.depth (50 by default) below the confirmed milestone; a delta on node 1's genesis snapshot.
    assert.ok(snap.body.data.index >= before.confirmedMilestoneIndex - 50, JSON.stringify(snap.body));
    assert.equal(snap.body.data.type, "delta");
    const described = spawnSync(
      process.execPath,
      [BIN, "snapshot", "info", snap.body.data.filePath, "--json"],
      {
        encoding: "utf8",
      },
    );
    assert.equal(described.status, 0, described.stderr);
    const header = JSON.parse(described.stdout) as {
      type: string;
      ledgerMilestoneIndex: number;
      sepMilestoneIndex: number;
    };
    assert.deepEqual(
      [header.type, header.ledgerMilestoneIndex, header.sepMilestoneIndex],
      ["delta", 0, snap.body.data.index],
    );

    const target = snap.body.data.index - 20;
    const pruned = await post(node, "/api/v1/control/database/prune", { index: target });
    assert.deepEqual([pruned.status, pruned.body.data?.index], [200, target], JSON.stringify(pruned.body));
    assert.equal((await info(node)).pruningIndex, target);
    assert.equal((await getJson(`${node.url}/api/v1/milestones/${target}`)).status, 404);
    assert.equal((await getJson(`${node.url}/api/v1/milestones/${target + 1}`)).status, 200);
    const again = await post(node, "/api/v1/control/database/prune", { index: target });
    assert.equal(again.status, 400);
    assert.match(again.body.error.message, /already pruned/);
    assert.deepEqual((await verifyLedger(node)).problems, []);
  });
});
