// The UTXO ledger across three real `stinger node` processes started from one genesis snapshot: every node
// holds the same state hash after every milestone while value transfers stream in; a double spend sent to
// two nodes at once includes exactly one; a follower killed with SIGKILL mid-stream catches up to the same
// ledger; and the coordinator killed with SIGKILL while confirming milestones full of transfers comes back
// with a consistent ledger and every transfer it had acknowledged.
//
// The test keeps its own model of the ledger (test/helpers/ledger.ts): which outputs its wallets own once
// each milestone is confirmed. It learns what was confirmed only from the nodes' milestone diffs, and at
// each check it compares every node's balances, outputs and /verify with that model. One cluster serves
// the four tests in order; each ends with every node up, synced and agreeing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeAddress } from "../../src/protocol/bech32.ts";
import { toHex } from "../../src/protocol/hex.ts";
import { generateEd25519Seed } from "../../src/protocol/keys.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import { type ClusterNode, type GenesisCluster, startCluster } from "../helpers/cluster.ts";
import { waitFor } from "../helpers/devnet.ts";
import {
  type Coin,
  data,
  getJson,
  info,
  isUp,
  LedgerModel,
  logTail,
  MilestoneTracker,
  metadata,
  mineOnTips,
  postMessage,
  stateHashAt,
  TransferStream,
  verifyLedger,
} from "../helpers/ledger.ts";
import { type Wallet, wallet } from "../helpers/transactions.ts";

interface OutputJson {
  messageId: string;
  isSpent: boolean;
  milestoneIndexSpent?: number;
  transactionIdSpent?: string;
  output: { address: { address: string }; amount: number };
}

/** Up to `n` random elements. */
function sample<T>(items: T[], n: number): T[] {
  const copy = [...items];
  const out: T[] = [];
  while (out.length < n && copy.length > 0)
    out.push(copy.splice(Math.floor(Math.random() * copy.length), 1)[0]!);
  return out;
}

/** The mint and seven more wallets: output addresses must be unique within a transaction. */
const WALLETS = 8;

