// What the dashboard shows live: one JSON object built every second from the node's parts (and the
// gateway's metrics when dashboard.gateway.adminURL is set), pushed to every logged-in WebSocket.
import { request } from "undici";
import { type GatewayNodeView, gatewayNodesFromMetrics } from "../../gateway/metrics-view.ts";
import { toHex } from "../../protocol/hex.ts";
import { TOTAL_SUPPLY } from "../../protocol/params.ts";
import { byLabel, parsePromText } from "../../util/prom-text.ts";
import type { TangleEvents } from "../tangle/events.ts";
import type { Tangle } from "../tangle/tangle.ts";

/** The node as the dashboard reads it (StingerNode provides it). */
export interface LiveSource {
  alias: string;
  networkName: string;
  tangle: Pick<Tangle, "latestMilestoneIndex" | "confirmedMilestoneIndex" | "isSynced" | "isHealthy"> & {
    tips: { size: number };
  };
  rates(): { messagesPerSecond: number; referencedMessagesPerSecond: number; referencedRate: number };
  peers(): Record<string, unknown>[];
  pow(): { workers: number; busyWorkers: number; queueDepth: number; maxQueue: number } | null;
  /** Curl hashes the PoW pool has computed since start */
  powHashes(): Promise<number>;
  database(): { file: number; used: number; tangle: number; ledger: number };
  pruningIndex(): number;
  ledger(): { index: number; stateHash: Uint8Array; treasury: bigint };
  faucet(): { address: string; balance: number } | null;
  mqttClients(): number;
  events: TangleEvents;
}

export interface GatewayView {
  url: string;
  ok: boolean;
  error?: string;
  requests: Record<string, number>;
  refusals: Record<string, number>;
  nodes: GatewayNodeView[];
}

const HISTORY = 120;
const TIMELINE = 30;

/**
 * Keeps the last two minutes of rates and the last 30 confirmed milestones, and polls the gateway: what
 * `state()` adds to the node's current figures.
 */
export class LiveState {
  private readonly history: { at: number; mps: number; rmps: number }[] = [];
  private readonly milestones: {
    index: number;
    timestamp: number;
    messageId: string;
    referenced: number;
    at: number;
  }[] = [];
  private gateway: GatewayView | undefined;
  private lastHashes: { at: number; hashes: number } | undefined;
  private hashRate = 0;
  private readonly off: () => void;

  constructor(
    private readonly src: LiveSource,
    /** the gateway's metrics URL; settable, as a devnet starts its gateway after its nodes */
    public gatewayAdminUrl: string | undefined,
  ) {
    const onConfirmed = (e: {
      index: number;
      timestamp: number;
      messageId: Uint8Array;
      referenced: Uint8Array[];
    }) => {
      this.milestones.push({
        index: e.index,
        timestamp: e.timestamp,
        messageId: toHex(e.messageId),
        referenced: e.referenced.length,
        at: Date.now(),
      });
      if (this.milestones.length > TIMELINE) this.milestones.shift();
    };
    src.events.on("milestoneConfirmed", onConfirmed);
    this.off = () => src.events.off("milestoneConfirmed", onConfirmed);
  }

  close(): void {
    this.off();
  }

  /** Samples the rates, the PoW hash rate and the gateway: once a second. */
  async tick(now = Date.now()): Promise<void> {
    const r = this.src.rates();
    this.history.push({ at: now, mps: r.messagesPerSecond, rmps: r.referencedMessagesPerSecond });
    if (this.history.length > HISTORY) this.history.shift();
    const hashes = await this.src.powHashes();
    if (this.lastHashes && now > this.lastHashes.at)
      this.hashRate = ((hashes - this.lastHashes.hashes) * 1000) / (now - this.lastHashes.at);
    this.lastHashes = { at: now, hashes };
    if (this.gatewayAdminUrl) this.gateway = await readGateway(this.gatewayAdminUrl);
  }

  state(): Record<string, unknown> {
    const { src } = this;
    const ledger = src.ledger();
    const pow = src.pow();
    return {
      at: Date.now(),
      node: { alias: src.alias, network: src.networkName },
      sync: {
        synced: src.tangle.isSynced(),
        healthy: src.tangle.isHealthy(),
        latestMilestoneIndex: src.tangle.latestMilestoneIndex,
        confirmedMilestoneIndex: src.tangle.confirmedMilestoneIndex,
      },
      rates: src.rates(),
      history: this.history,
      milestones: this.milestones,
      peers: src.peers(),
      tips: src.tangle.tips.size,
      pow: pow && { ...pow, hashesPerSecond: Math.round(this.hashRate) },
      database: { ...src.database(), pruningIndex: src.pruningIndex() },
      ledger: {
        index: ledger.index,
        stateHash: toHex(ledger.stateHash),
        supply: String(TOTAL_SUPPLY),
        treasury: String(ledger.treasury),
        faucet: src.faucet(),
      },
      mqttClients: src.mqttClients(),
      gateway: this.gateway ?? null,
    };
  }
}

async function readGateway(url: string): Promise<GatewayView> {
  const view: GatewayView = { url, ok: false, requests: {}, refusals: {}, nodes: [] };
  try {
    const res = await request(url, {
      headersTimeout: 2000,
      bodyTimeout: 2000,
      signal: AbortSignal.timeout(2000),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    const samples = parsePromText(text);
    view.requests = Object.fromEntries(byLabel(samples, "stinger_gateway_requests_total", "status"));
    view.refusals = Object.fromEntries(byLabel(samples, "stinger_gateway_refusals_total", "reason"));
    view.nodes = gatewayNodesFromMetrics(samples);
    view.ok = true;
  } catch (err) {
    view.error = (err as Error).message;
  }
  return view;
}
