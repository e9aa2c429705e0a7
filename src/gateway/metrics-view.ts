import { byLabel, type PromSample } from "../util/prom-text.ts";

export interface GatewayNodeView {
  node: string;
  healthy: boolean;
  inFlight: number;
  requests: number;
  powJobs: number;
}

/** Each upstream node as the gateway's metrics (node engine) describe it: the dashboard's and `stinger status`'s view. */
export function gatewayNodesFromMetrics(samples: PromSample[]): GatewayNodeView[] {
  const healthy = byLabel(samples, "stinger_gateway_node_healthy", "node");
  const inFlight = byLabel(samples, "stinger_gateway_node_in_flight", "node");
  const requests = byLabel(samples, "stinger_gateway_node_requests_total", "node");
  const powJobs = byLabel(samples, "stinger_gateway_node_pow_jobs", "node");
  return [...healthy.keys()].map((node) => ({
    node,
    healthy: healthy.get(node) === 1,
    inFlight: inFlight.get(node) ?? 0,
    requests: requests.get(node) ?? 0,
    powJobs: powJobs.get(node) ?? 0,
  }));
}
