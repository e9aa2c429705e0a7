import type { Logger } from "pino";
import { toHex } from "../../protocol/hex.ts";
import { messageId } from "../../protocol/message.ts";
import { StingerError } from "../../util/errors.ts";
import type { NodeMetrics } from "../metrics.ts";
import type { Store } from "../store/store.ts";
import type { TangleEvents } from "../tangle/events.ts";
import { milestoneIndexOf, parentsOf, type Tangle } from "../tangle/tangle.ts";
import {
  encodeHeartbeat,
  encodeMessage,
  encodeMessageRequest,
  encodeMilestoneRequest,
  FRAME_HEARTBEAT,
  FRAME_MESSAGE,
  FRAME_MESSAGE_REQUEST,
  FRAME_MILESTONE_REQUEST,
  type Frame,
  FrameError,
} from "./frames.ts";
import { peerIdOfMultiaddr } from "./multiaddr.ts";
import { MAX_DROPPED_FRAMES, MAX_IN_FLIGHT, MAX_INVALID_MESSAGES, PENALTY_MS, Peer } from "./peer.ts";
import { GossipTransport } from "./transport.ts";

export interface GossipOptions {
  networkId: bigint;
  /** libp2p Ed25519 key, 64 bytes: seed || public key */
  privateKey: Uint8Array;
  bindMultiAddresses: string[];
  peers: { multiAddress: string; alias?: string }[];
  maxConnections: number;
  heartbeatIntervalMs: number;
  reconnectMaxDelayMs: number;
}

interface PendingRequest {
  id: Uint8Array;
  attempts: number;
  lastSentAt: number;
}

const PEER_COUNTERS = Object.keys(new Peer("", "", undefined).metrics);
const REQUEST_RETRY_MS = 1000;
const MAX_REQUEST_ATTEMPTS = 10;
const MAX_PENDING_REQUESTS = 50_000;
/** Milestones requested at once from a peer that is ahead. */
const MILESTONE_WINDOW = 64;
const TICK_MS = 250;

/**
 * Hornet's gossip over libp2p: new messages go to every peer that did not send them, missing
 * parents and milestones are requested from peers, heartbeats carry milestone indexes. Only known
 * peers (config or peers API) may connect. A peer that breaks framing is disconnected at once; one
 * that sends invalid messages or floods is disconnected after a bounded number of offences.
 */
export class GossipService {
  private readonly transport: GossipTransport;
  private readonly peers = new Map<string, Peer>();
  private readonly pendingMessages = new Map<string, PendingRequest>();
  private readonly pendingMilestones = new Map<number, number>();
  /** who sent us a message being processed, so it is not echoed back */
  private readonly sourceOf = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly offStored: () => void;
  private readonly offMissing: () => void;
  private readonly offMilestone: () => void;
  private readonly offLatest: () => void;

  constructor(
    private readonly opts: GossipOptions,
    private readonly tangle: Tangle,
    private readonly store: Store,
    events: TangleEvents,
    private readonly log: Logger,
    private readonly metrics: NodeMetrics | null = null,
  ) {
    for (const p of opts.peers) this.addKnownPeer(p.multiAddress, p.alias);
    this.transport = new GossipTransport(
      {
        privateKey: opts.privateKey,
        listen: opts.bindMultiAddresses,
        protocol: `/iota-gossip/${opts.networkId}/1.0.0`,
        isAllowed: (peerId) => this.isAllowed(peerId),
        maxConnections: opts.maxConnections,
        log,
      },
      {
        onPeerStream: (peerId) => this.onPeerStream(peerId),
        onData: (peerId, chunk) => this.onData(peerId, chunk),
        onPeerGone: (peerId, reason) => this.onPeerGone(peerId, reason),
        onRefused: (peerId) => {
          this.metrics?.gossipRefused.inc();
          this.log.warn(
            { peerId, penalized: this.peers.has(peerId) },
            "refused a connection from an unknown or penalized peer",
          );
        },
      },
    );
    const onStored = (id: Uint8Array, bytes: Uint8Array) => this.broadcast(id, bytes);
    const onMissing = (_id: Uint8Array, missing: Uint8Array[]) => this.requestMessages(missing);
    const onMilestone = () => this.sendHeartbeats();
    // A new latest milestone from a peer: ask peers that are further ahead for the next ones.
    const onLatest = () => {
      for (const peer of this.connectedPeers()) this.requestMilestonesFrom(peer);
    };
    events.on("latestMilestoneChanged", onLatest);
    this.offLatest = () => events.off("latestMilestoneChanged", onLatest);
    events.on("messageStored", onStored);
    events.on("missingParents", onMissing);
    events.on("milestoneConfirmed", onMilestone);
    this.offStored = () => events.off("messageStored", onStored);
    this.offMissing = () => events.off("missingParents", onMissing);
    this.offMilestone = () => events.off("milestoneConfirmed", onMilestone);
  }

