// Messages from gossip may arrive before their parents: they wait unsolid and become solid (and a
// milestone confirmed) as soon as the missing past cone arrives.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Store } from "../../src/node/store/store.ts";
import { NULL_MESSAGE_ID } from "../../src/node/tangle/tangle.ts";
import { ed25519PublicKey } from "../../src/protocol/ed25519.ts";
import { toHex } from "../../src/protocol/hex.ts";
import { merkleRoot } from "../../src/protocol/merkle.ts";
import { messageId, serializeMessage } from "../../src/protocol/message.ts";
import { signMilestone } from "../../src/protocol/milestone.ts";
import type { Message } from "../../src/protocol/types.ts";
import { inProcessTangle } from "../helpers/tangle.ts";

const SEED = new Uint8Array(32).fill(9);
const NETWORK = 77n;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "stinger-solid-"));
  const store = new Store(dir);
  const { tangle, events } = inProcessTangle(store, {
    networkId: NETWORK,
    keyRanges: [{ key: ed25519PublicKey(SEED), start: 0, end: 0 }],
    requiresPeers: true,
  });
  return { dir, store, events, tangle };
}

const data = (parents: Uint8Array[], tag: number): Uint8Array =>
  serializeMessage({
    networkId: NETWORK,
    parents,
    payload: { type: 2, index: Buffer.from("s"), data: Buffer.from([tag]) },
    nonce: 1n,
  } satisfies Message);

describe("solidification of out-of-order messages", () => {
  const env = setup();
  after(async () => {
    await env.store.close();
    rmSync(env.dir, { recursive: true, force: true });
  });

  const a = data([NULL_MESSAGE_ID], 1);
  const b = data([messageId(a)], 2);
  const c = data([messageId(b)], 3);

  it("the API refuses a message whose parents are unknown", async () => {
    await assert.rejects(env.tangle.submit(c), /parents are unknown or not solid/);
  });

  it("gossip stores it unsolid and asks for the missing parent", async () => {
    const missing: string[] = [];
    env.events.on("missingParents", (_id, ids) => missing.push(...ids.map(toHex)));
    await env.tangle.submit(c, "gossip");
    await env.tangle.submit(b, "gossip");
    assert.deepEqual(missing, [toHex(messageId(b)), toHex(messageId(a))]);
    assert.equal(env.store.getMeta(messageId(c))?.s, false);
    assert.equal(env.store.getMeta(messageId(b))?.s, false);
  });

  it("the missing root makes the whole future cone solid, and a waiting milestone confirms", async () => {
    const parents = [messageId(c)];
    const payload = signMilestone(
      { index: 1, timestamp: 1_700_000_000, parents, inclusionMerkleProof: merkleRoot([]) },
      [SEED],
    );
    const ms = serializeMessage({ networkId: NETWORK, parents, payload, nonce: 1n });
    await env.tangle.submit(ms, "gossip");
    assert.equal(env.tangle.latestMilestoneIndex, 1);
    assert.equal(env.tangle.confirmedMilestoneIndex, 0);

    const solid: string[] = [];
    env.events.on("messageSolid", (id) => solid.push(toHex(id)));
    await env.tangle.submit(a, "gossip");
    assert.deepEqual(
      solid,
      [a, b, c, ms].map((m) => toHex(messageId(m))),
    );
    await env.tangle.idle();
    assert.equal(env.tangle.confirmedMilestoneIndex, 1);
    for (const m of [a, b, c]) assert.equal(env.store.getMeta(messageId(m))?.r, 1);
  });
});

// Behind a load balancer without sticky sessions a client reads tips from one node and posts to
// another: the parents may still be a gossip hop away. With peers connected the API submit waits.
describe("an API submit whose parents are on their way", () => {
  const env = setup();
  after(async () => {
    await env.store.close();
    rmSync(env.dir, { recursive: true, force: true });
  });
  env.tangle.setConnectedPeers(1);

  const a = data([NULL_MESSAGE_ID], 11);
  const b = data([messageId(a)], 12);

  it("asks peers for the missing parent and is stored once it arrives", async () => {
    const asked: string[] = [];
    env.events.on("missingParents", (_id, ids) => asked.push(...ids.map(toHex)));
    const submitted = env.tangle.submit(b);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(asked, [toHex(messageId(a))]);
    assert.equal(env.store.hasMessage(messageId(b)), false, "not stored while its parent is missing");
    await env.tangle.submit(a, "gossip");
    const r = await submitted;
    assert.equal(r.stored, true);
    assert.equal(env.store.getMeta(messageId(b))?.s, true);
  });

  it("is refused when the parent never comes", async () => {
    const unknown = new Uint8Array(32).fill(0xee);
    const orphan = data([unknown], 13);
    const asked: string[] = [];
    env.events.on("missingParents", (_id, ids) => asked.push(...ids.map(toHex)));
    await assert.rejects(env.tangle.submit(orphan), /parents are unknown or not solid/);
    assert.deepEqual(asked, [toHex(unknown)], "asked peers for it before refusing");
    assert.equal(env.store.hasMessage(messageId(orphan)), false);
  });
});
