// A node whose database disk fills up: node 1 of a two-node genesis cluster keeps its database on a
// small tmpfs of its own, and a filler file takes the rest of it while value transfers (to node 0) and
// data submits (to node 1) go on. Writes to node 1 then answer 503 with the JSON error shape and a
// Retry-After, reads keep answering, the process stays up and logs the condition once. When the filler
// goes the node stores again, catches up with node 0 to the same ledger state, and after a kill -9 and
// a restart its ledger verifies and every message it or node 0 acknowledged with 201 is there.
// Needs root (mount -t tmpfs), like the network-namespace tests.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateEd25519Seed } from "../../src/protocol/keys.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import { type ClusterNode, type GenesisCluster, startCluster } from "../helpers/cluster.ts";
import { waitFor } from "../helpers/devnet.ts";
import {
  getJson,
  info,
  LedgerModel,
  logTail,
  MilestoneTracker,
  missingMessages,
  stateHashAt,
  TransferStream,
  verifyLedger,
} from "../helpers/ledger.ts";
import { freePort } from "../helpers/peers.ts";
import { wallet } from "../helpers/transactions.ts";

const TMPFS_BYTES = 24 << 20;
const FULL_LINE = "database disk full";
const RECOVERED_LINE = "database disk has space again";

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: "pipe", timeout: 20_000 });

interface Submit {
  status: number | "cut";
  body: string;
  retryAfter: string | null;
}

