import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { once } from "node:events";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { privateKeyFromRaw } from "@libp2p/crypto/keys";
import type { Libp2p, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { base58 } from "@scure/base";
import { pushable } from "it-pushable";
import { createLibp2p } from "libp2p";
import pino from "pino";
import { GossipTransport, peerIdFromPrivateKey } from "../../src/node/gossip/transport.ts";
import { peerIdFromPublicKey } from "../../src/node/identity/identity.ts";
import { spawnOwned } from "../helpers/owned.ts";

const PROTOCOL = "/iota-gossip/8453507715857476362/1.0.0";
const LISTEN = ["/ip4/127.0.0.1/tcp/0"];
const log = pino({ level: "silent" });

function newKey(): Uint8Array {
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  return Buffer.concat([Buffer.from(jwk.d!, "base64url"), Buffer.from(jwk.x!, "base64url")]);
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A transport plus a record of what its handlers saw, reassembling like a caller would. */
class Node {
  readonly t: GossipTransport;
  readonly key = newKey();
  readonly events: string[] = [];
  readonly refused: string[] = [];
  /** bytes received on the peer's current stream (reset at each onPeerStream, as the contract says) */
  readonly received = new Map<string, Buffer[]>();

  constructor(opts: { allow?: (peer: string) => boolean } = {}) {
    this.t = new GossipTransport(
      {
        privateKey: this.key,
        listen: LISTEN,
        protocol: PROTOCOL,
        isAllowed: (p) => (opts.allow ? opts.allow(p) : true),
        maxConnections: 16,
        log,
      },
      {
        onPeerStream: (p, outbound) => {
          this.events.push(`stream ${p} ${outbound ? "out" : "in"}`);
          this.received.set(p, []);
        },
        onData: (p, chunk) => this.received.get(p)!.push(Buffer.from(chunk)),
        onPeerGone: (p, reason) => this.events.push(`gone ${p} ${reason}`),
        onRefused: (p) => this.refused.push(p),
      },
    );
    live.add(this.t);
  }

  get id(): string {
    return this.t.peerId;
  }
  addr(): string {
    return this.t.listenAddresses()[0]!;
  }
  count(kind: "stream" | "gone", peer: string): number {
    return this.events.filter((e) => e.startsWith(`${kind} ${peer}`)).length;
  }
  bytesFrom(peer: string): Buffer {
    return Buffer.concat(this.received.get(peer) ?? []);
  }
  /** open gossip streams on the libp2p connections: test-only peek at the private node */
  openStreams(): Stream[] {
    const node = (this.t as unknown as { node?: Libp2p }).node;
    return (node?.getConnections() ?? [])
      .flatMap((c) => c.streams)
      .filter((s) => s.protocol === PROTOCOL && s.status === "open");
  }
}

const live = new Set<GossipTransport>();
async function stopAll(...nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.t.stop()));
  for (const n of nodes) live.delete(n.t);
}

after(async () => {
  await Promise.all([...live].map((t) => t.stop()));
});

/** Sends `total` random bytes in chunks and returns them; every send must be accepted. */
function sendAll(from: Node, to: string, total: number, chunk = 16 * 1024): Buffer {
  const data = randomBytes(total);
  for (let off = 0; off < total; off += chunk) {
    assert.ok(from.t.send(to, data.subarray(off, off + chunk)), `send at ${off}`);
  }
  return data;
}

