// A hostile gossip peer for tests: a real libp2p host on loopback that a node knows (added through its
// peers API) and that sends whatever a test gives it, frame by frame or as raw stream bytes.
import pino from "pino";
import { FRAME_MESSAGE, type Frame, FrameReader } from "../../src/node/gossip/frames.ts";
import { GossipTransport } from "../../src/node/gossip/transport.ts";
import { mineNonceBitsliced } from "../../src/protocol/curl/bitsliced.ts";
import { powDigest, targetTrailingZeros } from "../../src/protocol/curl/pow.ts";
import { networkIdFromName } from "../../src/protocol/message.ts";
import { MAX_MESSAGE_LENGTH } from "../../src/protocol/params.ts";
import { CLUSTER_NETWORK, type ClusterNode } from "./cluster.ts";
import { waitFor } from "./devnet.ts";
import { newIdentity } from "./peers.ts";

const GOSSIP_PROTOCOL = `/iota-gossip/${networkIdFromName(CLUSTER_NETWORK)}/1.0.0`;

// libp2p lets one host open 5 inbound connections a second (connectionManager.inboundConnectionThreshold)
// and resets the rest: the hostile peers of a test, all on 127.0.0.1, take turns within that.
const CONNECT_SPACING_MS = 250;
let lastConnectAt = 0;

async function connectSpaced(transport: GossipTransport, address: string): Promise<void> {
  const wait = lastConnectAt + CONNECT_SPACING_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  lastConnectAt = Date.now();
  await transport.connect(address);
}

export class HostilePeer {
  /** every frame the node sent us, in order */
  readonly received: Frame[] = [];
  private readonly reader = new FrameReader();
  private remote = "";
  private goneAt = 0;

  private constructor(
    readonly node: ClusterNode,
    readonly peerId: string,
    private readonly transport: GossipTransport,
  ) {}

  /** A fresh identity, made a known peer of `node` (peers API), connected with its gossip stream open. */
  static async join(node: ClusterNode): Promise<HostilePeer> {
    const id = newIdentity();
    await addPeer(node, id.peerId);
    let peer: HostilePeer | undefined;
    const transport = new GossipTransport(
      {
        privateKey: Buffer.concat([id.seed, id.pub]),
        listen: ["/ip4/127.0.0.1/tcp/0"],
        protocol: GOSSIP_PROTOCOL,
        isAllowed: () => true,
        maxConnections: 4,
        log: pino({ level: "silent" }),
      },
      {
        onPeerStream: (remote) => {
          if (peer) peer.remote = remote;
        },
        // what the node sends is Hornet framing by construction; a test that needs it reads `received`
        onData: (_remote, chunk) => peer?.received.push(...peer.reader.push(chunk)),
        onPeerGone: () => {
          if (peer && !peer.goneAt) peer.goneAt = Date.now();
        },
      },
    );
    peer = new HostilePeer(node, id.peerId, transport);
    await transport.start();
    await connectSpaced(transport, node.multiAddress);
    await waitFor(async () => peer.remote !== "", 10_000, "the hostile peer's gossip stream");
    return peer;
  }

  get connected(): boolean {
    return this.goneAt === 0 && this.transport.connectedPeers().length > 0;
  }

  /** Queues stream bytes; waits while the transport's send queue is full. False once disconnected. */
  async send(bytes: Uint8Array): Promise<boolean> {
    for (;;) {
      if (this.goneAt) return false;
      if (this.transport.send(this.remote, bytes)) return true;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Resolves once the node has hung up (libp2p closed the stream), or throws after `timeoutMs`. */
  async hungUp(timeoutMs = 10_000): Promise<void> {
    await waitFor(async () => this.goneAt !== 0, timeoutMs, "the node to hang up on the hostile peer");
  }

  /** Tries to connect again: true if a gossip stream opened (the node let us back in). */
  async reconnect(): Promise<boolean> {
    this.remote = "";
    this.goneAt = 0;
    try {
      await connectSpaced(this.transport, this.node.multiAddress);
    } catch {
      return false;
    }
    return this.remote !== "";
  }

  /** Adds the peer to the node again (what an operator does to lift a penalty). */
  readd(): Promise<void> {
    return addPeer(this.node, this.peerId);
  }

  /** Frames received so far that carry a message (answers and broadcasts). */
  messages(): Uint8Array[] {
    return this.received.flatMap((f) => (f.type === FRAME_MESSAGE ? [f.bytes] : []));
  }

  /** Stops the host and makes the node forget the peer (peers API DELETE). */
  async leave(): Promise<void> {
    await this.transport.stop();
    const res = await fetch(`${this.node.url}/api/v1/peers/${this.peerId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${this.node.token}` },
    });
    if (res.status !== 204) throw new Error(`removing the hostile peer: ${res.status}`);
  }
}

