// kill -9 in the middle of the node's own disk work: while it prunes, and while it writes a local
// snapshot of a ledger of 100k outputs (big enough that a write takes a while). After every restart the
// node is consistent (ledger checks clean, the same state as the coordinator), the snapshot files on
// disk are whole (the old one or the new one, no temporary files left) and pruning carries on where it
// stopped. Then a truncated and a tampered snapshot are each refused at start with one line, exit 2.
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ledger } from "../../src/node/ledger/ledger.ts";
import { readSnapshotFile } from "../../src/node/snapshot/snapshot-file.ts";
import { Store } from "../../src/node/store/store.ts";
import { type Cluster, type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { type DataStream, startDataStream } from "../helpers/data-stream.ts";
import { removeDir, startNode, tempDir, waitFor } from "../helpers/devnet.ts";
import { getJson, info, logTail, stateHashAt, verifyLedger } from "../helpers/ledger.ts";
import { isRunning } from "../helpers/owned.ts";

const GENESIS_OUTPUTS = 100_000;
const KEEP = 15;

/**
 * Opens a stopped node's database and checks that pruning left whole milestones: everything of the
 * milestones up to the pruning index gone, the next one complete, the ledger consistent. Returns the
 * pruning index.
 */
function prunedDatabase(node: ClusterNode): number {
  const store = new Store(join(node.dir, "db"));
  try {
    const ledger = new Ledger(store.root);
    const p = store.pruningIndex;
    assert.equal(store.getMilestone(p), undefined, `milestone ${p} pruned`);
    assert.equal(ledger.diff(p), undefined, `milestone ${p}'s ledger diff pruned`);
    const next = store.getMilestone(p + 1);
    assert.ok(next, `milestone ${p + 1} kept`);
    assert.ok(store.getMessage(next.messageId), `milestone ${p + 1}'s message kept`);
    assert.ok(ledger.diff(p + 1), `milestone ${p + 1}'s ledger diff kept`);
    for (const { key } of store.solidEntryPoints.getRange()) assert.equal(store.getMessage(key), undefined);
    assert.deepEqual(ledger.verify().problems, []);
    return p;
  } finally {
    store.close();
  }
}

const snapshotDir = (node: ClusterNode) => join(node.dir, "snapshots");
const temps = (node: ClusterNode) => readdirSync(snapshotDir(node)).filter((f) => f.endsWith(".tmp"));

describe("kill -9 during pruning and snapshot writing", () => {
  let cluster: Cluster;
  let nodes: ClusterNode[];
  let feeder: DataStream;
  let node1: ClusterNode;

  /** Node 1 answers, is consistent and holds the coordinator's ledger state at its confirmed index. */
  async function consistent(context: string): Promise<void> {
    await waitFor(
      async () => {
        const i = await info(node1).catch(() => undefined);
        return i?.isHealthy === true;
      },
      60_000,
      `node 1 synced again (${context})`,
    ).catch(async (err: Error) => {
      const state = await Promise.all([
        getJson(`${node1.url}/api/v1/info`),
        getJson(`${nodes[0]!.url}/api/v1/info`),
        getJson(`${node1.url}/api/v1/peers`, node1.token),
        getJson(`${nodes[0]!.url}/api/v1/peers`, nodes[0]!.token),
      ]).catch((e: Error) => e.message);
      throw new Error(`${err.message}\n${JSON.stringify(state)}\n${logTail(node1, 30)}`);
    });
    const v = await verifyLedger(node1);
    assert.deepEqual(v.problems, [], context);
    assert.equal(v.stateHash, v.recomputedStateHash, context);
    assert.equal(
      await stateHashAt(nodes[0]!, v.ledgerIndex),
      v.stateHash,
      `${context}: node 0's state at ${v.ledgerIndex}`,
    );
  }

  async function kill9(): Promise<void> {
    const proc = node1.running!.proc;
    await node1.running!.stop("SIGKILL");
    assert.ok(!isRunning(proc));
  }

  before(async () => {
    cluster = await startCluster(2, {
      genesis: true,
      genesisOutputs: GENESIS_OUTPUTS,
      milestoneInterval: "500ms",
      config: (i) =>
        i === 1
          ? {
              // Snapshots only on request (the test chooses when). With a delta on disk the next one is
              // full (10 MB: slow enough to be cut); a full one that completes makes the next a delta.
              snapshots: {
                interval: { synced: 1_000_000, unsynced: 1_000_000 },
                depth: 1,
                deltaSizeThresholdPercentage: 0.0001,
              },
              pruning: { milestones: { enabled: true, maxMilestonesToKeep: KEEP }, size: { enabled: false } },
            }
          : {},
    });
    nodes = cluster.nodes;
    node1 = nodes[1]!;
    feeder = startDataStream(nodes[0]!, 3, "crash-test");
    // Some history: node 1 cannot prune any of it before its first local snapshot.
    await waitFor(
      async () => (await info(node1)).confirmedMilestoneIndex >= 50,
      120_000,
      "milestone 50 on node 1",
    );
  });

  after(async () => {
    await feeder?.stop();
    await cluster?.stop();
  });

  it("pruning cut by kill -9 resumes after the restart, with nothing half pruned", async (t) => {
    assert.equal((await info(node1)).pruningIndex, 0);
    const snap = await fetch(`${node1.url}/api/v1/control/snapshots/create`, {
      method: "POST",
      headers: { authorization: `Bearer ${node1.token}` },
    });
    assert.equal(snap.status, 200);
    const snapshotIndex = ((await snap.json()) as { data: { index: number } }).data.index;
    // The next confirmation starts a long prune (everything but the last KEEP milestones): kill -9 node 1
    // as soon as it is part way.
    let seen = 0;
    await waitFor(
      async () => {
        seen = (await info(node1)).pruningIndex;
        return seen > 0;
      },
      30_000,
      "pruning under way",
      10,
    );
    await kill9();
    const cmiAtKill = (await info(nodes[0]!)).confirmedMilestoneIndex;
    t.diagnostic(`killed with pruning index ${seen} (target about ${cmiAtKill - KEEP})`);
    // Before the restart, straight from the killed node's database: whole milestones only.
    const p = prunedDatabase(node1);
    assert.ok(p >= seen, `pruning index ${p} in the database, ${seen} seen before the kill`);
    await cluster.restart(1);
    await consistent("after a kill during pruning");
    // And it resumes: up to the keep window, bounded by the local snapshot's index.
    const goal = Math.min(cmiAtKill - KEEP, snapshotIndex);
    assert.ok(p < goal, `the kill came before pruning was done (at ${p} of ${goal})`);
    await waitFor(
      async () => (await info(node1)).pruningIndex >= goal,
      60_000,
      `pruning resumes from ${p} to ${goal}\n${logTail(node1, 30)}`,
    );
  });

  it("a snapshot cut by kill -9 leaves the previous one whole and no temporary file", async (t) => {
    let cut = 0;
    for (let round = 1; round <= 12 && cut < 2; round++) {
      const before = readdirSync(snapshotDir(node1))
        .filter((f) => f.endsWith(".bin"))
        .map((f) => ({ f, bytes: readFileSync(join(snapshotDir(node1), f)) }));
      const request = fetch(`${node1.url}/api/v1/control/snapshots/create`, {
        method: "POST",
        headers: { authorization: `Bearer ${node1.token}` },
      }).catch(() => undefined);
      // Until a temporary file shows up (or the write is over), then kill -9.
      const started = performance.now();
      while (temps(node1).length === 0 && performance.now() - started < 3000)
        await new Promise((r) => setTimeout(r, 5));
      const writing = temps(node1).length > 0;
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      await kill9();
      await request;
      const leftover = temps(node1);
      if (leftover.length > 0) cut++;
      t.diagnostic(
        `round ${round}: ${writing ? "writing" : "not seen writing"} at the kill, ${leftover.length} temporary file(s) left`,
      );
      await cluster.restart(1);
      assert.deepEqual(temps(node1), [], "the restarted node removes the interrupted write");
      for (const f of readdirSync(snapshotDir(node1)).filter((n) => n.endsWith(".bin"))) {
        const path = join(snapshotDir(node1), f);
        const contents = await readSnapshotFile(path);
        const old = before.find((b) => b.f === f);
        const same = old !== undefined && Buffer.compare(old.bytes, readFileSync(path)) === 0;
        t.diagnostic(
          `  ${f}: ${same ? "the previous file" : "a new file"}, ${contents.header.type} at ${contents.header.sepMilestoneIndex}, ${statSync(path).size} B`,
        );
      }
      await consistent(`round ${round}`);
    }
    assert.ok(cut >= 2, `a kill landed in the middle of a snapshot write ${cut} times`);
  });

  it("refuses a truncated or a tampered snapshot at start with one line and exit code 2", async () => {
    const full = join(snapshotDir(node1), "full_snapshot.bin");
    const bytes = readFileSync(full);
    const { header } = await readSnapshotFile(full);
    assert.equal(header.type, "full");
    const dir = tempDir();
    try {
      // The amount of the 10th output, one token more: the supply no longer adds up.
      const seps = bytes.readBigUInt64LE(26);
      const amountAt = 90 + Number(seps) * 32 + 9 * 108 + 100;
      const tampered = Buffer.from(bytes);
      tampered.writeBigUInt64LE(tampered.readBigUInt64LE(amountAt) + 1n, amountAt);
      const cases: [string, Buffer, RegExp][] = [
        ["truncated", bytes.subarray(0, Math.floor(bytes.length / 2)), /file ends inside output/],
        ["tampered", tampered, /not the total supply/],
      ];
      for (const [name, content, why] of cases) {
        const nodeDir = join(dir, name);
        copyFileSync(join(node1.dir, "config.json"), join(dir, `${name}.json`));
        const config = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
        writeFileSync(join(dir, `${name}.bin`), content);
        const cfg = {
          ...config,
          db: { path: join(nodeDir, "db") },
          snapshots: { fullPath: join(dir, `${name}.bin`), deltaPath: join(dir, `${name}-delta.bin`) },
          restAPI: { ...config.restAPI, bindAddress: "127.0.0.1:0" },
          p2p: { ...config.p2p, bindMultiAddresses: ["/ip4/127.0.0.1/tcp/0"], peers: [] },
        };
        writeFileSync(join(dir, `${name}.json`), JSON.stringify(cfg));
        const started = startNode(join(dir, `${name}.json`), {}, 60_000);
        const err = await started.then(
          async (n) => {
            await n.stop();
            return undefined;
          },
          (e: Error) => e.message,
        );
        assert.ok(err, `${name}: the node started`);
        assert.match(err, /exited with 2 before ready/, name);
        const lines = err.split("\n").filter((l) => l.startsWith("stinger: "));
        assert.equal(lines.length, 1, `${name}: one error line\n${err}`);
        assert.match(lines[0]!, why, name);
        assert.ok(lines[0]!.includes(`${name}.bin`), `${name}: the line names the file`);
      }
    } finally {
      removeDir(dir);
    }
  });
});
