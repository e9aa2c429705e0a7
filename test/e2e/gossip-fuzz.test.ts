// Gossip fuzzing (issue 17). A hostile libp2p peer known to node 0 of a two-node cluster sends random and
// mutated Hornet frames, mutated real messages, valid frames out of order, requests for everything and
// well-formed messages that break the protocol's rules. Node 0 hangs up exactly when a framing judge
// written out here says it must, penalizes the peer and keeps it out for the penalty, stores nothing
// that iota.js and the message rules call invalid, and node 1, the honest peer, stays connected and on
// the same ledger. The seed of a failing run is in the failure message: STINGER_FUZZ_SEED=<seed>
// replays it; STINGER_GOSSIP_FUZZ_RUNS scales the random runs.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  deserializeMessage as iotaDeserialize,
  serializeMessage as iotaSerialize,
  PowHelper,
} from "@iota/iota.js";
import { ReadStream, WriteStream } from "@iota/util.js";
import fc from "fast-check";
import {
  encodeHeartbeat,
  encodeMessage,
  encodeMessageRequest,
  encodeMilestoneRequest,
} from "../../src/node/gossip/frames.ts";
import { MAX_INVALID_MESSAGES, REQUEST_BURST, REQUESTS_PER_SECOND } from "../../src/node/gossip/peer.ts";
import { milestoneIndexOf } from "../../src/node/tangle/tangle.ts";
import { ed25519Address } from "../../src/protocol/bech32.ts";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import { generateEd25519Seed } from "../../src/protocol/keys.ts";
import {
  deserializeMessage,
  messageId,
  networkIdFromName,
  serializeMessage,
} from "../../src/protocol/message.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import type { Message, MilestonePayload, TransactionPayload } from "../../src/protocol/types.ts";
import { CLUSTER_NETWORK, type ClusterNode, type GenesisCluster, startCluster } from "../helpers/cluster.ts";
import { waitFor } from "../helpers/devnet.ts";
import { completion, HostilePeer, judgeFraming, mined } from "../helpers/hostile-peer.ts";
import { data, getJson, metadata, stateHashAt, verifyLedger } from "../helpers/ledger.ts";
import { freePort } from "../helpers/peers.ts";
import { transaction, wallet } from "../helpers/transactions.ts";

const SEED = process.env.STINGER_FUZZ_SEED ? Number(process.env.STINGER_FUZZ_SEED) : undefined;
const RUNS = Number(process.env.STINGER_GOSSIP_FUZZ_RUNS ?? 60);
const NETWORK_ID = networkIdFromName(CLUSTER_NETWORK);
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

interface PeerJson {
  id: string;
  connected: boolean;
  gossip: { metrics: { newMessages: number; knownMessages: number; droppedPackets: number } };
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);

/** Applies mutations in turn; positions wrap around the current length, a cut keeps at least one byte. */
function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out: Uint8Array = Uint8Array.from(bytes);
  for (const m of mutations) {
    const at = m.at % Math.max(1, out.length);
    if (m.kind === "flip") out[at]! ^= 1 << m.bit;
    else if (m.kind === "cut") out = out.slice(0, Math.max(1, at));
    else out = concat([out.slice(0, at), m.bytes, out.slice(at)]);
  }
  return out;
}

/**
 * The judge of a stored message, independent of stinger's codec: iota.js reads it and writes back the
 * same bytes, it is of this network, its PoW meets the minimum, its parents are 1..8 and strictly
 * ascending (TIP-2), an indexation's index is 1..64 bytes, and it is no milestone (nobody here holds
 * the coordinator's key, so any stored milestone not issued by it is a forgery).
 */
