// libp2p 2.x transport for gossip (TCP + Noise + Yamux, as Hornet/Bee): explicit dials only, no discovery,
// one gossip stream per peer, non-blocking bounded sends.
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { privateKeyFromRaw } from "@libp2p/crypto/keys";
import type { Connection, Libp2p, PeerId, PrivateKey, Stream } from "@libp2p/interface";
import { peerIdFromPrivateKey as libp2pPeerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { ed25519 } from "@noble/curves/ed25519.js";
import { type Pushable, pushable } from "it-pushable";
import { createLibp2p } from "libp2p";
import type { Logger } from "pino";
import { errorMessage, StingerError } from "../../util/errors.ts";

// libp2p 2.x's peer store locks (mortice → it-queue) call Promise.withResolvers, which Node 20 lacks (22+):
// without this every connection close throws an uncaught TypeError.
{
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers !== "function") {
    P.withResolvers = function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };
  }
}

export interface TransportOptions {
  /** libp2p Ed25519 private key in raw 64-byte form: 32-byte seed || 32-byte public key */
  privateKey: Uint8Array;
  /** multiaddrs to listen on, e.g. ["/ip4/127.0.0.1/tcp/0"] */
  listen: string[];
  /** stream protocol ID, e.g. "/iota-gossip/8453507715857476362/1.0.0" */
  protocol: string;
  /** Decides whether a remote peer ID may connect at all (inbound AND outbound). Unknown peers are refused
   *  at the connection level (libp2p connectionGater), before any stream opens. */
  isAllowed: (peerId: string) => boolean;
  /** max simultaneous connections (connection manager maxConnections) */
  maxConnections: number;
  log: Logger;
  /** per-peer outgoing queue bound in bytes; default 4 MiB */
  maxQueuedBytes?: number;
}

export interface TransportHandlers {
  /** a gossip stream with this peer is open and usable; `outbound` = we opened it. Fires again, without
   *  onPeerGone, when a simultaneous dial replaces the stream: per-stream state (reassembly) must restart. */
  onPeerStream(peerId: string, outbound: boolean): void;
  /** raw bytes received on the peer's gossip stream (arbitrary chunking; the caller reassembles frames) */
  onData(peerId: string, chunk: Uint8Array): void;
  /** the peer's gossip stream / connection is gone */
  onPeerGone(peerId: string, reason: string): void;
  /** an inbound connection from a peer refused by isAllowed (for logging/metrics) */
  onRefused?(peerId: string): void;
}

const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const DIAL_TIMEOUT_MS = 10_000;

/** One open gossip stream; a peer briefly has two while a simultaneous dial is resolved. */
interface Link {
  peer: string;
  stream: Stream;
  conn: Connection;
  outbound: boolean;
  /** peer ID of the side that opened the stream: the tie-break key both sides agree on */
  opener: string;
  /** local arrival order, to prefer a remote's newer stream over its older one */
  seq: number;
  queue: Pushable<Uint8Array>;
  /** bytes received before the stream was chosen, delivered after its onPeerStream */
  early: Uint8Array[];
  earlyBytes: number;
  /** was the current stream and got replaced: its reader state is gone, never choose it again */
  retired: boolean;
  closed: boolean;
}

interface PeerState {
  links: Link[];
  current?: Link;
  /** onPeerStream was emitted and onPeerGone not yet */
  announced: boolean;
  lastReason: string;
}

interface Dial {
  promise: Promise<void>;
  abort: AbortController;
}

function ed25519Key(raw: Uint8Array): PrivateKey {
  if (raw.length !== 64)
    throw new StingerError("gossip_bad_key", "gossip private key must be 64 bytes (seed || pub)");
  // libp2p trusts the embedded public key; a mismatch would yield a peer ID the key cannot sign for.
  const pub = ed25519.getPublicKey(raw.subarray(0, 32));
  if (!Buffer.from(pub).equals(Buffer.from(raw.subarray(32)))) {
    throw new StingerError("gossip_bad_key", "gossip private key: public half does not match the seed");
  }
  return privateKeyFromRaw(raw);
}

/** The libp2p peer ID (12D3KooW...) of a raw 64-byte Ed25519 key, as GossipTransport.peerId. */
export function peerIdFromPrivateKey(privateKey: Uint8Array): string {
  return libp2pPeerIdFromPrivateKey(ed25519Key(privateKey)).toString();
}

