import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/**
 * The gateway's metrics. With several workers the primary sums each worker's registry
 * (prom-client's AggregatorRegistry.aggregate); gauges that must not be summed say how they combine.
 */
export function createGatewayMetrics() {
  const registry = new Registry();
  // prom-client's process metrics (memory, open FDs, event-loop lag, GC) under the gateway's prefix, as
  // the node has them under its own; with workers, the primary combines them by each one's aggregator.
  collectDefaultMetrics({ register: registry, prefix: "stinger_gateway_process_" });
  const r = [registry];
  return {
    registry,
    requests: new Counter({
      name: "stinger_gateway_requests_total",
      help: "Requests by status",
      labelNames: ["status"] as const,
      registers: r,
    }),
    /** per worker (label "0" without workers): shows how evenly the kernel spreads connections */
    workerRequests: new Counter({
      name: "stinger_gateway_worker_requests_total",
      help: "Requests answered by each gateway worker process",
      labelNames: ["worker"] as const,
      registers: r,
    }),
    refusals: new Counter({
      name: "stinger_gateway_refusals_total",
      help: "Requests refused, by reason",
      labelNames: ["reason"] as const,
      registers: r,
    }),
    inFlight: new Gauge({
      name: "stinger_gateway_node_in_flight",
      help: "Requests in flight per node",
      labelNames: ["node"] as const,
      registers: r,
    }),
    healthy: new Gauge({
      name: "stinger_gateway_node_healthy",
      help: "1 when a node takes traffic",
      labelNames: ["node"] as const,
      // with several workers each checks health itself: 1 only when every worker sends it traffic
      aggregator: "min",
      registers: r,
    }),
    proxied: new Counter({
      name: "stinger_gateway_node_requests_total",
      help: "Requests proxied per node",
      labelNames: ["node"] as const,
      registers: r,
    }),
    powSubmits: new Counter({
      name: "stinger_gateway_node_pow_submits_total",
      help: "Remote-PoW submits proxied per node",
      labelNames: ["node"] as const,
      registers: r,
    }),
    powJobs: new Gauge({
      name: "stinger_gateway_node_pow_jobs",
      help: "PoW jobs on a node as the gateway sees them (its load report, or this gateway's submits if more)",
      labelNames: ["node"] as const,
      // the node's own report is the same in every worker
      aggregator: "max",
      registers: r,
    }),
    powInFlight: new Gauge({
      name: "stinger_gateway_pow_submits_in_flight",
      help: "Remote-PoW submits in flight through this gateway",
      registers: r,
    }),
    webSockets: new Gauge({
      name: "stinger_gateway_websockets_open",
      help: "WebSockets tunnelled to an upstream right now",
      registers: r,
    }),
  };
}

/**
 * Bound children of labelled counters, made once per label value: prom-client hashes a label object on
 * every inc() otherwise, which shows at thousands of requests a second.
 */
export class BoundCounters {
  private readonly children = new Map<Counter<string>, Map<string, { inc(): void }>>();

  of(counter: Counter<string>, label: string): { inc(): void } {
    let byLabel = this.children.get(counter);
    if (!byLabel) this.children.set(counter, (byLabel = new Map()));
    let child = byLabel.get(label);
    if (!child) byLabel.set(label, (child = counter.labels(label)));
    return child;
  }
}
