// A node that disagrees with a milestone does not apply it: an inclusion Merkle proof other than the node's
// own white-flag result (or a receipt that does not add up) stops confirmation, makes the node unhealthy,
// and leaves ledger and metadata exactly as they were; the right proof confirms, with the ledger changed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Ledger } from "../../src/node/ledger/ledger.ts";
import { createNodeMetrics } from "../../src/node/metrics.ts";
import { Store } from "../../src/node/store/store.ts";
import { NULL_MESSAGE_ID } from "../../src/node/tangle/tangle.ts";
import { ed25519PublicKey } from "../../src/protocol/ed25519.ts";
import { toHex } from "../../src/protocol/hex.ts";
import { merkleRoot } from "../../src/protocol/merkle.ts";
import { messageId, serializeMessage } from "../../src/protocol/message.ts";
import { signMilestone } from "../../src/protocol/milestone.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import type { TransactionPayload } from "../../src/protocol/types.ts";
import { inProcessTangle } from "../helpers/tangle.ts";
import { outputsOf, transaction, wallet } from "../helpers/transactions.ts";

const SEED = new Uint8Array(32).fill(9);
const NETWORK = 77n;
const mint = wallet(new Uint8Array(32).fill(5));
const bob = wallet(new Uint8Array(32).fill(6));

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "stinger-halt-"));
  const store = new Store(dir);
  const ledger = new Ledger(store.root);
  await ledger.loadSnapshot(
    [
      {
        outputId: new Uint8Array(34),
        messageId: NULL_MESSAGE_ID,
        outputType: 0,
        address: mint.address,
        amount: TOTAL_SUPPLY,
        bookedAt: 0,
      },
    ],
    { milestoneId: new Uint8Array(32), amount: 0n },
    0,
  );
  const metrics = createNodeMetrics();
  const { tangle } = inProcessTangle(
    store,
    { networkId: NETWORK, keyRanges: [{ key: ed25519PublicKey(SEED), start: 0, end: 0 }] },
    { ledger, metrics },
  );
  await tangle.start();
  return { dir, store, ledger, tangle, metrics };
}

function milestone(index: number, parents: Uint8Array[], proof: Uint8Array): Uint8Array {
  const payload = signMilestone(
    { index, timestamp: Math.floor(Date.now() / 1000), parents, inclusionMerkleProof: proof },
    [SEED],
  );
  return serializeMessage({ networkId: NETWORK, parents, payload, nonce: 1n });
}

describe("confirmation halts on a milestone this node disagrees with", () => {
  const envs: Awaited<ReturnType<typeof setup>>[] = [];
  after(async () => {
    for (const e of envs) {
      await e.store.close();
      rmSync(e.dir, { recursive: true, force: true });
    }
  });

  const tx: TransactionPayload = transaction(
    [{ outputId: new Uint8Array(34), owner: mint }],
    [
      { address: bob.address, amount: 5_000_000n },
      { address: mint.address, amount: TOTAL_SUPPLY - 5_000_000n },
    ],
  );
  const txMessage = serializeMessage({
    networkId: NETWORK,
    parents: [NULL_MESSAGE_ID],
    payload: tx,
    nonce: 1n,
  });
  const txId = messageId(txMessage);

  it("a wrong inclusion Merkle proof: nothing applied, node unhealthy, metric set, later milestones wait", async () => {
    const env = await setup();
    envs.push(env);
    await env.tangle.submit(txMessage, "gossip");
    const hashBefore = toHex(env.ledger.stateHash());
    // The proof of an empty set, though the cone holds a valid transfer.
    await env.tangle.submit(milestone(1, [txId], merkleRoot([])), "gossip");
    await env.tangle.idle();
    assert.equal(env.tangle.confirmedMilestoneIndex, 0);
    assert.deepEqual(env.tangle.halted, { index: 1, reason: "inclusion Merkle proof mismatch" });
    assert.equal(env.tangle.isHealthy(), false);
    assert.match(await env.metrics.registry.metrics(), /stinger_node_confirmation_halted 1/);
    assert.equal(env.store.getMeta(txId)?.r, undefined);
    assert.equal(env.ledger.index, 0);
    assert.equal(toHex(env.ledger.stateHash()), hashBefore);
    assert.equal(env.ledger.balance(bob.address).balance, 0n);
    // A further (even correct) milestone is not applied on top of the one refused.
    await env.tangle.submit(milestone(2, [txId], merkleRoot([txId])), "gossip");
    await env.tangle.idle();
    assert.equal(env.tangle.confirmedMilestoneIndex, 0);
  });

  it("the right proof confirms: the transfer included, the ledger at the milestone", async () => {
    const env = await setup();
    envs.push(env);
    await env.tangle.submit(txMessage, "gossip");
    await env.tangle.submit(milestone(1, [txId], merkleRoot([txId])), "gossip");
    await env.tangle.idle();
    assert.equal(env.tangle.confirmedMilestoneIndex, 1);
    assert.equal(env.tangle.halted, undefined);
    assert.equal(env.store.getMeta(txId)?.l, 1);
    assert.equal(env.ledger.index, 1);
    assert.equal(env.ledger.balance(bob.address).balance, 5_000_000n);
    assert.deepEqual(env.ledger.diff(1)!.created.map(toHex), outputsOf(tx).map(toHex));
    assert.deepEqual(env.ledger.verify().problems, []);
  });
});

describe("two copies of one milestone", () => {
  it("submitted at once (another nonce each): one is stored and confirmed, the other refused as known", async () => {
    const env = await setup();
    try {
      const copy = (nonce: bigint) => {
        const bytes = milestone(1, [NULL_MESSAGE_ID], merkleRoot([]));
        new DataView(bytes.buffer).setBigUint64(bytes.length - 8, nonce, true);
        return bytes;
      };
      const [a, b] = [copy(11n), copy(12n)];
      const results = await Promise.allSettled([
        env.tangle.submit(a, "gossip"),
        env.tangle.submit(b, "gossip"),
      ]);
      const stored = results.filter((r) => r.status === "fulfilled");
      const refused = results.filter((r) => r.status === "rejected");
      assert.equal(stored.length, 1);
      assert.match(String((refused[0] as PromiseRejectedResult).reason), /index 1 is already known/);
      const winner = results[0]!.status === "fulfilled" ? a : b;
      await env.tangle.idle();
      assert.equal(toHex(env.store.getMilestone(1)!.messageId), toHex(messageId(winner)));
      assert.equal(env.tangle.confirmedMilestoneIndex, 1);
    } finally {
      await env.store.close();
      rmSync(env.dir, { recursive: true, force: true });
    }
  });
});
