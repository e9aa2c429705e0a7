import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** What the database-condition gauges read at each scrape (the node's Store). */
export interface DatabaseCondition {
  readonly isFull: boolean;
  readonly writeFailures: number;
}

/** Every metric the node exports, created once and handed to modules (which accept null). */
export function createNodeMetrics(registry = new Registry(), database?: DatabaseCondition) {
  collectDefaultMetrics({ register: registry, prefix: "stinger_node_process_" });
  const r = [registry];
  return {
    registry,
    stored: new Counter({
      name: "stinger_node_messages_stored_total",
      help: "Messages stored",
      registers: r,
    }),
    rejected: new Counter({
      name: "stinger_node_messages_rejected_total",
      help: "Messages refused by the ingest pipeline, by reason",
      labelNames: ["reason"] as const,
      registers: r,
    }),
    referenced: new Counter({
      name: "stinger_node_messages_referenced_total",
      help: "Messages referenced by confirmed milestones",
      registers: r,
    }),
    latestMilestoneIndex: new Gauge({
      name: "stinger_node_latest_milestone_index",
      help: "LMI",
      registers: r,
    }),
    confirmedMilestoneIndex: new Gauge({
      name: "stinger_node_confirmed_milestone_index",
      help: "CMI",
      registers: r,
    }),
    tips: new Gauge({ name: "stinger_node_tips", help: "Tips in the non-lazy pool", registers: r }),
    confirmationHalted: new Gauge({
      name: "stinger_node_confirmation_halted",
      help: "1 when this node rejected a milestone (Merkle proof or receipt) and stopped confirming",
      registers: r,
    }),
    transactions: new Counter({
      name: "stinger_node_transactions_total",
      help: "Transactions referenced by confirmed milestones, by outcome",
      labelNames: ["outcome"] as const,
      registers: r,
    }),
    httpRequests: new Counter({
      name: "stinger_node_http_requests_total",
      help: "REST requests by route template and status",
      labelNames: ["route", "status"] as const,
      registers: r,
    }),
    powJobs: new Counter({
      name: "stinger_node_pow_jobs_total",
      help: "Remote PoW jobs by outcome",
      labelNames: ["outcome"] as const,
      registers: r,
    }),
    gossipPeers: new Gauge({
      name: "stinger_node_gossip_peers",
      help: "Peers with an open gossip stream",
      registers: r,
    }),
    gossipRefused: new Counter({
      name: "stinger_node_gossip_refused_total",
      help: "Connections refused because the peer is not known",
      registers: r,
    }),
    gossipPenalties: new Counter({
      name: "stinger_node_gossip_penalties_total",
      help: "Peers disconnected for misbehaviour, by reason",
      labelNames: ["reason"] as const,
      registers: r,
    }),
    gossipInvalid: new Counter({
      name: "stinger_node_gossip_invalid_messages_total",
      help: "Invalid messages received from peers",
      registers: r,
    }),
    gossipPeerCounters: new Gauge({
      name: "stinger_node_gossip_peer_frames",
      help: "Per-peer gossip counters (Hornet's peer metrics), by peer ID and counter",
      labelNames: ["peer", "counter"] as const,
      registers: r,
    }),
    powWorkerRestarts: new Counter({
      name: "stinger_node_pow_worker_restarts_total",
      help: "PoW workers replaced after dying",
      registers: r,
    }),
    powQueueDepth: new Gauge({
      name: "stinger_node_pow_queue_depth",
      help: "PoW jobs waiting",
      registers: r,
    }),
    powBusyWorkers: new Gauge({
      name: "stinger_node_pow_busy_workers",
      help: "PoW workers mining",
      registers: r,
    }),
    powHashes: new Counter({
      name: "stinger_node_pow_hashes_total",
      help: "Curl-P-81 hashes computed",
      registers: r,
    }),
    powSeconds: new Histogram({
      name: "stinger_node_pow_duration_seconds",
      help: "Time to find a nonce",
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120],
      registers: r,
    }),
    pruningIndex: new Gauge({
      name: "stinger_node_pruning_index",
      help: "Milestones at or below this index have been pruned",
      registers: r,
    }),
    prunedMessages: new Counter({
      name: "stinger_node_pruned_messages_total",
      help: "Messages removed by pruning",
      registers: r,
    }),
    databaseFull: new Gauge({
      name: "stinger_node_database_full",
      help: "1 while database writes fail for lack of disk space (writes answer 503, reads go on)",
      registers: r,
      collect() {
        this.set(database?.isFull ? 1 : 0);
      },
    }),
    databaseWriteFailures: new Gauge({
      name: "stinger_node_database_write_failures",
      help: "Database write transactions that failed (nothing of them applied) since the node started",
      registers: r,
      collect() {
        this.set(database?.writeFailures ?? 0);
      },
    }),
    databaseBytes: new Gauge({
      name: "stinger_node_database_bytes",
      help: "Database size: file (its high-water mark), used (pages holding data), and of those tangle (history pruning bounds) and ledger (unspent outputs)",
      labelNames: ["kind"],
      registers: r,
    }),
  };
}

export type NodeMetrics = ReturnType<typeof createNodeMetrics>;