/** Simultaneous-dial rule, the same on both sides: the stream opened by the smaller peer ID wins; between two
 *  streams of one opener, the newer (the opener only opens another after dropping its old one). */
function beats(a: { opener: string; seq: number }, b: Link): boolean {
  return a.opener !== b.opener ? a.opener < b.opener : a.seq > b.seq;
}

export class GossipTransport {
  readonly peerId: string;
  private readonly key: PrivateKey;
  private readonly opts: TransportOptions;
  private readonly handlers: TransportHandlers;
  private readonly maxQueuedBytes: number;
  private readonly log: Logger;
  private node?: Libp2p;
  private starting = false;
  private stopping?: Promise<void>;
  private seq = 0;
  private readonly peers = new Map<string, PeerState>();
  private readonly dials = new Map<string, Dial>();

  constructor(opts: TransportOptions, handlers: TransportHandlers) {
    this.key = ed25519Key(opts.privateKey);
    this.peerId = libp2pPeerIdFromPrivateKey(this.key).toString();
    this.opts = opts;
    this.handlers = handlers;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.log = opts.log.child({ module: "gossip-transport" });
  }

  async start(): Promise<void> {
    if (this.node || this.starting || this.stopping) {
      throw new StingerError("gossip_started", "gossip transport already started");
    }
    this.starting = true;
    try {
      this.node = await this.create();
    } finally {
      this.starting = false;
    }
    this.log.info({ peerId: this.peerId, addrs: this.listenAddresses() }, "gossip transport listening");
  }