/** A data message posted as JSON (the node picks tips and does the PoW). */
async function submitData(node: ClusterNode, seq: number): Promise<Submit> {
  try {
    const res = await fetch(`${node.url}/api/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        payload: {
          type: 2,
          index: Buffer.from("disk-full").toString("hex"),
          data: Buffer.alloc(512, seq % 256).toString("hex"),
        },
      }),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: await res.text(), retryAfter: res.headers.get("retry-after") };
  } catch (err) {
    return { status: "cut", body: String(err), retryAfter: null };
  }
}

const messageIdOf = (s: Submit) => (JSON.parse(s.body) as { data: { messageId: string } }).data.messageId;

function occurrences(text: string, line: string): number {
  return text.split("\n").filter((l) => l.includes(line)).length;
}

describe("a node whose database disk fills up", () => {
  const mountPoint = mkdtempSync(join(tmpdir(), "stinger-diskfull-"));
  const filler = join(mountPoint, "filler");
  let mounted = false;
  let cluster: GenesisCluster;
  let nodes: ClusterNode[];
  let model: LedgerModel;
  let tracker: MilestoneTracker;
  let transfers: TransferStream | undefined;
  /** message IDs node 1 answered 201 for */
  const acked: string[] = [];
  let seq = 0;
  let metricsUrl = "";

  before(async () => {
    assert.equal(process.getuid?.(), 0, "mounting a tmpfs needs root (npm test runs as root in CI)");
    run("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_BYTES},mode=0700`, "tmpfs", mountPoint]);
    mounted = true;
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    cluster = await startCluster(2, {
      genesis: true,
      milestoneInterval: "1s",
      config: (i) =>
        i === 1
          ? {
              db: { path: join(mountPoint, "db") },
              prometheus: { enabled: true, bindAddress: `127.0.0.1:${metricsPort}` },
            }
          : {},
    });
    nodes = cluster.nodes;
    const wallets = [cluster.mint, ...Array.from({ length: 4 }, () => wallet(generateEd25519Seed()))];
    model = new LedgerModel(wallets, cluster.mint, TOTAL_SUPPLY);
    await waitFor(async () => (await info(nodes[1]!)).confirmedMilestoneIndex >= 1, 60_000, "node 1 synced");
    tracker = new MilestoneTracker(cluster, model);
  });

  after(async () => {
    await transfers?.stop();
    await tracker?.stop();
    await cluster?.stop();
    if (mounted) run("umount", ["-l", mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it("answers writes with 503 and Retry-After while full, keeps serving reads, and stays up", async (t) => {
    const node1 = nodes[1]!;
    // Transfers go to node 0 all along: node 1 receives them by gossip and must not lose them.
    transfers = new TransferStream(cluster, model, [0, 0], { maxInFlight: 8 });
    for (let i = 0; i < 5; i++) {
      const s = await submitData(node1, seq++);
      assert.equal(s.status, 201, s.body);
      acked.push(messageIdOf(s));
    }
    // The filler takes every free byte of the tmpfs but what one or two more milestones need.
    const { bavail, bsize } = statfsSync(mountPoint);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 64 * 1024)));

    const refused: Submit[] = [];
    const unexpected: Submit[] = [];
    for (let i = 0; i < 400 && refused.length < 5; i++) {
      const s = await submitData(node1, seq++);
      if (s.status === 201) acked.push(messageIdOf(s));
      else if (s.status === 503) refused.push(s);
      else unexpected.push(s);
    }
    const fullAt = await info(node1);
    t.diagnostic(
      `filling: ${acked.length - 5} more accepted, then ${refused.length} refused; node 1 at milestone ${fullAt.confirmedMilestoneIndex}`,
    );
    assert.deepEqual(unexpected, [], "only 201 or 503 while the disk fills");
    assert.ok(refused.length >= 5, `writes refused once the disk is full:\n${logTail(node1, 30)}`);
    for (const s of refused) {
      const body = JSON.parse(s.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "503");
      assert.match(body.error.message, /disk is full/);
      assert.equal(s.retryAfter, "10");
    }

    // Reads go on: the node's info, a message it stored, the ledger.
    assert.equal((await getJson(`${node1.url}/api/v1/info`)).status, 200);
    assert.equal((await getJson(`${node1.url}/api/v1/messages/${acked[0]}`)).status, 200);
    assert.equal((await getJson(`${node1.url}/api/v1/messages/${acked[0]}/metadata`)).status, 200);
    assert.equal((await getJson(`${node1.url}/api/v1/tips`)).status, 200);
    const v = await verifyLedger(node1);
    assert.deepEqual(v.problems, []);
    assert.equal(v.supply, Number(TOTAL_SUPPLY));

    // Milestones and transfers keep arriving from node 0 while node 1 cannot store them.
    const cmi0 = (await info(nodes[0]!)).confirmedMilestoneIndex;
    const transfersBefore = transfers.ackedTotal;
    await waitFor(
      async () =>
        (await info(nodes[0]!)).confirmedMilestoneIndex >= cmi0 + 10 &&
        transfers!.ackedTotal >= transfersBefore + 5,
      60_000,
      "node 0 confirming milestones and transfers on",
    );
    const stuck = await info(node1);
    t.diagnostic(
      `node 0 confirmed ${(await info(nodes[0]!)).confirmedMilestoneIndex}, full node 1 ${stuck.confirmedMilestoneIndex}`,
    );
    assert.ok(
      stuck.confirmedMilestoneIndex < cmi0 + 10,
      "node 1 cannot confirm what it cannot store (the disk really is full)",
    );
    assert.ok(node1.running && node1.running.proc.exitCode === null, "node 1 is still running");
    const log = node1.running.stderr();
    assert.equal(occurrences(log, FULL_LINE), 1, `the full disk is logged once:\n${logTail(node1, 30)}`);
    const metrics = await getJson<string>(metricsUrl);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^stinger_node_database_full 1$/m);
    assert.match(metrics.body, /^stinger_node_database_write_failures [1-9]/m);
  });

  it("recovers when space returns: stores again and catches up to node 0's ledger", async (t) => {
    const node1 = nodes[1]!;
    rmSync(filler);
    const recovered = await waitFor(
      async () => {
        const s = await submitData(node1, seq++);
        if (s.status === 201) acked.push(messageIdOf(s));
        return s.status === 201 ? s : undefined;
      },
      60_000,
      "a write accepted again",
      500,
    );
    assert.equal(recovered.status, 201);
    assert.match((await getJson<string>(metricsUrl)).body, /^stinger_node_database_full 0$/m);
    await waitFor(
      async () => occurrences(node1.running!.stderr(), RECOVERED_LINE) === 1,
      30_000,
      "the recovery logged",
    );
    await transfers?.stop();
    const stopped = transfers!;
    transfers = undefined;
    assert.deepEqual(stopped.record.errors, [], "no transfer worker error");
    assert.deepEqual(stopped.record.refused, [], "node 0 refused no transfer");
    assert.ok(stopped.ackedTotal > 0, "transfers were acknowledged while node 1 was full");

    const target = (await info(nodes[0]!)).confirmedMilestoneIndex;
    await waitFor(
      async () => (await info(node1)).confirmedMilestoneIndex >= target,
      90_000,
      `node 1 confirmed up to ${target}`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${logTail(node1, 30)}`);
    });
    t.diagnostic(
      `caught up to milestone ${target}; ${acked.length} data messages and ${stopped.ackedTotal} transfers acknowledged`,
    );
    const [h0, h1] = await Promise.all([stateHashAt(nodes[0]!, target), stateHashAt(node1, target)]);
    assert.ok(h0);
    assert.equal(h1, h0, `same ledger state hash at milestone ${target}`);
    // Every acknowledged message reaches both nodes. One that node 1 could not store when it came by
    // gossip is fetched again once a milestone references it (solidification asks node 0), so the last
    // ones may take a few milestones: asked again until one deadline.
    const transferIds = stopped.ackedBy(0);
    const { missing, firstMissing, ms } = await missingMessages([...acked, ...transferIds], nodes, 30_000);
    t.diagnostic(`${firstMissing} message copies not there yet when first asked; all there after ${ms} ms`);
    assert.deepEqual(
      missing.map(({ id, node }) => `${id} on node ${node}`),
      [],
      "every acknowledged message on both nodes",
    );
  });

  it("after kill -9 and a restart the ledger verifies and every acknowledged message is there", async () => {
    const node1 = nodes[1]!;
    await node1.running!.stop("SIGKILL");
    await cluster.restart(1);
    const v = await verifyLedger(node1);
    assert.deepEqual(v.problems, []);
    assert.equal(v.stateHash, v.recomputedStateHash);
    assert.equal(v.supply, Number(TOTAL_SUPPLY));
    for (const id of acked)
      assert.equal((await getJson(`${node1.url}/api/v1/messages/${id}`)).status, 200, id);
    const target = (await info(nodes[0]!)).confirmedMilestoneIndex;
    await waitFor(async () => (await info(node1)).confirmedMilestoneIndex >= target, 60_000, "synced again");
    assert.equal(await stateHashAt(node1, target), await stateHashAt(nodes[0]!, target));
  });
});
