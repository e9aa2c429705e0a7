// What each gateway engine's /metrics says about a node: the node engine names it by URL in
// stinger_gateway_* metrics, HAProxy's exporter by its server name (host:port) in backend "nodes".
import type { GatewayEngine } from "./devnet.ts";

function haproxyServer(nodeUrl: string): string {
  return `proxy="nodes",server="${new URL(nodeUrl).host}"`;
}

/** The node takes traffic (node engine: healthy; HAProxy: UP). */
export function nodeTakesTraffic(engine: GatewayEngine, metrics: string, nodeUrl: string): boolean {
  return engine === "node"
    ? metrics.includes(`stinger_gateway_node_healthy{node="${nodeUrl}"} 1`)
    : metrics.includes(`haproxy_server_status{${haproxyServer(nodeUrl)},state="UP"} 1`);
}

/** The node is out of rotation (node engine: unhealthy; HAProxy: DOWN). */
export function nodeDown(engine: GatewayEngine, metrics: string, nodeUrl: string): boolean {
  return engine === "node"
    ? metrics.includes(`stinger_gateway_node_healthy{node="${nodeUrl}"} 0`)
    : metrics.includes(`haproxy_server_status{${haproxyServer(nodeUrl)},state="DOWN"} 1`);
}

/** Requests sent to the node so far. */
export function nodeRequests(engine: GatewayEngine, metrics: string, nodeUrl: string): number {
  const re =
    engine === "node"
      ? new RegExp(`^stinger_gateway_node_requests_total\\{node="${nodeUrl}"\\} (\\d+)`, "m")
      : new RegExp(`^haproxy_server_sessions_total\\{${haproxyServer(nodeUrl)}\\} (\\d+)`, "m");
  return Number(re.exec(metrics)?.[1] ?? 0);
}
