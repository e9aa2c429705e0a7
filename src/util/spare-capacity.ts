// How much more work a node can take, as one computation for both gateway engines: the node answers
// HAProxy's agent-check with it, and the node engine's balancer weighs the load reports with it.

/** A node's remote-PoW pool: it runs one job at a time on all its workers. */
export interface PowPoolLoad {
  workers: number;
  busyWorkers: number;
  queueDepth: number;
}

export interface NodeLoad {
  /** null when the node does no remote PoW */
  pow: PowPoolLoad | null;
  /** event-loop utilization over the last interval, 0..1 */
  eventLoopUtilization: number;
  /** confirmed milestone = latest milestone (a node catching up answers stale reads) */
  synced: boolean;
  /** what /health says: almost synced, peers if required, a recent milestone, not halted */
  healthy: boolean;
}

/** HAProxy's agent-check words: `up` with a weight in percent, `drain` (no new work) or `down`. */
export type SpareCapacity = { state: "up"; percent: number } | { state: "drain" } | { state: "down" };

/**
 * up N%: N is the share of the node still free, the event loop's idle share times the share a new
 * PoW job would get (1 with an idle pool, 1/(1 + jobs) behind `jobs` running and queued ones); never
 * below 1 %, so a loaded but healthy node keeps a trickle of requests and its figures stay current.
 */
export function spareCapacity(load: NodeLoad): SpareCapacity {
  if (!load.healthy) return { state: "down" };
  if (!load.synced) return { state: "drain" };
  const elu = Number.isFinite(load.eventLoopUtilization)
    ? Math.min(1, Math.max(0, load.eventLoopUtilization))
    : 0;
  const pow = load.pow;
  const jobs = pow ? (pow.busyWorkers > 0 ? 1 : 0) + Math.max(0, pow.queueDepth) : 0;
  const percent = Math.round(100 * (1 - elu) * (1 / (1 + jobs)));
  return { state: "up", percent: Math.max(1, Math.min(100, percent)) };
}

/** The agent-check answer line (HAProxy reads up to the newline). */
export function agentLine(spare: SpareCapacity): string {
  return spare.state === "up" ? `up ${spare.percent}%\n` : `${spare.state}\n`;
}