/** A stream of a raw libp2p peer: records what arrives, writes without ending its side. */
class RawStream {
  readonly chunks: Buffer[] = [];
  ended = false;
  private readonly out = pushable();
  constructor(readonly stream: Stream) {
    Promise.resolve(stream.sink(this.out)).catch(() => {});
    void (async () => {
      try {
        for await (const c of stream.source) this.chunks.push(Buffer.from(c.subarray()));
      } catch {}
      this.ended = true;
    })();
  }
  write(text: string): void {
    this.out.push(Buffer.from(text));
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

/** A bare libp2p node speaking the gossip protocol, scripted by the test; its peer ID satisfies `want`. */
async function rawPeer(want: (id: string) => boolean, read = true) {
  let key = newKey();
  while (!want(peerIdFromPrivateKey(key))) key = newKey();
  const node = await createLibp2p({
    privateKey: privateKeyFromRaw(key),
    addresses: { listen: LISTEN },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
  const inbound: RawStream[] = [];
  const held: Stream[] = [];
  await node.handle(PROTOCOL, ({ stream }) => {
    if (read) inbound.push(new RawStream(stream));
    else held.push(stream);
  });
  return {
    node,
    inbound,
    held,
    id: node.peerId.toString(),
    addr: node.getMultiaddrs()[0]!.toString(),
    open: async (addr: string) => new RawStream(await node.dialProtocol(multiaddr(addr), PROTOCOL)),
  };
}

describe("gossip transport (libp2p over 127.0.0.1)", () => {
  it("connects, carries 1 MB each way intact, and reports disconnects on both sides", {
    timeout: 30_000,
  }, async () => {
    const a = new Node();
    const b = new Node();
    try {
      await Promise.all([a.t.start(), b.t.start()]);
      // B learns A's ID from the Noise handshake: libp2p's ID for the key is ours
      assert.equal(a.id, peerIdFromPrivateKey(a.key));
      assert.match(b.addr(), new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${b.id}$`));

      await a.t.connect(b.addr());
      await waitFor("both streams", () => a.count("stream", b.id) === 1 && b.count("stream", a.id) === 1);
      assert.deepEqual(a.events, [`stream ${b.id} out`]);
      assert.deepEqual(b.events, [`stream ${a.id} in`]);
      assert.deepEqual(a.t.connectedPeers(), [b.id]);
      assert.deepEqual(b.t.connectedPeers(), [a.id]);
      assert.ok(a.t.peerAddresses(b.id).some((m) => m.endsWith(`/p2p/${b.id}`)));
      assert.ok(b.t.peerAddresses(a.id).length >= 1);
      await a.t.connect(b.addr()); // already connected: no second stream
      assert.equal(a.openStreams().length, 1);

      const ab = sendAll(a, b.id, 1024 * 1024);
      const ba = sendAll(b, a.id, 1024 * 1024, 1000);
      await waitFor(
        "1 MB each way",
        () => b.bytesFrom(a.id).length >= ab.length && a.bytesFrom(b.id).length >= ba.length,
        15_000,
      );
      assert.ok(b.bytesFrom(a.id).equals(ab));
      assert.ok(a.bytesFrom(b.id).equals(ba));

      await a.t.disconnect(b.id);
      await waitFor("gone on both sides", () => a.count("gone", b.id) === 1 && b.count("gone", a.id) === 1);
      assert.deepEqual(a.t.connectedPeers(), []);
      await waitFor("B sees no peer", () => b.t.connectedPeers().length === 0);
      assert.equal(a.t.send(b.id, new Uint8Array(1)), false);
    } finally {
      await stopAll(a, b);
    }
  });

  it("refuses a peer that is not allowed, at the connection level", { timeout: 20_000 }, async () => {
    let cId = "";
    const b = new Node({ allow: (p) => p !== cId });
    const c = new Node();
    cId = c.id;
    try {
      await Promise.all([b.t.start(), c.t.start()]);
      await assert.rejects(c.t.connect(b.addr()), (err: Error & { code?: string }) => {
        assert.equal(err.code, "gossip_connect_failed", err.message);
        // Refused by B right after the handshake, not given up on after the dial timeout.
        assert.doesNotMatch(err.message, /time ?out|timed out|abort/i);
        return true;
      });
      await waitFor("B's onRefused", () => b.refused.includes(c.id));
      await sleep(100);
      assert.equal(b.count("stream", c.id), 0);
      assert.equal(c.count("stream", b.id), 0);
      assert.deepEqual(b.t.connectedPeers(), []);
      assert.deepEqual(b.t.peerAddresses(c.id), []);
      // B will not dial C either: refused before any socket opens
      await assert.rejects(
        b.t.connect(c.addr()),
        (err: Error & { code?: string }) => err.code === "gossip_not_allowed",
      );
      await assert.rejects(
        b.t.connect("/ip4/127.0.0.1/tcp/1"),
        (err: Error & { code?: string }) => err.code === "gossip_bad_address",
      );
    } finally {
      await stopAll(b, c);
    }
  });

  it("resolves a simultaneous dial to exactly one stream each side, without onPeerGone", {
    timeout: 60_000,
  }, async () => {
    for (let round = 0; round < 6; round++) {
      const a = new Node();
      const b = new Node();
      try {
        await Promise.all([a.t.start(), b.t.start()]);
        const results = await Promise.allSettled([a.t.connect(b.addr()), b.t.connect(a.addr())]);
        assert.deepEqual(
          results.map((r) => r.status),
          ["fulfilled", "fulfilled"],
          `round ${round}: ${results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok")).join(", ")}`,
        );
        await waitFor(
          "one open gossip stream each side",
          () => a.openStreams().length === 1 && b.openStreams().length === 1,
        );
        const [sa] = a.openStreams();
        const [sb] = b.openStreams();
        // the same stream seen from both ends: one opened it, the other accepted it
        assert.notEqual(sa!.direction, sb!.direction);
        assert.equal(sa!.id, sb!.id);
        const opener = sa!.direction === "outbound" ? a.id : b.id;
        assert.equal(opener, [a.id, b.id].sort()[0], "the smaller peer ID's stream wins");
        assert.equal(a.count("gone", b.id) + b.count("gone", a.id), 0, `${a.events} | ${b.events}`);
        assert.ok(a.count("stream", b.id) >= 1 && a.count("stream", b.id) <= 2);
        assert.ok(b.count("stream", a.id) >= 1 && b.count("stream", a.id) <= 2);
        assert.deepEqual(a.t.connectedPeers(), [b.id]);
        assert.deepEqual(b.t.connectedPeers(), [a.id]);

        const ab = sendAll(a, b.id, 64 * 1024);
        const ba = sendAll(b, a.id, 64 * 1024);
        await waitFor(
          "data both ways",
          () => b.bytesFrom(a.id).length >= ab.length && a.bytesFrom(b.id).length >= ba.length,
        );
        assert.ok(b.bytesFrom(a.id).equals(ab));
        assert.ok(a.bytesFrom(b.id).equals(ba));
        // the losing connection, if there were two, is closed too
        await waitFor("one connection", () => a.t.peerAddresses(b.id).length === 1);
      } finally {
        await stopAll(a, b);
      }
    }
  });

  it("follows the tie-break rule against a scripted remote: swap to its winning stream, keep a losing one spare", {
    timeout: 30_000,
  }, async () => {
    for (const remoteSmaller of [true, false]) {
      const a = new Node();
      const r = await rawPeer((id) => (remoteSmaller ? id < a.id : id > a.id));
      try {
        await a.t.start();
        await a.t.connect(r.addr);
        await waitFor("R has A's stream", () => r.inbound.length === 1);
        const sA = r.inbound[0]!;
        assert.ok(a.t.send(r.id, Buffer.from("one")));
        await waitFor("R reads it", () => sA.text() === "one");

        // R opens its own stream on the same connection and writes at once
        const sR = await r.open(a.addr());
        sR.write("early");
        if (remoteSmaller) {
          // R's stream wins: A switches without onPeerGone, gets R's data, and resets its own stream
          await waitFor("A switched", () => a.count("stream", r.id) === 2);
          assert.deepEqual(a.events, [`stream ${r.id} out`, `stream ${r.id} in`]);
          await waitFor("R's early bytes", () => a.bytesFrom(r.id).toString() === "early");
          await waitFor("A's losing stream closed", () => sA.ended);
          assert.ok(a.t.send(r.id, Buffer.from("two")));
          await waitFor("sent on the winner", () => sR.text() === "two");
        } else {
          // R's stream loses: A keeps its own, leaves R's open for R to close, holds R's bytes
          await sleep(200);
          assert.deepEqual(a.events, [`stream ${r.id} out`]);
          assert.equal(sR.ended, false, "A must not close the remote's stream under it");
          assert.ok(a.t.send(r.id, Buffer.from("two")));
          await waitFor("still on A's stream", () => sA.text() === "onetwo");
          // A's stream dies: the spare is promoted with what R already sent, still no onPeerGone
          sA.stream.abort(new Error("test: drop A's stream"));
          await waitFor("spare promoted", () => a.count("stream", r.id) === 2);
          assert.deepEqual(a.events, [`stream ${r.id} out`, `stream ${r.id} in`]);
          await waitFor("early bytes delivered", () => a.bytesFrom(r.id).toString() === "early");
          assert.ok(a.t.send(r.id, Buffer.from("three")));
          await waitFor("sent on the promoted stream", () => sR.text() === "three");
        }
        // the remote closes the surviving stream: now the peer is gone
        sR.stream.abort(new Error("test: drop"));
        await waitFor("gone", () => a.count("gone", r.id) === 1);
        assert.deepEqual(a.t.connectedPeers(), []);
      } finally {
        await stopAll(a);
        await r.node.stop();
      }
    }
  });

  it("send() is bounded: false without a stream and past maxQueuedBytes", { timeout: 30_000 }, async () => {
    const a = new Node();
    const b = new Node();
    // a raw libp2p peer that accepts the gossip stream and never reads it
    const r = await rawPeer(() => true, false);
    try {
      await Promise.all([a.t.start(), b.t.start()]);
      assert.equal(a.t.send(b.id, new Uint8Array(10)), false, "no stream yet");
      assert.equal(a.t.send("12D3KooWNotAPeer", new Uint8Array(10)), false);

      // synchronous burst: the stream cannot take anything meanwhile, so exactly 4 MiB (the default) fit
      await a.t.connect(b.addr());
      const chunk = randomBytes(64 * 1024);
      let accepted = 0;
      while (a.t.send(b.id, chunk)) accepted += chunk.length;
      // the first chunk goes straight to the waiting stream; the queue then holds exactly the bound
      assert.equal(accepted, 4 * 1024 * 1024 + chunk.length);
      await waitFor("the accepted 4 MiB delivered", () => b.bytesFrom(a.id).length === accepted, 15_000);
      assert.ok(a.t.send(b.id, chunk), "queue drained: sends accepted again");

      // a peer that never reads: Yamux's window stalls the stream and the queue fills to the bound
      await a.t.connect(r.addr);
      accepted = 0;
      let refusedAt = -1;
      for (let i = 0; i < 2000; i++) {
        if (!a.t.send(r.id, chunk)) {
          refusedAt = i;
          break;
        }
        accepted += chunk.length;
        await new Promise((resolve) => setImmediate(resolve)); // let the stream take what it can
      }
      assert.ok(refusedAt > 0, "send() eventually refuses");
      assert.ok(accepted >= 4 * 1024 * 1024 && accepted < 5 * 1024 * 1024, `accepted ${accepted}`);
      await sleep(100);
      assert.equal(a.t.send(r.id, chunk), false, "still full: the peer reads nothing");
      assert.equal(r.held.length, 1);
    } finally {
      await stopAll(a, b);
      await r.node.stop();
    }
  });

  it("peerIdFromPrivateKey is the base58 identity multihash of the public key, as libp2p and identity.ts", () => {
    for (let i = 0; i < 20; i++) {
      const key = newKey();
      const pub = key.subarray(32);
      const formula = base58.encode(Buffer.concat([Buffer.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20]), pub]));
      assert.equal(peerIdFromPrivateKey(key), formula);
      assert.equal(peerIdFromPublicKey(pub), formula);
      assert.match(formula, /^12D3KooW/);
      const t = new GossipTransport(
        {
          privateKey: key,
          listen: LISTEN,
          protocol: PROTOCOL,
          isAllowed: () => true,
          maxConnections: 1,
          log,
        },
        { onPeerStream() {}, onData() {}, onPeerGone() {} },
      );
      assert.equal(t.peerId, formula);
    }
    const bad = newKey();
    bad[40]! ^= 1;
    assert.throws(() => peerIdFromPrivateKey(bad), /does not match/);
    assert.throws(() => peerIdFromPrivateKey(new Uint8Array(32)), /64 bytes/);
  });

  it("stop() does not wait for unsent data, and emits onPeerGone", { timeout: 20_000 }, async () => {
    const a = new Node();
    const b = new Node();
    await Promise.all([a.t.start(), b.t.start()]);
    await a.t.connect(b.addr());
    sendAll(a, b.id, 256 * 1024);
    const stopping = a.t.stop();
    assert.equal(a.t.stop(), stopping, "a second stop() joins the first");
    // With a peer that reads nothing, stop() must not wait for the data to drain: it ends well inside
    // the test's own time limit (a hang would be the bug, not a slow machine).
    await stopAll(a, b);
    assert.equal(a.count("gone", b.id), 1);
    assert.equal(b.count("gone", a.id), 1);
    await assert.rejects(a.t.connect(b.addr()), /not running/);
    assert.equal(a.t.send(b.id, new Uint8Array(1)), false);
  });

  it("leaves nothing running after stop(): a process using it exits by itself", {
    timeout: 30_000,
  }, async () => {
    const mod = new URL("../../src/node/gossip/transport.ts", import.meta.url).href;
    const script = `
      import { generateKeyPairSync } from "node:crypto";
      import pino from "pino";
      import { GossipTransport } from ${JSON.stringify(mod)};
      const key = () => {
        const j = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
        return Buffer.concat([Buffer.from(j.d, "base64url"), Buffer.from(j.x, "base64url")]);
      };
      const h = { onPeerStream() {}, onData() {}, onPeerGone() {} };
      const o = { listen: ["/ip4/127.0.0.1/tcp/0"], protocol: "/t/1", isAllowed: () => true, maxConnections: 4,
        log: pino({ level: "silent" }) };
      const a = new GossipTransport({ ...o, privateKey: key() }, h);
      const b = new GossipTransport({ ...o, privateKey: key() }, h);
      await a.start(); await b.start();
      await a.connect(b.listenAddresses()[0]);
      a.send(b.peerId, new Uint8Array(100000));
      await a.stop(); await b.stop();
      console.log("stopped");
    `;
    const child = spawnOwned(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, TSX_TSCONFIG_PATH: "tsconfig.base.json" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const [code, signal] = await once(child, "exit");
    clearTimeout(killer);
    assert.equal(signal, null, `the process did not exit by itself: ${out}`);
    assert.equal(code, 0, out);
    assert.match(out, /stopped/);
  });
});