async function addPeer(node: ClusterNode, peerId: string): Promise<void> {
  const res = await fetch(`${node.url}/api/v1/peers`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${node.token}` },
    // port 1: the node's own dials to it fail fast; the connection is ours
    body: JSON.stringify({ multiAddress: `/ip4/127.0.0.1/tcp/1/p2p/${peerId}`, alias: "hostile" }),
  });
  if (res.status !== 200) throw new Error(`adding the hostile peer: ${res.status} ${await res.text()}`);
}

/** Sets a nonce meeting `minPoWScore` (searched from `from`) into serialized message bytes (a copy). */
export function mined(bytes: Uint8Array, minPoWScore = 1, from = 1n): Uint8Array {
  const out = Uint8Array.from(bytes);
  const target = targetTrailingZeros(out.length, minPoWScore);
  const nonce = mineNonceBitsliced(powDigest(out), target, from, 2 ** 40);
  if (nonce === null) throw new Error("no nonce found");
  new DataView(out.buffer).setBigUint64(out.length - 8, nonce, true);
  return out;
}

// Hornet's framing written out again on its own, as the judge of what the node must accept: u8 type
// 1..4, u16 LE length, body of exactly 4 (milestone request), 32 (message request), 14 (heartbeat)
// or 1..32768 (message) bytes.
const BODY_RULES: Record<number, (n: number) => boolean> = {
  1: (n) => n === 4,
  2: (n) => n >= 1 && n <= MAX_MESSAGE_LENGTH,
  3: (n) => n === 32,
  4: (n) => n === 14,
};

export interface FramingVerdict {
  /** the stream breaks the framing rules somewhere */
  malformed: boolean;
  /** whole frames up to the first break (or the end) */
  frames: { type: number; length: number }[];
  /** bytes of an unfinished last frame (0 when the stream ends on a frame boundary) */
  partial: number;
}

export function judgeFraming(stream: Uint8Array): FramingVerdict {
  const frames: { type: number; length: number }[] = [];
  let at = 0;
  while (at < stream.length) {
    const type = stream[at]!;
    const rule = BODY_RULES[type];
    if (!rule) return { malformed: true, frames, partial: 0 };
    if (stream.length - at < 3) return { malformed: false, frames, partial: stream.length - at };
    const length = stream[at + 1]! | (stream[at + 2]! << 8);
    if (type === 2 && length > MAX_MESSAGE_LENGTH) return { malformed: true, frames, partial: 0 };
    if (stream.length - at - 3 < length) return { malformed: false, frames, partial: stream.length - at };
    if (!rule(length)) return { malformed: true, frames, partial: 0 };
    frames.push({ type, length });
    at += 3 + length;
  }
  return { malformed: false, frames, partial: 0 };
}

/**
 * Zero bytes that finish the stream's unfinished last frame (a header missing bytes gets zeros too,
 * which may make that frame break the rules: judge the completed stream again).
 */
export function completion(stream: Uint8Array): Uint8Array {
  const v = judgeFraming(stream);
  if (v.malformed || v.partial === 0) return new Uint8Array(0);
  const start = stream.length - v.partial;
  const header = Uint8Array.from([stream[start]!, stream[start + 1] ?? 0, stream[start + 2] ?? 0]);
  const length = header[1]! | (header[2]! << 8);
  return new Uint8Array(3 + length - v.partial);
}
