import { FrameReader, type Heartbeat } from "./frames.ts";
import { TokenBucket } from "./token-bucket.ts";

export interface PeerGossipMetrics {
  newMessages: number;
  knownMessages: number;
  receivedMessages: number;
  receivedMessageRequests: number;
  receivedMilestoneRequests: number;
  receivedHeartbeats: number;
  sentMessages: number;
  sentMessageRequests: number;
  sentMilestoneRequests: number;
  sentHeartbeats: number;
  droppedPackets: number;
}

// Per-peer bounds. Catch-up answers arrive at thousands of messages per second, so the inbound
// budget is generous; beyond it frames are dropped, and a peer that keeps flooding is disconnected.
const INBOUND_FRAMES_PER_SECOND = 20_000;
const INBOUND_BURST = 40_000;
export const REQUESTS_PER_SECOND = 10_000;
export const REQUEST_BURST = 20_000;
/** Invalid messages (bad PoW, syntax, signatures) tolerated before the peer is dropped. */
export const MAX_INVALID_MESSAGES = 20;
/** Frames dropped for flooding before the peer is dropped. */
export const MAX_DROPPED_FRAMES = 50_000;
/**
 * How long a penalized peer stays locked out (at least; longer when the reconnect interval is): long
 * enough that misbehaving costs it something, short enough that a peer with a passing bug comes back.
 */
export const PENALTY_MS = 60_000;
/** Messages from one peer being validated at once; more are dropped (back-pressure). */
export const MAX_IN_FLIGHT = 1024;

/** What the node knows about one peer: configuration, stream state, counters and bounds. */
export class Peer {
  connected = false;
  heartbeat: Heartbeat | undefined;
  invalidMessages = 0;
  inFlight = 0;
  reader = new FrameReader();
  readonly inbound = new TokenBucket(INBOUND_FRAMES_PER_SECOND, INBOUND_BURST);
  readonly requests = new TokenBucket(REQUESTS_PER_SECOND, REQUEST_BURST);
  readonly metrics: PeerGossipMetrics = {
    newMessages: 0,
    knownMessages: 0,
    receivedMessages: 0,
    receivedMessageRequests: 0,
    receivedMilestoneRequests: 0,
    receivedHeartbeats: 0,
    sentMessages: 0,
    sentMessageRequests: 0,
    sentMilestoneRequests: 0,
    sentHeartbeats: 0,
    droppedPackets: 0,
  };
  /** back-off for reconnects, doubled on each failure */
  retryDelayMs = 0;
  nextDialAt = 0;
  /** until then the peer's own connections are refused too (see GossipService.penalize) */
  penalizedUntil = 0;
  dialing = false;

  constructor(
    readonly id: string,
    public multiAddress: string,
    public alias: string | undefined,
  ) {}

  json(): Record<string, unknown> {
    return {
      id: this.id,
      multiAddresses: [this.multiAddress],
      ...(this.alias ? { alias: this.alias } : {}),
      relation: "known",
      connected: this.connected,
      // TIP-13's Peer requires `gossip`, also for a peer not connected yet (no heartbeat, zero counters).
      gossip: {
        heartbeat: this.heartbeat
          ? {
              solidMilestoneIndex: this.heartbeat.solidMilestoneIndex,
              prunedMilestoneIndex: this.heartbeat.prunedMilestoneIndex,
              latestMilestoneIndex: this.heartbeat.latestMilestoneIndex,
              connectedNeighbors: this.heartbeat.connectedPeers,
              syncedNeighbors: this.heartbeat.syncedPeers,
            }
          : null,
        metrics: { ...this.metrics },
      },
    };
  }

  resetStream(): void {
    this.reader = new FrameReader();
    this.inFlight = 0;
    this.invalidMessages = 0;
  }
}