function validByOthers(bytes: Uint8Array): string | null {
  try {
    const msg = iotaDeserialize(new ReadStream(bytes));
    const w = new WriteStream();
    iotaSerialize(w, msg);
    if (Buffer.compare(Buffer.from(w.finalBytes()), Buffer.from(bytes)) !== 0)
      return "does not write back the same";
    if (BigInt(msg.networkId ?? "0") !== NETWORK_ID) return "another network";
    if (PowHelper.score(bytes) < 1) return "PoW below the minimum";
    const parents = msg.parentMessageIds ?? [];
    if (parents.length < 1 || parents.length > 8) return `${parents.length} parents`;
    for (let i = 1; i < parents.length; i++)
      if (parents[i - 1]! >= parents[i]!) return "parents not ascending";
    if (msg.payload?.type === 1) return "a milestone";
    if (msg.payload?.type === 2 && (msg.payload.index.length < 2 || msg.payload.index.length > 128))
      return "index length";
    return null;
  } catch (err) {
    return `iota.js: ${(err as Error).message}`;
  }
}

describe("gossip fuzzing: a hostile peer against a node with an honest peer", () => {
  let cluster: GenesisCluster;
  let n0: ClusterNode;
  let n1: ClusterNode;
  let metricsUrl = "";
  /** penalties the hostile peers earned, by reason: all node 0 may have handed out */
  const earned = new Map<string, number>();
  /** every message a hostile peer sent to node 0 (id → bytes), judged once more at the end */
  const sentMessages = new Map<string, Uint8Array>();

  async function metric(name: string, labels = ""): Promise<number> {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
  }
  const penalties = (reason: string) => metric("stinger_node_gossip_penalties_total", `{reason="${reason}"}`);
  const invalidTotal = () => metric("stinger_node_gossip_invalid_messages_total");
  const earn = (reason: string) => earned.set(reason, (earned.get(reason) ?? 0) + 1);

  const peerOf = (id: string) => data<PeerJson>(`${n0.url}/api/v1/peers/${id}`, n0.token);
  const cmi = async (node: ClusterNode) =>
    (await data<{ confirmedMilestoneIndex: number }>(`${node.url}/api/v1/info`)).confirmedMilestoneIndex;

  async function rawMessage(node: ClusterNode, id: string): Promise<Uint8Array | undefined> {
    const res = await fetch(`${node.url}/api/v1/messages/${id}/raw`);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    assert.equal(res.status, 200);
    return new Uint8Array(await res.arrayBuffer());
  }

  async function milestoneBytes(index: number): Promise<Uint8Array> {
    const ms = await data<{ messageId: string }>(`${n0.url}/api/v1/milestones/${index}`);
    return (await rawMessage(n0, ms.messageId))!;
  }

  async function tips(): Promise<Uint8Array[]> {
    const t = await data<{ tipMessageIds: string[] }>(`${n0.url}/api/v1/tips`);
    return t.tipMessageIds.map((id) => fromHex(id, 32)).sort(Buffer.compare);
  }

  /** A milestone request for index 1 and its answer: proof that every frame before it was read in order. */
  async function ping(h: HostilePeer): Promise<void> {
    const answers = () => h.messages().filter((m) => milestoneIndexOf(m) === 1).length;
    const before = answers();
    assert.ok(await h.send(encodeMilestoneRequest(1)), "the node hung up before the ping");
    await waitFor(async () => answers() > before || !h.connected, 10_000, "the answer to the ping");
    assert.ok(h.connected, "the node hung up on well-framed frames");
  }

  /** Sends message frames and waits until node 0 has judged each one (new, known or invalid). */
  async function sendJudged(h: HostilePeer, messages: Uint8Array[]): Promise<void> {
    const before = await peerOf(h.peerId);
    const invalid0 = await invalidTotal();
    for (const m of messages) {
      sentMessages.set(toHex(messageId(m)), m);
      assert.ok(await h.send(encodeMessage(m)), "the node hung up");
    }
    await waitFor(
      async () => {
        const now = (await peerOf(h.peerId)).gossip.metrics;
        const judged =
          now.newMessages -
          before.gossip.metrics.newMessages +
          now.knownMessages -
          before.gossip.metrics.knownMessages +
          (await invalidTotal()) -
          invalid0;
        return judged >= messages.length;
      },
      20_000,
      "node 0 to judge every message sent",
    );
  }

  before(async () => {
    const port = await freePort();
    cluster = await startCluster(2, {
      genesis: true,
      config: (i) => (i === 0 ? { prometheus: { enabled: true, bindAddress: `127.0.0.1:${port}` } } : {}),
    });
    [n0, n1] = cluster.nodes as [ClusterNode, ClusterNode];
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    await waitFor(async () => (await cmi(n1)) >= 3, 30_000, "both nodes past milestone 3");
  });

  after(async () => {
    await cluster?.stop();
  });

  it("random and mutated frames: the node hangs up exactly on broken framing (or too many invalid messages), else answers in order", async (t) => {
    const frameArb = fc.oneof(
      u32.map(encodeMilestoneRequest),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeMessageRequest),
      fc
        .record({
          solidMilestoneIndex: u32,
          prunedMilestoneIndex: u32,
          latestMilestoneIndex: u32,
          connectedPeers: fc.integer({ min: 0, max: 255 }),
          syncedPeers: fc.integer({ min: 0, max: 255 }),
        })
        .map(encodeHeartbeat),
      // well framed, but no message: each counts as an invalid message
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map(encodeMessage),
    );
    const streamArb = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2048 }),
      fc
        .tuple(fc.array(frameArb, { minLength: 1, maxLength: 12 }), fc.array(mutationArb, { maxLength: 3 }))
        .map(([frames, mutations]) => mutate(concat(frames), mutations)),
    );
    let hangUps = 0;
    await fc.assert(
      fc.asyncProperty(
        streamArb,
        fc.array(fc.integer({ min: 1, max: 512 }), { maxLength: 6 }),
        async (raw, cuts) => {
          const stream = concat([raw, completion(raw)]);
          const verdict = judgeFraming(stream);
          const messageFrames = verdict.frames.filter((f) => f.type === 2).length;
          const mustHangUp = verdict.malformed || messageFrames > MAX_INVALID_MESSAGES;
          const h = await HostilePeer.join(n0);
          try {
            const malformed0 = await penalties("malformed_frame");
            const invalid0 = await penalties("invalid_messages");
            // the same bytes in chunks of the given sizes: framing must not depend on how TCP cuts them
            let at = 0;
            for (const size of cuts) {
              if (at >= stream.length) break;
              await h.send(stream.slice(at, at + size));
              at += size;
            }
            if (at < stream.length) await h.send(stream.slice(at));
            if (!mustHangUp) {
              await ping(h);
              return;
            }
            await h.hungUp();
            hangUps++;
            if (verdict.malformed) {
              earn("malformed_frame");
              await waitFor(
                async () => (await penalties("malformed_frame")) > malformed0,
                5_000,
                "the penalty",
              );
            } else {
              earn("invalid_messages");
              await waitFor(
                async () => (await penalties("invalid_messages")) > invalid0,
                5_000,
                "the penalty",
              );
            }
          } finally {
            await h.leave();
          }
        },
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    t.diagnostic(`${RUNS} streams, node 0 hung up on ${hangUps}`);
    assert.ok(hangUps > 0 && hangUps < RUNS, `hang-ups in ${hangUps} of ${RUNS} runs: both kinds must occur`);
    assert.equal((await getJson(`${n0.url}/health`)).status, 200);
  });

  it("a penalized peer is refused until its penalty ends; adding it again lifts the penalty", async () => {
    const h = await HostilePeer.join(n0);
    try {
      const refused0 = await metric("stinger_node_gossip_refused_total");
      await h.send(Uint8Array.from([9, 3, 0, 1, 2, 3]));
      await h.hungUp();
      earn("malformed_frame");
      assert.equal(await h.reconnect(), false, "a penalized peer got back in at once");
      assert.ok((await metric("stinger_node_gossip_refused_total")) > refused0);
      await h.readd();
      assert.equal(await h.reconnect(), true, "the operator's re-add did not lift the penalty");
      await ping(h);
    } finally {
      await h.leave();
    }
  });

  it("mutated real messages (re-mined or not): whatever node 0 stores is a valid message; a new nonce alone is always taken", async (t) => {
    // Sources: milestones, data messages and a signed transfer of the whole supply (never sent as is).
    const sources: Uint8Array[] = [];
    for (const index of [1, 2, 3]) sources.push(await milestoneBytes(index));
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${n0.url}/api/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          payload: { type: 2, index: toHex(Buffer.from("fuzz")), data: toHex(Buffer.from(`source ${i}`)) },
        }),
      });
      assert.equal(res.status, 201);
      const { messageId: id } = ((await res.json()) as { data: { messageId: string } }).data;
      sources.push((await rawMessage(n0, id))!);
    }
    const tx = transaction(
      [{ outputId: new Uint8Array(34), owner: cluster.mint }],
      [{ address: ed25519Address(wallet(generateEd25519Seed()).publicKey), amount: TOTAL_SUPPLY }],
    );
    sources.push(
      mined(serializeMessage({ networkId: NETWORK_ID, parents: await tips(), payload: tx, nonce: 0n })),
    );

    const mutantArb = fc.record({
      source: fc.integer({ min: 0, max: sources.length - 1 }),
      mutations: fc.array(mutationArb, { maxLength: 3 }),
      remine: fc.oneof(
        { weight: 4, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      nonceFrom: fc.bigInt({ min: 1n, max: 2n ** 40n }),
    });
    let stored = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutantArb, { minLength: 1, maxLength: 6 }), async (specs) => {
        const mutants = specs.map((s) => {
          const m = mutate(sources[s.source]!, s.mutations);
          return s.remine && m.length >= 8 ? mined(m, 1, s.nonceFrom) : m;
        });
        const h = await HostilePeer.join(n0);
        try {
          await sendJudged(h, mutants);
          for (const [i, m] of mutants.entries()) {
            const id = toHex(messageId(m));
            const got = await rawMessage(n0, id);
            const spec = specs[i]!;
            const source = sources[spec.source]!;
            // only the nonce differs: a valid message anew (unless it is a second copy of a milestone)
            if (spec.mutations.length === 0 && spec.remine && milestoneIndexOf(source) === null) {
              const isNew = Buffer.compare(Buffer.from(m), Buffer.from(source)) !== 0;
              if (isNew) assert.ok(got, `a valid message with a new nonce was refused: ${id}`);
            }
            if (!got) {
              refused++;
              continue;
            }
            stored++;
            assert.deepEqual(Buffer.from(got), Buffer.from(m));
            // a source sent back unchanged is the coordinator's or our own valid message: judge the rest
            if (sources.some((src) => Buffer.compare(Buffer.from(src), Buffer.from(m)) === 0)) continue;
            const why = validByOthers(got);
            assert.equal(why, null, `node 0 stored an invalid message ${id}: ${why}`);
          }
        } finally {
          await h.leave();
        }
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED, endOnFailure: true },
    );
    t.diagnostic(`mutants: ${stored} stored (all valid by iota.js), ${refused} refused`);
    assert.ok(stored > 0 && refused > 0, `stored ${stored}, refused ${refused}: both must occur`);
  });

  it("valid messages sent children first, between absurd heartbeats and requests for what does not exist: all become solid on both nodes", async () => {
    const noiseArb = fc.oneof(
      fc
        .record({
          solidMilestoneIndex: u32,
          prunedMilestoneIndex: u32,
          latestMilestoneIndex: u32,
          connectedPeers: fc.integer({ min: 0, max: 255 }),
          syncedPeers: fc.integer({ min: 0, max: 255 }),
        })
        .map(encodeHeartbeat),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeMessageRequest),
      fc.integer({ min: 100_000, max: 0xffff_ffff }).map(encodeMilestoneRequest),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 10 }),
        fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
        fc.array(noiseArb, { minLength: 1, maxLength: 10 }),
        async (parentPicks, orderKeys, noise) => {
          const base = await tips();
          const chain: Uint8Array[] = [];
          for (const [i, picks] of parentPicks.entries()) {
            const pool = i === 0 ? base : chain.map((m) => messageId(m));
            const parents = [
              ...new Map(picks.map((p) => pool[p % pool.length]!).map((id) => [toHex(id), id])).values(),
            ];
            chain.push(
              mined(
                serializeMessage({
                  networkId: NETWORK_ID,
                  parents: parents.sort(Buffer.compare),
                  payload: {
                    type: 2,
                    index: Buffer.from("out-of-order"),
                    data: Buffer.from(`${Date.now()} ${i}`),
                  },
                  nonce: 0n,
                }),
              ),
            );
          }
          const order = chain.map((_, i) => i).sort((a, b) => orderKeys[a]! - orderKeys[b]! || b - a);
          const h = await HostilePeer.join(n0);
          try {
            for (const [k, i] of order.entries()) {
              await h.send(noise[k % noise.length]!);
              sentMessages.set(toHex(messageId(chain[i]!)), chain[i]!);
              await h.send(encodeMessage(chain[i]!));
            }
            await ping(h);
            for (const node of [n0, n1]) {
              for (const m of chain) {
                const id = toHex(messageId(m));
                await waitFor(async () => (await metadata(node, id))?.isSolid, 20_000, `${id} solid`);
              }
            }
            // an absurd heartbeat moves no milestone index: the latest is one node 0 really has
            const info = await data<{ latestMilestoneIndex: number }>(`${n0.url}/api/v1/info`);
            assert.equal(
              (await getJson(`${n0.url}/api/v1/milestones/${info.latestMilestoneIndex}`)).status,
              200,
            );
            assert.ok(h.connected);
          } finally {
            await h.leave();
          }
        },
      ),
      { numRuns: Math.max(3, Math.ceil(RUNS / 10)), seed: SEED, endOnFailure: true },
    );
  });

  it("requests for everything, as fast as it can send: answered within the request budget, then penalized for flooding; node 1 stays connected and in step", async (t) => {
    const n1Id = n1.multiAddress.slice(n1.multiAddress.lastIndexOf("/") + 1);
    const last = await cmi(n0);
    const frames: Uint8Array[] = [];
    for (let i = 0; i <= last + 64; i++) frames.push(encodeMilestoneRequest(i));
    for (let i = 1; i <= last; i++) {
      const ms = await data<{ messageId: string }>(`${n0.url}/api/v1/milestones/${i}`);
      frames.push(encodeMessageRequest(fromHex(ms.messageId, 32)));
    }
    for (const id of sentMessages.keys()) frames.push(encodeMessageRequest(fromHex(id, 32)));
    const chunk = concat(frames);
    const h = await HostilePeer.join(n0);
    const n1Before = await cmi(n1);
    let sampling = true;
    const n1Down: string[] = [];
    const sampler = (async () => {
      while (sampling) {
        const p = await peerOf(n1Id);
        if (!p.connected) n1Down.push(new Date().toISOString());
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      const start = Date.now();
      let sent = 0;
      while (sent < 5_000_000 && (await h.send(chunk))) sent += frames.length;
      await h.hungUp();
      const elapsed = (Date.now() - start) / 1000;
      earn("flood");
      await waitFor(
        async () => (await penalties("flood")) >= (earned.get("flood") ?? 0),
        5_000,
        "the flood penalty",
      );
      // every answer spends a request token; broadcasts of new messages come on top (a few a second)
      const answers = h.messages().length;
      const budget = REQUEST_BURST + REQUESTS_PER_SECOND * (elapsed + 1) + 500 * (elapsed + 1);
      assert.ok(
        answers <= budget,
        `${answers} answers to ${sent} requests in ${elapsed} s, budget ${budget}`,
      );
      t.diagnostic(`flood: ${sent} requests in ${elapsed} s, ${answers} answered, then penalized`);
      assert.ok(sent > answers, `sent ${sent}, answered ${answers}: the flood was not throttled`);
    } finally {
      sampling = false;
      await sampler;
      await h.leave();
    }
    assert.deepEqual(n1Down, [], "node 1 was disconnected during the flood");
    await waitFor(async () => (await cmi(n1)) > n1Before + 1, 20_000, "node 1 to keep confirming");
  });

  it("well-formed messages that break the rules are refused and the sender penalized; neither node stores any", async () => {
    const msBytes = await milestoneBytes(2);
    const ms = deserializeMessage(msBytes);
    const msp = ms.payload as MilestonePayload;
    const two = [(await tips())[0]!, messageId(msBytes)].sort(Buffer.compare);
    const indexation = (index: Uint8Array) => ({ type: 2 as const, index, data: Buffer.from("rules") });
    const msg = (over: Partial<Message>) =>
      serializeMessage({
        networkId: NETWORK_ID,
        parents: two,
        payload: indexation(Buffer.from("ok")),
        nonce: 0n,
        ...over,
      });
    const flipped = (b: Uint8Array) => Uint8Array.from(b, (x, i) => (i === 0 ? x ^ 1 : x));
    const tx = transaction(
      [{ outputId: new Uint8Array(34), owner: cluster.mint }],
      [{ address: ed25519Address(wallet(generateEd25519Seed()).publicKey), amount: TOTAL_SUPPLY }],
    );
    const withTx = (t: TransactionPayload) => mined(msg({ payload: t }));
    const lowPow = (bytes: Uint8Array) => {
      const out = Uint8Array.from(bytes);
      const v = new DataView(out.buffer);
      for (let n = 1n; ; n++) {
        v.setBigUint64(out.length - 8, n, true);
        if (PowHelper.score(out) < 1) return out;
      }
    };
    // the payload's u32 length sits after network ID (8), parent count (1) and the parents
    const payloadAt = 8 + 1 + 32 * two.length;
    const patched = (bytes: Uint8Array, at: number, value: number) => {
      const out = Uint8Array.from(bytes);
      new DataView(out.buffer).setUint32(at, value, true);
      return mined(out);
    };
    const plain = mined(msg({}));
    const cases: Record<string, Uint8Array> = {
      "another network": mined(msg({ networkId: NETWORK_ID ^ 1n })),
      "PoW below the minimum": lowPow(msg({})),
      "parents not sorted": mined(msg({ parents: [...two].reverse() })),
      "a parent twice": mined(msg({ parents: [two[0]!, two[0]!] })),
      "no parents": mined(msg({ parents: [] })),
      "nine parents": mined(
        msg({ parents: Array.from({ length: 9 }, () => generateEd25519Seed()).sort(Buffer.compare) }),
      ),
      "an empty index": mined(msg({ payload: indexation(new Uint8Array(0)) })),
      "an index of 65 bytes": mined(msg({ payload: indexation(new Uint8Array(65).fill(7)) })),
      "a known milestone with another nonce": mined(msBytes, 1, 1n << 33n),
      "a milestone on other parents": mined(serializeMessage({ ...ms, parents: two, nonce: 0n })),
      "a milestone with a broken signature": mined(
        serializeMessage({
          ...ms,
          payload: { ...msp, signatures: [flipped(msp.signatures[0]!), ...msp.signatures.slice(1)] },
        }),
      ),
      "a milestone by an unknown key": mined(
        serializeMessage({
          ...ms,
          payload: { ...msp, publicKeys: [flipped(msp.publicKeys[0]!), ...msp.publicKeys.slice(1)] },
        }),
      ),
      "a transaction output of 0": withTx({
        ...tx,
        essence: { ...tx.essence, outputs: [{ ...tx.essence.outputs[0]!, amount: 0n }] },
      }),
      "a transaction spending one output twice": withTx({
        ...tx,
        essence: { ...tx.essence, inputs: [tx.essence.inputs[0]!, tx.essence.inputs[0]!] },
        unlockBlocks: [tx.unlockBlocks[0]!, { type: 1, reference: 0 }],
      }),
      "a transaction paying more than the supply": withTx({
        ...tx,
        essence: { ...tx.essence, outputs: [{ ...tx.essence.outputs[0]!, amount: TOTAL_SUPPLY + 1n }] },
      }),
      "a transaction without unlock blocks": withTx({ ...tx, unlockBlocks: [] }),
      "a byte after the nonce": mined(concat([plain, Uint8Array.of(0)])),
      "a payload longer than announced": patched(
        plain,
        payloadAt,
        new DataView(plain.buffer).getUint32(payloadAt, true) - 1,
      ),
      "an unknown payload type": patched(plain, payloadAt + 4, 9),
    };
    const all = Object.entries(cases);
    // more than the peer may send: the last few make it one too many
    for (let i = 0; all.length <= MAX_INVALID_MESSAGES + 3; i++)
      all.push([`another network ${i}`, mined(msg({ networkId: NETWORK_ID + BigInt(i + 2) }))]);
    const h = await HostilePeer.join(n0);
    try {
      const invalid0 = await penalties("invalid_messages");
      for (const [, bytes] of all) {
        sentMessages.set(toHex(messageId(bytes)), bytes);
        await h.send(encodeMessage(bytes));
      }
      await h.hungUp();
      earn("invalid_messages");
      await waitFor(async () => (await penalties("invalid_messages")) > invalid0, 5_000, "the penalty");
      const peer = await peerOf(h.peerId);
      assert.equal(peer.gossip.metrics.newMessages, 0, "node 0 took one of the rule breakers");
      for (const node of [n0, n1]) {
        for (const [name, bytes] of all) {
          assert.equal(await rawMessage(node, toHex(messageId(bytes))), undefined, `${name} was stored`);
        }
      }
    } finally {
      await h.leave();
    }
  });

  it("afterwards: every penalty was a hostile peer's, node 1 is connected and on node 0's ledger, and no node stores an invalid message", async () => {
    for (const reason of ["malformed_frame", "invalid_messages", "flood"])
      assert.equal(await penalties(reason), earned.get(reason) ?? 0, `penalties for ${reason}`);
    const peers = await data<PeerJson[]>(`${n0.url}/api/v1/peers`, n0.token);
    assert.equal(peers.length, 1, "hostile peers left behind");
    assert.ok(peers[0]!.connected, "node 1 is not connected");
    const from = await cmi(n0);
    await waitFor(async () => (await cmi(n1)) > from, 20_000, "node 1 past node 0's milestone");
    const index = Math.min(await cmi(n0), await cmi(n1));
    assert.equal(await stateHashAt(n1, index), await stateHashAt(n0, index));
    for (const node of [n0, n1]) {
      const v = await verifyLedger(node);
      assert.ok(v.ok, v.problems.join("; "));
      assert.equal(BigInt(v.supply), TOTAL_SUPPLY);
    }
    let stored = 0;
    for (const node of [n0, n1]) {
      for (const [id, bytes] of sentMessages) {
        const got = await rawMessage(node, id);
        if (!got) continue;
        stored++;
        assert.deepEqual(Buffer.from(got), Buffer.from(bytes));
        // real milestones sent back unchanged are the coordinator's
        if (
          milestoneIndexOf(got) !== null &&
          (await data<{ messageId: string }>(`${node.url}/api/v1/milestones/${milestoneIndexOf(got)}`))
            .messageId === id
        )
          continue;
        assert.equal(validByOthers(got), null, `${id} on ${node.url}`);
      }
    }
    assert.ok(stored > 0);
  });
});
