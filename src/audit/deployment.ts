import { dirname, posix } from "node:path";
import { splitHostPort } from "../config/common.ts";
import { type GatewayConfig, gatewayConfigSchema } from "../config/gateway.ts";
import { parseConfig } from "../config/load.ts";
import { type NodeConfig, nodeConfigSchema } from "../config/node.ts";
import { errorMessage } from "../util/errors.ts";
import type { Protocol } from "./collectors/sockets.ts";
import type { Host } from "./host.ts";

/** A port the deployment uses, and whether the world may reach it. */
export interface DeploymentPort {
  port: number;
  protocol: Protocol;
  service: string;
  /** The address the component is configured to bind, when a config file said so. */
  bindHost?: string;
}

/**
 * What the stinger deployment on this host needs: the ports the world must reach (gateway, gossip) and
 * the ones that must stay on loopback or a private network (node REST, metrics, admin, dashboards).
 * Built from the node and gateway config files when given, else from stinger's documented defaults.
 */
export interface Deployment {
  publicPorts: DeploymentPort[];
  privatePorts: DeploymentPort[];
  /** Config files read, for the evidence lines; empty when running on defaults. */
  sources: string[];
  node?: { file: string; config: NodeConfig; baseDir: string };
  gateway?: { file: string; config: GatewayConfig };
}

export const DEFAULT_PUBLIC_PORTS: DeploymentPort[] = [
  { port: 443, protocol: "tcp", service: "gateway (HTTPS)" },
  { port: 15600, protocol: "tcp", service: "gossip" },
];

/** Ports of Hornet-style deployments that must never face the internet. */
export const DEFAULT_PRIVATE_PORTS: DeploymentPort[] = [
  { port: 14265, protocol: "tcp", service: "node REST API" },
  { port: 9311, protocol: "tcp", service: "node metrics" },
  { port: 9312, protocol: "tcp", service: "gateway admin/metrics" },
  { port: 8081, protocol: "tcp", service: "node dashboard" },
  { port: 3000, protocol: "tcp", service: "grafana" },
  { port: 9090, protocol: "tcp", service: "prometheus" },
  { port: 6060, protocol: "tcp", service: "pprof" },
  { port: 9029, protocol: "tcp", service: "INX" },
  { port: 1883, protocol: "tcp", service: "MQTT" },
  { port: 14290, protocol: "tcp", service: "node agent-check" },
];

/** A config file that could not be used: the audit stops with exit code 2 (the operator named it). */
export class DeploymentConfigError extends Error {}

async function readJson(host: Host, file: string): Promise<unknown> {
  const read = await host.readText(file);
  if (!read.ok) throw new DeploymentConfigError(`${host.display(file)}: cannot read (${read.reason})`);
  try {
    return JSON.parse(read.text);
  } catch (err) {
    throw new DeploymentConfigError(`${host.display(file)}: not valid JSON (${errorMessage(err)})`);
  }
}

function parseWith<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new DeploymentConfigError(errorMessage(err));
  }
}

export async function loadDeployment(
  host: Host,
  files: { nodeConfig?: string; gatewayConfig?: string },
): Promise<Deployment> {
  const publicPorts: DeploymentPort[] = [];
  const privatePorts: DeploymentPort[] = [];
  const sources: string[] = [];
  const deployment: Deployment = { publicPorts, privatePorts, sources };

  if (files.gatewayConfig) {
    const file = files.gatewayConfig;
    const json = await readJson(host, file);
    // Environment overrides belong to the gateway's own process, not to the auditor's.
    const config = parseWith(() => parseConfig(gatewayConfigSchema, json, host.display(file), {}));
    deployment.gateway = { file, config };
    sources.push(host.display(file));
    const listen = splitHostPort(config.bindAddress);
    publicPorts.push({ port: listen.port, protocol: "tcp", service: "gateway", bindHost: listen.host });
    const admin = splitHostPort(config.adminBindAddress);
    privatePorts.push({
      port: admin.port,
      protocol: "tcp",
      service: "gateway admin/metrics",
      bindHost: admin.host,
    });
    // The HAProxy engine's peers port carries every client's counters: other gateways only.
    const peers = config.haproxy.peers;
    const self = peers?.members.find((m) => m.name === peers.local);
    if (self) {
      const p = splitHostPort(self.address);
      privatePorts.push({
        port: p.port,
        protocol: "tcp",
        service: "gateway HAProxy peers",
        bindHost: p.host,
      });
    }
  } else {
    publicPorts.push(DEFAULT_PUBLIC_PORTS[0]!);
  }

  if (files.nodeConfig) {
    const file = files.nodeConfig;
    const json = await readJson(host, file);
    const config = parseWith(() => parseConfig(nodeConfigSchema, json, host.display(file), {}));
    deployment.node = { file, config, baseDir: dirname(file) };
    sources.push(host.display(file));
    if (config.p2p.enabled) {
      for (const ma of config.p2p.bindMultiAddresses) {
        const m = /^\/ip[46]\/([^/]+)\/tcp\/(\d+)$/.exec(ma);
        if (m) publicPorts.push({ port: Number(m[2]), protocol: "tcp", service: "gossip", bindHost: m[1] });
      }
    }
    const rest = splitHostPort(config.restAPI.bindAddress);
    privatePorts.push({ port: rest.port, protocol: "tcp", service: "node REST API", bindHost: rest.host });
    if (config.mqtt.enabled && config.mqtt.bindAddress) {
      const mqtt = splitHostPort(config.mqtt.bindAddress);
      privatePorts.push({ port: mqtt.port, protocol: "tcp", service: "node MQTT", bindHost: mqtt.host });
    }
    if (config.restAPI.agentCheck.bindAddress) {
      // Tells anyone how busy the node is and steers the load balancer: never public.
      const agent = splitHostPort(config.restAPI.agentCheck.bindAddress);
      privatePorts.push({
        port: agent.port,
        protocol: "tcp",
        service: "node agent-check",
        bindHost: agent.host,
      });
    }
    if (config.prometheus.enabled) {
      const metrics = splitHostPort(config.prometheus.bindAddress);
      privatePorts.push({
        port: metrics.port,
        protocol: "tcp",
        service: "node metrics",
        bindHost: metrics.host,
      });
    }
  } else {
    publicPorts.push(DEFAULT_PUBLIC_PORTS[1]!);
  }

  // Well-known private ports stay private even when a config moved stinger's own elsewhere.
  for (const p of DEFAULT_PRIVATE_PORTS)
    if (!privatePorts.some((q) => q.port === p.port && q.protocol === p.protocol) && !isPublic(deployment, p))
      privatePorts.push(p);
  return deployment;
}

function isPublic(d: Deployment, p: { port: number; protocol: Protocol }): boolean {
  return d.publicPorts.some((q) => q.port === p.port && q.protocol === p.protocol);
}

export function isPublicPort(d: Deployment, port: number, protocol: Protocol): boolean {
  return isPublic(d, { port, protocol });
}

export function privatePort(d: Deployment, port: number, protocol: Protocol): DeploymentPort | undefined {
  return d.privatePorts.find((q) => q.port === port && q.protocol === protocol);
}

/** A path named in a node config, as a host path (relative ones are relative to the config's folder). */
export function nodePath(d: Deployment, p: string): string {
  return posix.isAbsolute(p) ? p : posix.join(d.node?.baseDir ?? "/", p);
}