  private async create(): Promise<Libp2p> {
    const allowed = (p: PeerId) => this.opts.isAllowed(p.toString());
    const node = await createLibp2p({
      start: false,
      privateKey: this.key,
      addresses: { listen: this.opts.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: this.opts.maxConnections, dialTimeout: DIAL_TIMEOUT_MS },
      connectionGater: {
        denyDialPeer: (p) => !allowed(p),
        denyOutboundEncryptedConnection: (p) => !allowed(p),
        // the earliest point where an inbound peer's identity is proven (after the Noise handshake)
        denyInboundEncryptedConnection: (p) => {
          if (allowed(p)) return false;
          this.refused(p.toString());
          return true;
        },
      },
    });
    await node.handle(
      this.opts.protocol,
      ({ stream, connection }) => this.onInboundStream(stream, connection),
      {
        maxInboundStreams: 4,
        maxOutboundStreams: 2,
      },
    );
    try {
      await node.start();
    } catch (err) {
      await Promise.resolve(node.stop()).catch(() => {});
      throw new StingerError("gossip_listen_failed", `gossip transport: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    return node;
  }

  stop(): Promise<void> {
    if (!this.stopping && this.node) this.stopping = this.shutdown(this.node);
    return this.stopping ?? Promise.resolve();
  }

  private async shutdown(node: Libp2p): Promise<void> {
    for (const dial of this.dials.values()) dial.abort.abort(new Error("transport stopped"));
    const peers = [...this.peers.entries()];
    this.peers.clear();
    for (const [peer, st] of peers) {
      for (const link of st.links) this.closeLink(link, "transport stopped");
      if (st.announced) this.emitGone(peer, "transport stopped");
    }
    try {
      await node.stop();
    } finally {
      this.node = undefined;
      this.stopping = undefined;
    }
  }

  listenAddresses(): string[] {
    return this.node?.getMultiaddrs().map((m) => m.toString()) ?? [];
  }

  async connect(addr: string): Promise<void> {
    const node = this.running();
    const ma = multiaddr(addr);
    const peer = ma.getPeerId();
    if (peer == null) throw new StingerError("gossip_bad_address", `${addr}: must end in /p2p/<peerId>`);
    if (peer === this.peerId) throw new StingerError("gossip_bad_address", `${addr}: that is this node`);
    if (!this.opts.isAllowed(peer))
      throw new StingerError("gossip_not_allowed", `peer ${peer} is not allowed`);
    if (this.peers.get(peer)?.current) return;
    let dial = this.dials.get(peer);
    if (!dial) {
      // registered before dialling so a synchronous failure cannot leave a stale entry behind
      const d: Dial = { abort: new AbortController(), promise: Promise.resolve() };
      this.dials.set(peer, d);
      d.promise = this.dial(node, peer, ma, d);
      dial = d;
    }
    try {
      await dial.promise;
    } catch (err) {
      // the peer's own stream may have won meanwhile: connected is connected
      if (this.peers.get(peer)?.current) return;
      throw new StingerError("gossip_connect_failed", `connect ${addr}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (!this.peers.get(peer)?.current) {
      throw new StingerError("gossip_connect_failed", `connect ${addr}: gossip stream closed at once`);
    }
  }

  async disconnect(peerId: string): Promise<void> {
    const node = this.node;
    if (!node || this.stopping) return; // stop() closes everything anyway
    this.dials.get(peerId)?.abort.abort(new Error("disconnected locally"));
    const st = this.peers.get(peerId);
    this.peers.delete(peerId);
    if (st) for (const link of st.links) this.closeLink(link, "disconnected locally");
    if (st?.announced) this.emitGone(peerId, "disconnected locally");
    await node.hangUp(peerIdFromString(peerId));
  }

  send(peerId: string, bytes: Uint8Array): boolean {
    const link = this.peers.get(peerId)?.current;
    if (!link || link.closed) return false;
    // readableLength counts bytes not yet taken by the stream (which itself stops at the Yamux window)
    if (link.queue.readableLength + bytes.byteLength > this.maxQueuedBytes) return false;
    if (bytes.byteLength > 0) link.queue.push(bytes);
    return true;
  }

  connectedPeers(): string[] {
    return [...this.peers.entries()].filter(([, st]) => st.current).map(([peer]) => peer);
  }

  peerAddresses(peerId: string): string[] {
    if (!this.node) return [];
    let id: PeerId;
    try {
      id = peerIdFromString(peerId);
    } catch {
      return [];
    }
    return [...new Set(this.node.getConnections(id).map((c) => c.remoteAddr.toString()))];
  }

  private running(): Libp2p {
    if (!this.node || this.stopping)
      throw new StingerError("gossip_not_running", "gossip transport not running");
    return this.node;
  }

  private async dial(node: Libp2p, peer: string, ma: Multiaddr, d: Dial): Promise<void> {
    const signal = AbortSignal.any([d.abort.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)]);
    let stream: Stream | undefined;
    let conn: Connection | undefined;
    let failure: unknown;
    try {
      conn = await node.dial(ma, { signal });
      stream = await conn.newStream(this.opts.protocol, { signal });
      if (d.abort.signal.aborted || this.stopping || this.node !== node) {
        stream.abort(new Error("dial cancelled"));
        failure = d.abort.signal.reason ?? new Error("transport stopped");
      }
    } catch (err) {
      failure = err;
    }
    if (this.dials.get(peer) === d) this.dials.delete(peer);
    if (failure === undefined && stream && conn) {
      this.addLink(stream, conn, true);
      return;
    }
    // a remote stream held for this dial, or a deferred onPeerGone, is decided now
    this.elect(peer);
    throw failure;
  }

  private onInboundStream(stream: Stream, conn: Connection): void {
    const peer = conn.remotePeer.toString();
    if (this.stopping || !this.node) {
      stream.abort(new Error("transport stopping"));
      return;
    }
    if (!this.opts.isAllowed(peer)) {
      // the gater should have refused it; isAllowed may have changed since the connection opened
      stream.abort(new Error("peer not allowed"));
      void conn.close().catch(() => {});
      this.refused(peer);
      return;
    }
    this.addLink(stream, conn, false);
  }

  private addLink(stream: Stream, conn: Connection, outbound: boolean): void {
    const peer = conn.remotePeer.toString();
    const link: Link = {
      peer,
      stream,
      conn,
      outbound,
      opener: outbound ? this.peerId : peer,
      seq: ++this.seq,
      queue: pushable(),
      early: [],
      earlyBytes: 0,
      retired: false,
      closed: false,
    };
    let st = this.peers.get(peer);
    if (!st) {
      st = { links: [], announced: false, lastReason: "" };
      this.peers.set(peer, st);
    }
    st.links.push(link);
    Promise.resolve(stream.sink(link.queue)).catch((err) =>
      this.dropLink(link, `send failed: ${errorMessage(err)}`),
    );
    void this.read(link);
    this.elect(peer);
  }

  private async read(link: Link): Promise<void> {
    let reason = "stream closed by remote";
    try {
      for await (const chunk of link.stream.source) {
        if (link.closed) break;
        const bytes = chunk.subarray();
        if (this.peers.get(link.peer)?.current === link) {
          this.deliver(link.peer, bytes);
        } else if (!link.retired) {
          // not chosen yet (held for our own dial, or a spare): keep what the remote sent, e.g. its handshake
          link.early.push(bytes);
          link.earlyBytes += bytes.byteLength;
          if (link.earlyBytes > this.maxQueuedBytes) {
            reason = "too much data on a gossip stream that was not chosen";
            break;
          }
        }
        // a retired stream is drained and dropped so it cannot stall its connection
      }
    } catch (err) {
      reason = errorMessage(err);
    }
    this.dropLink(link, reason);
  }

  private deliver(peer: string, bytes: Uint8Array): void {
    try {
      this.handlers.onData(peer, bytes);
    } catch (err) {
      this.log.error({ err, peer }, "gossip onData handler threw");
    }
  }

  /** Picks the peer's stream by the tie-break rule and emits the resulting events. */
  private elect(peer: string): void {
    const st = this.peers.get(peer);
    if (!st) return;
    let best: Link | undefined;
    for (const l of st.links) if (!l.retired && (!best || beats(l, best))) best = l;
    // Our own dial to this peer is in flight and its stream would beat what we have: wait for it rather than
    // announce a stream about to be replaced, or report a peer gone that is about to be back.
    const dialWins =
      this.dials.has(peer) && (best === undefined || beats({ opener: this.peerId, seq: Infinity }, best));
    const old = st.current;
    if (!best) {
      if (dialWins) return; // held: the dial's outcome decides
      this.peers.delete(peer);
      for (const l of st.links) this.closeLink(l, "no usable gossip stream left");
      if (st.announced) this.emitGone(peer, st.lastReason || "stream closed");
      return;
    }
    if (old !== best && !dialWins) {
      if (old) old.retired = true;
      this.choose(peer, st, best);
      if (this.peers.get(peer) !== st || st.current !== best) return; // a handler changed things meanwhile
    }
    // We close only our own losing streams: the remote closes its own when it sees ours, so a stream it still
    // uses is never cut from under it. Its losing streams stay open until then, or are chosen should ours die.
    for (const l of [...st.links]) {
      if (l !== st.current && l.outbound) {
        this.detach(l, "lost the simultaneous-dial tie-break");
        if (!st.links.some((o) => o.conn === l.conn)) void l.conn.close().catch(() => {});
      }
    }
  }

  private choose(peer: string, st: PeerState, link: Link): void {
    st.current = link;
    st.announced = true;
    this.log.debug({ peer, outbound: link.outbound }, "gossip stream open");
    try {
      this.handlers.onPeerStream(peer, link.outbound);
    } catch (err) {
      this.log.error({ err, peer }, "gossip onPeerStream handler threw");
    }
    const early = link.early;
    link.early = [];
    link.earlyBytes = 0;
    for (const bytes of early) {
      if (this.peers.get(peer)?.current !== link) return;
      this.deliver(peer, bytes);
    }
  }

  private dropLink(link: Link, reason: string): void {
    if (link.closed) return;
    this.detach(link, reason);
    this.elect(link.peer);
  }

  private detach(link: Link, reason: string): void {
    this.closeLink(link, reason);
    const st = this.peers.get(link.peer);
    if (!st) return;
    st.links = st.links.filter((l) => l !== link);
    if (st.current === link) {
      st.current = undefined;
      st.lastReason = reason;
    }
  }

  private closeLink(link: Link, reason: string): void {
    if (link.closed) return;
    link.closed = true;
    link.queue.end();
    link.early = [];
    link.stream.abort(new Error(reason));
    this.log.debug({ peer: link.peer, reason }, "gossip stream closed");
  }

  private emitGone(peer: string, reason: string): void {
    this.log.debug({ peer, reason }, "gossip peer gone");
    try {
      this.handlers.onPeerGone(peer, reason);
    } catch (err) {
      this.log.error({ err, peer }, "gossip onPeerGone handler threw");
    }
  }

  private refused(peer: string): void {
    this.log.debug({ peer }, "gossip refused a peer that is not allowed");
    try {
      this.handlers.onRefused?.(peer);
    } catch (err) {
      this.log.error({ err, peer }, "gossip onRefused handler threw");
    }
  }
}