describe("the UTXO ledger on three nodes", () => {
  let cluster: GenesisCluster;
  let nodes: ClusterNode[];
  let model: LedgerModel;
  let tracker: MilestoneTracker;

  const logs = () => nodes.map((n, i) => `--- node ${i} (last log lines)\n${logTail(n)}`).join("\n");

  /** Every node up, and its confirmed milestone at least `index` (default: what the model has seen). */
  async function allConfirmed(index = model.appliedIndex, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        const infos = await Promise.all(nodes.map(info));
        return infos.every((x) => x.confirmedMilestoneIndex >= index);
      },
      timeoutMs,
      `every node at milestone ${index}\n${logs()}`,
    );
  }

  /** Waits until the model has no transfer left unconfirmed; says which are stuck, and why, if not. */
  async function drain(timeoutMs = 30_000): Promise<void> {
    try {
      await waitFor(async () => model.sent.size === 0, timeoutMs, "every sent transfer confirmed");
    } catch (err) {
      const stuck = await Promise.all(
        [...model.sent.values()].slice(0, 10).map(async (s) => {
          const metas = await Promise.all(nodes.map((n) => metadata(n, s.messageId).catch(() => undefined)));
          return `${s.messageId} (posted to node ${s.node}, ${s.state}): ${JSON.stringify(metas)}`;
        }),
      );
      throw new Error(`${String(err)}: ${model.sent.size} left, e.g.\n${stuck.join("\n")}\n${logs()}`);
    }
  }

  /**
   * The nodes agree with each other and with the model: the same state hash after every milestone so far;
   * /verify ok with the whole supply; the same current state hash; sampled outputs with their creating
   * message and spender; each wallet's balance and outputs (unspent, and with the spent ones) as the model
   * says. Call it with nothing in flight (after drain).
   */
  async function assertLedgersAgree(): Promise<void> {
    assert.deepEqual(model.problems, [], "the milestone diffs hold only what the test sent");
    assert.equal(model.sent.size, 0);
    const last = model.appliedIndex;
    await allConfirmed(last);
    const mismatches: string[] = [];
    for (let i = 1; i <= last; i++) {
      const hashes = await Promise.all(nodes.map((n) => stateHashAt(n, i)));
      if (hashes.some((h) => h === undefined || h !== hashes[0]))
        mismatches.push(`${i}: ${hashes.join(" ")}`);
    }
    assert.deepEqual(
      mismatches.slice(0, 5),
      [],
      `state hash differs after ${mismatches.length} of ${last} milestones (milestone: node 0 node 1 node 2)`,
    );
    const checks = await Promise.all(nodes.map(verifyLedger));
    checks.forEach((v, i) => {
      assert.deepEqual(v.problems, [], `node ${i}: /verify problems`);
      assert.equal(v.ok, true, `node ${i}: /verify ok`);
      assert.equal(v.recomputedStateHash, v.stateHash, `node ${i}: state hash recomputes`);
      assert.equal(v.supply, Number(TOTAL_SUPPLY), `node ${i}: unspent + treasury = supply`);
      assert.equal(v.unspentSum + v.treasury, v.supply, `node ${i}`);
      assert.equal(v.unspentOutputs, model.unspent.size, `node ${i}: unspent outputs`);
      assert.ok(v.ledgerIndex >= last, `node ${i}: ledger index ${v.ledgerIndex} >= ${last}`);
      // Nothing in flight: milestones after `last` change nothing, so every node's current hash is the same.
      assert.equal(v.stateHash, checks[0]!.stateHash, `node ${i}: current state hash`);
    });
    for (const [i, node] of nodes.entries()) {
      const current = await data<{ ledgerIndex: number; stateHash: string; treasury: number }>(
        `${node.url}/api/plugins/stinger/ledger`,
        node.token,
      );
      assert.deepEqual(
        [current.stateHash, current.treasury],
        [checks[0]!.stateHash, 0],
        `node ${i}: /ledger`,
      );
      // Outputs one by one: a sample of unspent and of spent ones, with who created and who spent them.
      for (const c of sample([...model.unspent.values()], 5)) {
        const o = await data<OutputJson>(`${node.url}/api/v1/outputs/${c.id}`);
        assert.deepEqual(
          [o.messageId, o.isSpent, o.output.address.address, o.output.amount],
          [c.messageId, false, toHex(c.owner.address), Number(c.amount)],
          `node ${i}: output ${c.id}`,
        );
      }
      for (const s of sample([...model.spent.values()], 5)) {
        const o = await data<OutputJson>(`${node.url}/api/v1/outputs/${s.coin.id}`);
        assert.deepEqual(
          [o.messageId, o.isSpent, o.transactionIdSpent, o.milestoneIndexSpent, o.output.amount],
          [s.coin.messageId, true, s.transactionId, s.milestone, Number(s.coin.amount)],
          `node ${i}: spent output ${s.coin.id}`,
        );
      }
      for (const w of model.wallets) {
        const hex = toHex(w.address);
        const b = await waitFor(
          async () => {
            const r = await getJson<{ data: { balance: number; ledgerIndex: number } }>(
              `${node.url}/api/v1/addresses/ed25519/${hex}`,
            );
            return r.status === 200 ? r.body.data : undefined; // 503 while a milestone is being confirmed
          },
          10_000,
          `balance of ${hex} on node ${i}`,
        );
        assert.equal(b.balance, Number(model.balanceOf(w)), `node ${i}: balance of ${hex}`);
        const outs = await waitFor(
          async () => {
            const r = await getJson<{ data: { outputIds: string[] } }>(
              `${node.url}/api/v1/addresses/ed25519/${hex}/outputs`,
            );
            return r.status === 200 ? r.body.data : undefined;
          },
          10_000,
          `outputs of ${hex} on node ${i}`,
        );
        assert.deepEqual(
          [...outs.outputIds].sort(),
          model.coinsOf(w).sort(),
          `node ${i}: unspent outputs of ${hex}`,
        );
        const all = await data<{ outputIds: string[] }>(
          `${node.url}/api/v1/addresses/${encodeAddress("atoi", w.address)}/outputs?include-spent=true`,
        );
        const spentOf = [...model.spent.values()].filter((s) => s.coin.owner === w).map((s) => s.coin.id);
        assert.deepEqual(
          [...all.outputIds].sort(),
          [...model.coinsOf(w), ...spentOf].sort(),
          `node ${i}: outputs of ${hex}, spent ones included (bech32 route)`,
        );
      }
    }
  }

  /**
   * SIGKILL `node` as soon as it is seen between storing a milestone and confirming it (latest milestone
   * above the confirmed one): the kill then lands while the milestone's ledger changes are being
   * computed or written. Asks back to back, so the short window is seen; if it is not seen within the
   * deadline the node is killed anyway. Says which it was.
   */
  async function killWhileConfirming(node: ClusterNode, deadlineMs = 15_000): Promise<string> {
    const deadline = Date.now() + deadlineMs;
    let seen: { latestMilestoneIndex: number; confirmedMilestoneIndex: number } | undefined;
    while (!seen && Date.now() < deadline) {
      const i = await info(node).catch(() => undefined);
      if (i && i.latestMilestoneIndex > i.confirmedMilestoneIndex) seen = i;
    }
    await node.running!.stop("SIGKILL");
    return seen
      ? `killed with milestone ${seen.latestMilestoneIndex} stored and ${seen.confirmedMilestoneIndex} confirmed`
      : `killed at a random moment (no unconfirmed milestone seen in ${deadlineMs / 1000} s)`;
  }

  /** Sends transfers (inputs → pays), each to its node, and waits until the ledger has included them all. */
  async function confirmTransfers(
    transfers: { node: number; inputs: Coin[]; pays: { to: Wallet; amount: bigint }[] }[],
  ): Promise<string[]> {
    const ids = await Promise.all(
      transfers.map(async (t) => {
        const { tx, transactionId, outputs } = model.build(t.inputs, t.pays);
        const mined = await mineOnTips(nodes[t.node]!, tx);
        model.send({ messageId: mined.id, transactionId, inputs: t.inputs, outputs, node: t.node });
        const answer = await postMessage(nodes[t.node]!, mined.bytes);
        assert.equal(answer.status, 201, answer.body);
        return mined.id;
      }),
    );
    await waitFor(async () => ids.every((id) => model.included.has(id)), 30_000, "the transfers confirmed");
    return ids;
  }

  before(async () => {
    cluster = await startCluster(3, { genesis: true, milestoneInterval: "1s" });
    nodes = cluster.nodes;
    const wallets = [
      cluster.mint,
      ...Array.from({ length: WALLETS - 1 }, () => wallet(generateEd25519Seed())),
    ];
    model = new LedgerModel(wallets, cluster.mint, TOTAL_SUPPLY);
    await allConfirmed(1, 60_000);
    tracker = new MilestoneTracker(cluster, model);
  });

  after(async () => {
    await tracker?.stop();
    await cluster?.stop();
  });

  it("three nodes hold the same ledger state hash after every milestone while transfers are confirmed", async (t) => {
    // Every node starts from the genesis: the whole supply on the mint.
    for (const node of nodes) {
      const g = await data<{ isSpent: boolean; output: { amount: number } }>(
        `${node.url}/api/v1/outputs/${"00".repeat(34)}`,
      );
      assert.deepEqual([g.isSpent, g.output.amount], [false, Number(TOTAL_SUPPLY)]);
      const bech32 = encodeAddress("atoi", cluster.mint.address);
      const b = await data<{ balance: number }>(`${node.url}/api/v1/addresses/${bech32}`);
      assert.equal(b.balance, Number(TOTAL_SUPPLY));
    }
    const [mint, ...others] = model.wallets;
    // The mint pays 100 Ti to each other wallet, then each of the eight outputs is split over five other
    // wallets (with change): 48 outputs, submitted round-robin to the three nodes.
    const genesis = model.take(1);
    const share = 100_000_000_000_000n;
    await confirmTransfers([
      {
        node: 0,
        inputs: genesis,
        pays: [
          ...others.map((to) => ({ to, amount: share })),
          { to: mint!, amount: TOTAL_SUPPLY - share * BigInt(others.length) },
        ],
      },
    ]);
    const coins = model.take(WALLETS);
    assert.equal(coins.length, WALLETS);
    await confirmTransfers(
      coins.map((c, i) => {
        const to = model.wallets.filter((w) => w !== c.owner).slice(0, 5);
        const piece = c.amount / 10n;
        return {
          node: i % 3,
          inputs: [c],
          pays: [
            ...to.map((w) => ({ to: w, amount: piece })),
            { to: c.owner, amount: c.amount - piece * 5n },
          ],
        };
      }),
    );
    assert.equal(model.unspent.size, WALLETS * 6);

    // Then a stream of transfers between the wallets, two workers per node.
    const startIndex = model.appliedIndex;
    const start = model.included.size;
    const stream = new TransferStream(cluster, model, [0, 1, 2, 0, 1, 2], { maxInFlight: 24 });
    try {
      await waitFor(
        async () =>
          model.included.size - start >= 90 &&
          [...tracker.transfersAt].filter(([i, n]) => i > startIndex && n > 0).length >= 4,
        90_000,
        `90 streamed transfers confirmed over 4 milestones\n${logs()}`,
      );
    } finally {
      await stream.stop();
    }
    await drain();
    assert.deepEqual(stream.record.errors, [], "no worker error");
    assert.deepEqual(stream.record.refused, [], "no transfer refused");
    assert.deepEqual(stream.record.cut, [], "no submit cut off");
    const busiest = Math.max(...[...tracker.transfersAt].filter(([i]) => i > startIndex).map(([, n]) => n));
    t.diagnostic(
      `${model.included.size - start} streamed transfers in milestones ${startIndex + 1}..${model.appliedIndex} (at most ${busiest} in one); ${model.unspent.size} outputs`,
    );
    await assertLedgersAgree();
  });

  it("a double spend posted to two nodes at once: one included, the other conflicting", async (t) => {
    const [coin] = model.take(1);
    assert.ok(coin);
    const [b, c] = model.wallets.filter((w) => w !== coin.owner);
    const spends = [
      { node: 1, ...model.build([coin], [{ to: b!, amount: coin.amount }]) },
      { node: 2, ...model.build([coin], [{ to: c!, amount: coin.amount }]) },
    ];
    const mined = await Promise.all(spends.map((s) => mineOnTips(nodes[s.node]!, s.tx)));
    const sent = spends.map((s, i) =>
      model.send({
        messageId: mined[i]!.id,
        transactionId: s.transactionId,
        inputs: [coin],
        outputs: s.outputs,
        node: s.node,
      }),
    );
    // Both at the same moment, to different nodes: neither node has seen the other yet.
    const answers = await Promise.all(spends.map((s, i) => postMessage(nodes[s.node]!, mined[i]!.bytes)));
    assert.deepEqual(
      answers.map((a) => a.status),
      [201, 201],
      answers.map((a) => a.body).join(" / "),
    );
    // Referenced on every node, with the same verdict everywhere.
    const verdicts = await Promise.all(
      nodes.map((node, n) =>
        Promise.all(
          mined.map((m) =>
            waitFor(
              async () => {
                const meta = await metadata(node, m.id);
                return meta?.referencedByMilestoneIndex !== undefined ? meta : undefined;
              },
              30_000,
              `${m.id} referenced on node ${n}`,
            ),
          ),
        ),
      ),
    );
    for (const [n, v] of verdicts.entries()) assert.deepEqual(v, verdicts[0], `node ${n} judges as node 0`);
    const states = verdicts[0]!.map((m) => m.ledgerInclusionState);
    assert.deepEqual([...states].sort(), ["conflicting", "included"], JSON.stringify(verdicts[0]));
    const w = states.indexOf("included");
    const [winner, loser] = [verdicts[0]![w]!, verdicts[0]![1 - w]!];
    const reason = loser.conflictReason;
    if (reason === 2) {
      // Both in the cone of one milestone: the later one in white-flag order lost.
      assert.equal(loser.referencedByMilestoneIndex, winner.referencedByMilestoneIndex);
    } else {
      assert.equal(reason, 1, `conflict reason ${reason}: expected 1 (spent earlier) or 2 (same milestone)`);
      assert.ok(loser.referencedByMilestoneIndex! > winner.referencedByMilestoneIndex!);
    }
    t.diagnostic(
      `saw conflict reason ${reason} (${reason === 2 ? "input spent in the same milestone" : "input already spent"}): ` +
        `the transfer posted to node ${spends[w]!.node} was included by milestone ${winner.referencedByMilestoneIndex}, ` +
        `the one posted to node ${spends[1 - w]!.node} conflicting in milestone ${loser.referencedByMilestoneIndex}`,
    );
    await waitFor(async () => model.included.has(sent[w]!.messageId), 30_000, "the winner booked");
    model.forget(sent[1 - w]!.messageId);
    const winnerTx = sent[w]!.transactionId;
    for (const [n, node] of nodes.entries()) {
      const o = await data<{ isSpent: boolean; transactionIdSpent?: string; milestoneIndexSpent?: number }>(
        `${node.url}/api/v1/outputs/${coin.id}`,
      );
      assert.deepEqual(
        [o.isSpent, o.transactionIdSpent, o.milestoneIndexSpent],
        [true, winnerTx, winner.referencedByMilestoneIndex],
        `node ${n}: the coin is spent by the included transfer`,
      );
      const lost = await getJson(`${node.url}/api/v1/outputs/${sent[1 - w]!.outputs[0]!.id}`);
      assert.equal(lost.status, 404, `node ${n}: the conflicting transfer created no output`);
      const incl = await data<{ messageId?: string }>(
        `${node.url}/api/v1/transactions/${winnerTx}/included-message/metadata`,
      );
      assert.equal(incl.messageId, winner.messageId);
    }
    // The same coin spent once more, now that the ledger has it spent: conflicting, reason 1, everywhere.
    const late = model.build(
      [coin],
      [{ to: model.wallets.filter((x) => x !== coin.owner)[2]!, amount: coin.amount }],
    );
    const lateMsg = await mineOnTips(nodes[0]!, late.tx);
    assert.equal((await postMessage(nodes[0]!, lateMsg.bytes)).status, 201);
    for (const [n, node] of nodes.entries()) {
      const meta = await waitFor(
        async () => {
          const m = await metadata(node, lateMsg.id);
          return m?.referencedByMilestoneIndex !== undefined ? m : undefined;
        },
        30_000,
        `the late double spend referenced on node ${n}`,
      );
      assert.deepEqual(
        [meta.ledgerInclusionState, meta.conflictReason],
        ["conflicting", 1],
        `node ${n}: a transfer of an output spent by an earlier milestone`,
      );
    }
    await assertLedgersAgree();
  });

  it("a follower killed with SIGKILL during transfers restarts, catches up and holds the same ledger", async (t) => {
    const victim = nodes[1]!;
    const stream = new TransferStream(cluster, model, [0, 1, 2, 0, 1, 2], { maxInFlight: 24 });
    let killedAt = "";
    let restartedAt = 0;
    try {
      const start = model.included.size;
      await waitFor(async () => model.included.size >= start + 30, 60_000, "30 streamed transfers confirmed");
      // Nothing in flight to the victim, so none of its answers is cut off: its database is the subject.
      await stream.pause(1);
      killedAt = await killWhileConfirming(victim);
      const downFrom = model.appliedIndex;
      await waitFor(
        async () => [...tracker.transfersAt].filter(([i, n]) => i > downFrom && n > 0).length >= 3,
        60_000,
        "three milestones with transfers while the follower is down",
      );
      await cluster.restart(1);
      restartedAt = (await info(nodes[0]!)).confirmedMilestoneIndex;
      await waitFor(
        async () => (await info(victim)).confirmedMilestoneIndex >= restartedAt,
        60_000,
        `the follower catches up to milestone ${restartedAt}\n${logs()}`,
      );
      // It takes transfers again.
      stream.resume(1);
      const before = stream.ackedBy(1).length;
      await waitFor(
        async () =>
          stream
            .ackedBy(1)
            .slice(before)
            .filter((id) => model.included.has(id)).length >= 10,
        60_000,
        "10 transfers posted to the restarted follower confirmed",
      );
    } finally {
      await stream.stop();
    }
    await drain();
    assert.deepEqual(stream.record.errors, [], "no worker error");
    assert.deepEqual(stream.record.refused, [], "no transfer refused");
    assert.deepEqual(stream.record.cut, [], "no submit cut off");
    t.diagnostic(
      `follower ${killedAt}; restarted while the others were at ${restartedAt}; ledger at ${model.appliedIndex}; ` +
        `${stream.record.noTips.length} tip requests failed (nothing posted)`,
    );
    await assertLedgersAgree();
  });

  it("kill -9 of the coordinator while it confirms milestones full of transfers loses nothing it acknowledged", async (t) => {
    const coo = nodes[0]!;
    // Every transfer goes to the coordinator node, so every acknowledgement is its own.
    const stream = new TransferStream(cluster, model, [0, 0, 0, 0], { maxInFlight: 32 });
    const startIndex = model.appliedIndex;
    let killed = "";
    try {
      await waitFor(
        async () => [...tracker.transfersAt].filter(([i, n]) => i > startIndex && n >= 8).length >= 2,
        60_000,
        "two milestones with 8 transfers or more",
      );
      killed = await killWhileConfirming(coo);
    } finally {
      await stream.stop();
    }
    assert.deepEqual(stream.record.errors, [], "no worker error");
    const acked = [...stream.ackedBy(0)];
    const cut = [...stream.record.cut];
    // The followers are stopped too, so that only node 0's own database can answer after its restart:
    // nothing it lost could come back by gossip.
    for (const i of [1, 2]) assert.equal(await nodes[i]!.running!.stop(), 0, `node ${i} stops cleanly`);
    await cluster.restart(0);
    const adopted = /adopted a stored milestone/.test(coo.running!.stderr());

    const v = await verifyLedger(coo);
    assert.deepEqual(v.problems, [], "node 0 /verify after the kill");
    assert.equal(v.ok, true);
    assert.equal(v.recomputedStateHash, v.stateHash);
    assert.equal(v.supply, Number(TOTAL_SUPPLY));
    const lost: string[] = [];
    for (const id of acked) {
      const r = await getJson(`${coo.url}/api/v1/messages/${id}`);
      if (r.status !== 200) lost.push(`${id}: ${r.status}`);
    }
    assert.deepEqual(lost, [], `acknowledged transfers missing after the restart (of ${acked.length})`);
    // A submit the kill cut off was stored or not; if not, it never reached another node either.
    let cutStored = 0;
    for (const id of cut) {
      const r = await getJson(`${coo.url}/api/v1/messages/${id}`);
      assert.ok(r.status === 200 || r.status === 404, `${id}: ${r.status}`);
      if (r.status === 200) cutStored++;
      else model.forget(id);
    }

    // The network moves on: the followers come back, and every stored transfer is confirmed everywhere.
    await Promise.all([1, 2].map((i) => cluster.restart(i)));
    assert.ok(nodes.every(isUp));
    await drain(60_000);
    for (const [n, node] of nodes.entries()) {
      for (const id of acked) {
        const meta = await waitFor(
          async () => {
            const m = await metadata(node, id);
            return m?.referencedByMilestoneIndex !== undefined ? m : undefined;
          },
          30_000,
          `${id} referenced on node ${n}`,
        );
        assert.equal(meta.ledgerInclusionState, "included", `node ${n}: ${id}`);
      }
    }
    t.diagnostic(
      `coordinator ${killed}; after the restart its ledger was at ${v.ledgerIndex}` +
        `${adopted ? ", and it adopted a milestone its state file did not have" : ""}; ${acked.length} transfers ` +
        `acknowledged, ${cut.length} cut off by the kill (${cutStored} of them stored)`,
    );
    await assertLedgersAgree();
  });
});
