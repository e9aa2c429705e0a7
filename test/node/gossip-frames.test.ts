import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  encodeHeartbeat,
  encodeMessage,
  encodeMessageRequest,
  encodeMilestoneRequest,
  FRAME_HEARTBEAT,
  FRAME_MESSAGE,
  FRAME_MESSAGE_REQUEST,
  FRAME_MILESTONE_REQUEST,
  FrameError,
  FrameReader,
} from "../../src/node/gossip/frames.ts";
import { peerIdOfMultiaddr } from "../../src/node/gossip/multiaddr.ts";
import { TokenBucket } from "../../src/node/gossip/token-bucket.ts";

describe("gossip frames", () => {
  it("encodes Hornet's layout: type, u16 LE length, body", () => {
    assert.deepEqual([...encodeMilestoneRequest(0x01020304)], [1, 4, 0, 4, 3, 2, 1]);
    assert.deepEqual([...encodeMessageRequest(new Uint8Array(32).fill(7)).subarray(0, 4)], [3, 32, 0, 7]);
    const hb = encodeHeartbeat({
      solidMilestoneIndex: 5,
      prunedMilestoneIndex: 0,
      latestMilestoneIndex: 6,
      connectedPeers: 300,
      syncedPeers: 2,
    });
    assert.deepEqual([...hb], [4, 14, 0, 5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 255, 2]);
  });

  it("reassembles frames split at every possible point", () => {
    const msg = new Uint8Array(300).map((_, i) => i);
    const stream = Buffer.concat([
      encodeMessage(msg),
      encodeMilestoneRequest(9),
      encodeMessageRequest(new Uint8Array(32)),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new FrameReader();
      const frames = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => f.type),
        [FRAME_MESSAGE, FRAME_MILESTONE_REQUEST, FRAME_MESSAGE_REQUEST],
      );
      assert.deepEqual(frames[0]!.type === FRAME_MESSAGE && [...frames[0]!.bytes], [...msg]);
    }
  });

  it("decodes a heartbeat", () => {
    const [f] = new FrameReader().push(
      encodeHeartbeat({
        solidMilestoneIndex: 7,
        prunedMilestoneIndex: 1,
        latestMilestoneIndex: 8,
        connectedPeers: 3,
        syncedPeers: 2,
      }),
    );
    assert.equal(f!.type, FRAME_HEARTBEAT);
    assert.deepEqual(f!.type === FRAME_HEARTBEAT && f!.heartbeat, {
      solidMilestoneIndex: 7,
      prunedMilestoneIndex: 1,
      latestMilestoneIndex: 8,
      connectedPeers: 3,
      syncedPeers: 2,
    });
  });

  it("rejects unknown types, wrong body sizes and oversized messages at once", () => {
    assert.throws(() => new FrameReader().push(Uint8Array.from([9, 0, 0])), FrameError);
    // the type byte alone, before the length has arrived (found by the gossip fuzzer)
    assert.throws(() => new FrameReader().push(Uint8Array.from([234])), FrameError);
    const reader = new FrameReader();
    assert.deepEqual(reader.push(Uint8Array.from([4, 14])), []);
    assert.throws(() => reader.push(Uint8Array.from([0, ...new Uint8Array(14), 0])), FrameError);
    assert.throws(() => new FrameReader().push(Uint8Array.from([3, 2, 0, 1, 2])), FrameError);
    assert.throws(() => new FrameReader().push(Uint8Array.from([4, 1, 0, 1])), FrameError);
    // 40,000 announced bytes: refused from the header alone, before buffering anything.
    assert.throws(() => new FrameReader().push(Uint8Array.from([2, 0x40, 0x9c])), FrameError);
  });

  it("random bytes only ever yield frames or a FrameError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          new FrameReader().push(bytes);
        } catch (err) {
          assert.ok(err instanceof FrameError);
        }
      }),
    );
  });
});

describe("gossip helpers", () => {
  it("token bucket allows the burst, then the rate", () => {
    const b = new TokenBucket(10, 3, 0);
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.take(100), true); // 0.1 s at 10/s refills one token
    assert.equal(b.take(100), false);
  });

  it("peer ID from a multiaddress", () => {
    const id = "12D3KooWFNhRAmHAcuYamMdH9cvY7rKgePWhExDUrz6Njbozz8o5";
    assert.equal(peerIdOfMultiaddr(`/ip4/127.0.0.1/tcp/15600/p2p/${id}`), id);
    assert.equal(peerIdOfMultiaddr("/ip4/127.0.0.1/tcp/15600"), null);
  });
});