  get peerId(): string {
    return this.transport.peerId;
  }

  listenAddresses(): string[] {
    return this.transport.listenAddresses();
  }

  async start(): Promise<void> {
    await this.transport.start();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.heartbeatTimer = setInterval(() => this.sendHeartbeats(), this.opts.heartbeatIntervalMs);
    this.tick();
    this.log.info(
      { peerId: this.peerId, listen: this.listenAddresses(), knownPeers: this.peers.size },
      "gossip started",
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.heartbeatTimer);
    this.offStored();
    this.offMissing();
    this.offMilestone();
    this.offLatest();
    await this.transport.stop();
  }

  connectedCount(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.connected) n++;
    return n;
  }

  peerList(): Record<string, unknown>[] {
    return [...this.peers.values()].map((p) => p.json());
  }

  peer(peerId: string): Record<string, unknown> | undefined {
    return this.peers.get(peerId)?.json();
  }

  /** Adds a known peer at runtime (peers API) and dials it. */
  addPeer(multiAddress: string, alias?: string): Record<string, unknown> {
    const peer = this.addKnownPeer(multiAddress, alias);
    // the operator's explicit word: a peer added again is dialled now, any penalty lifted
    peer.nextDialAt = 0;
    peer.penalizedUntil = 0;
    this.tick();
    return peer.json();
  }

  /** Forgets a known peer and closes its connection; false when unknown. */
  async removePeer(peerId: string): Promise<boolean> {
    if (!this.peers.delete(peerId)) return false;
    for (const counter of PEER_COUNTERS) this.metrics?.gossipPeerCounters.remove({ peer: peerId, counter });
    await this.transport.disconnect(peerId);
    this.updateConnected();
    return true;
  }

  private addKnownPeer(multiAddress: string, alias?: string): Peer {
    const id = peerIdOfMultiaddr(multiAddress);
    if (!id) {
      throw new StingerError(
        "GOSSIP_BAD_MULTIADDRESS",
        `multiAddress must end in /p2p/<peerId>: ${multiAddress}`,
        {
          status: 400,
        },
      );
    }
    const existing = this.peers.get(id);
    if (existing) {
      existing.multiAddress = multiAddress;
      existing.alias = alias ?? existing.alias;
      return existing;
    }
    const peer = new Peer(id, multiAddress, alias);
    this.peers.set(id, peer);
    return peer;
  }

  private onPeerStream(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) {
      void this.transport.disconnect(peerId);
      return;
    }
    peer.connected = true;
    peer.resetStream();
    peer.retryDelayMs = 0;
    this.updateConnected();
    this.log.info({ peerId, alias: peer.alias }, "peer connected");
    this.sendHeartbeat(peer);
  }

  private onPeerGone(peerId: string, reason: string): void {
    const peer = this.peers.get(peerId);
    if (!peer?.connected) return;
    peer.connected = false;
    this.updateConnected();
    this.log.info({ peerId, reason }, "peer disconnected");
  }

  private updateConnected(): void {
    const n = this.connectedCount();
    this.tangle.setConnectedPeers(n);
    this.metrics?.gossipPeers.set(n);
  }

  /** Known peers only, and a penalized one not before its penalty ends (else it would just redial). */
  private isAllowed(peerId: string): boolean {
    const peer = this.peers.get(peerId);
    return peer !== undefined && Date.now() >= peer.penalizedUntil;
  }

  /** Drops a misbehaving peer; neither side may reconnect before the back-off has passed. */
  private penalize(peer: Peer, reason: string): void {
    this.metrics?.gossipPenalties.inc({ reason });
    this.log.warn({ peerId: peer.id, reason }, "peer penalized and disconnected");
    peer.retryDelayMs = this.opts.reconnectMaxDelayMs;
    peer.penalizedUntil = Date.now() + Math.max(PENALTY_MS, peer.retryDelayMs);
    peer.nextDialAt = peer.penalizedUntil;
    peer.connected = false;
    this.updateConnected();
    void this.transport.disconnect(peer.id);
  }

  private onData(peerId: string, chunk: Uint8Array): void {
    const peer = this.peers.get(peerId);
    if (!peer?.connected) return;
    let frames: Frame[];
    try {
      frames = peer.reader.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.penalize(peer, "malformed_frame");
      return;
    }
    for (const frame of frames) {
      if (!peer.connected) return;
      if (!peer.inbound.take()) {
        this.dropped(peer);
        if (!peer.connected) return;
        continue;
      }
      this.onFrame(peer, frame);
    }
  }

  /** Counts a frame dropped for exceeding the peer's rate; a peer that keeps flooding is dropped. */
  private dropped(peer: Peer): void {
    peer.metrics.droppedPackets++;
    if (peer.metrics.droppedPackets > MAX_DROPPED_FRAMES && peer.connected) this.penalize(peer, "flood");
  }

  private onFrame(peer: Peer, frame: Frame): void {
    switch (frame.type) {
      case FRAME_MESSAGE:
        peer.metrics.receivedMessages++;
        this.onMessage(peer, frame.bytes);
        return;
      case FRAME_MESSAGE_REQUEST: {
        peer.metrics.receivedMessageRequests++;
        if (!peer.requests.take()) {
          this.dropped(peer);
          return;
        }
        const bytes = this.store.getMessage(frame.id);
        if (bytes) this.send(peer, encodeMessage(bytes), "sentMessages");
        return;
      }
      case FRAME_MILESTONE_REQUEST: {
        peer.metrics.receivedMilestoneRequests++;
        if (!peer.requests.take()) {
          this.dropped(peer);
          return;
        }
        const index = frame.index === 0 ? this.tangle.latestMilestoneIndex : frame.index;
        const ms = this.store.getMilestone(index);
        const bytes = ms && this.store.getMessage(ms.messageId);
        if (bytes) this.send(peer, encodeMessage(bytes), "sentMessages");
        return;
      }
      case FRAME_HEARTBEAT:
        peer.metrics.receivedHeartbeats++;
        peer.heartbeat = frame.heartbeat;
        this.requestMilestonesFrom(peer);
        return;
    }
  }

  private onMessage(peer: Peer, bytes: Uint8Array): void {
    const id = messageId(bytes);
    const key = toHex(id);
    const requested = this.pendingMessages.delete(key) || this.isRequestedMilestone(bytes);
    // Unsolicited messages are bounded per peer; answers to our requests are already bounded by
    // MAX_PENDING_REQUESTS, and dropping them would only cost a retry later.
    if (!requested && peer.inFlight >= MAX_IN_FLIGHT) {
      peer.metrics.droppedPackets++;
      return;
    }
    // Already stored, or the same message from another peer is being validated right now.
    if (this.sourceOf.has(key) || this.store.hasMessage(id)) {
      peer.metrics.knownMessages++;
      return;
    }
    // Catching up: ask for the parents of an answer right away, before validating and storing it,
    // so each level of a missing past cone costs one round trip and not a round trip plus a commit.
    if (requested) this.requestMessages(parentsOf(bytes).filter((p) => !this.tangle.isEntryPoint(p)));
    peer.inFlight++;
    this.sourceOf.set(key, peer.id);
    this.tangle
      .submit(bytes, requested ? "requested" : "gossip", id)
      .then((r) => {
        if (r.stored) peer.metrics.newMessages++;
        else peer.metrics.knownMessages++;
      })
      .catch((err: unknown) => {
        // Not stored (the Store logged the full disk once): the message stays unseen and comes again.
        if (err instanceof StingerError && err.code.startsWith("STORE_")) {
          peer.metrics.droppedPackets++;
          return;
        }
        if (!(err instanceof StingerError) || err.status !== 400) {
          this.log.error({ err, peerId: peer.id }, "gossip message processing failed");
          return;
        }
        this.metrics?.gossipInvalid.inc();
        peer.invalidMessages++;
        this.log.debug({ peerId: peer.id, reason: err.message }, "invalid message from peer");
        if (peer.invalidMessages > MAX_INVALID_MESSAGES && peer.connected)
          this.penalize(peer, "invalid_messages");
      })
      .finally(() => {
        peer.inFlight--;
        this.sourceOf.delete(key);
      });
  }

  /** A milestone we asked for by index: its signatures are checked, its PoW need not be. */
  private isRequestedMilestone(bytes: Uint8Array): boolean {
    const index = milestoneIndexOf(bytes);
    return index !== null && this.pendingMilestones.delete(index);
  }

  private broadcast(id: Uint8Array, bytes: Uint8Array): void {
    const key = toHex(id);
    this.pendingMessages.delete(key);
    const source = this.sourceOf.get(key);
    const frame = encodeMessage(bytes);
    for (const peer of this.peers.values()) {
      if (peer.connected && peer.id !== source) this.send(peer, frame, "sentMessages");
    }
  }

  private send(
    peer: Peer,
    frame: Uint8Array,
    counter: "sentMessages" | "sentMessageRequests" | "sentMilestoneRequests" | "sentHeartbeats",
  ): void {
    if (this.transport.send(peer.id, frame)) peer.metrics[counter]++;
    else peer.metrics.droppedPackets++;
  }

  private connectedPeers(): Peer[] {
    return [...this.peers.values()].filter((p) => p.connected);
  }

  private requestMessages(ids: Uint8Array[]): void {
    const now = Date.now();
    for (const id of ids) {
      const key = toHex(id);
      if (this.pendingMessages.has(key) || this.sourceOf.has(key) || this.store.hasMessage(id)) continue;
      if (this.pendingMessages.size >= MAX_PENDING_REQUESTS) break;
      const request = { id, attempts: 0, lastSentAt: 0 };
      this.pendingMessages.set(key, request);
      this.sendRequest(request, now);
    }
  }

  /** Asks the next connected peer (round robin over attempts) for a missing message. */
  private sendRequest(request: PendingRequest, now: number): void {
    const peers = this.connectedPeers();
    if (peers.length === 0) return;
    const peer = peers[request.attempts % peers.length]!;
    request.attempts++;
    request.lastSentAt = now;
    this.send(peer, encodeMessageRequest(request.id), "sentMessageRequests");
  }

  private requestMilestonesFrom(peer: Peer): void {
    const theirs = peer.heartbeat?.latestMilestoneIndex ?? 0;
    // From the confirmed index, not the latest: a node catching up gets the newest milestones by
    // gossip, so its latest index jumps ahead of milestones it has never stored. Requested from the
    // latest up, those gaps were never asked for and confirmation stopped at the first one.
    const from = this.tangle.confirmedMilestoneIndex;
    const now = Date.now();
    for (let index = from + 1; index <= Math.min(theirs, from + MILESTONE_WINDOW); index++) {
      const last = this.pendingMilestones.get(index);
      if (last !== undefined && now - last < REQUEST_RETRY_MS) continue;
      if (this.store.getMilestone(index)) continue;
      this.pendingMilestones.set(index, now);
      this.send(peer, encodeMilestoneRequest(index), "sentMilestoneRequests");
    }
  }

  private sendHeartbeat(peer: Peer): void {
    let synced = 0;
    const lmi = this.tangle.latestMilestoneIndex;
    for (const p of this.peers.values()) {
      if (p.connected && p.heartbeat && p.heartbeat.solidMilestoneIndex >= lmi) synced++;
    }
    const frame = encodeHeartbeat({
      solidMilestoneIndex: this.tangle.confirmedMilestoneIndex,
      prunedMilestoneIndex: this.store.pruningIndex,
      latestMilestoneIndex: lmi,
      connectedPeers: this.connectedCount(),
      syncedPeers: synced,
    });
    this.send(peer, frame, "sentHeartbeats");
  }

  private sendHeartbeats(): void {
    for (const peer of this.connectedPeers()) this.sendHeartbeat(peer);
  }

  /** Reconnects known peers with back-off, retries and expires requests. */
  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const peer of this.peers.values()) {
      if (peer.connected || peer.dialing || now < peer.nextDialAt) continue;
      peer.dialing = true;
      this.transport
        .connect(peer.multiAddress)
        .catch((err: unknown) => {
          peer.retryDelayMs = Math.min(this.opts.reconnectMaxDelayMs, Math.max(500, peer.retryDelayMs * 2));
          peer.nextDialAt = Date.now() + peer.retryDelayMs;
          this.log.debug({ peerId: peer.id, err: String(err), retryInMs: peer.retryDelayMs }, "dial failed");
        })
        .finally(() => {
          peer.dialing = false;
        });
    }
    for (const [key, request] of this.pendingMessages) {
      if (this.store.hasMessage(request.id) || request.attempts >= MAX_REQUEST_ATTEMPTS) {
        this.pendingMessages.delete(key);
      } else if (now - request.lastSentAt >= REQUEST_RETRY_MS) {
        this.sendRequest(request, now);
      }
    }
    if (this.metrics) {
      for (const peer of this.peers.values()) {
        for (const [counter, value] of Object.entries(peer.metrics)) {
          this.metrics.gossipPeerCounters.set({ peer: peer.id, counter }, value);
        }
      }
    }
    for (const [index, at] of this.pendingMilestones) {
      if (index <= this.tangle.latestMilestoneIndex || now - at > 30_000)
        this.pendingMilestones.delete(index);
    }
  }
}
