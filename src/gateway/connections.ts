import type { Server, Socket } from "node:net";
import type { Logger } from "pino";
import { clientRateKey, createIpSet, normalizeIp } from "./client-ip.ts";

export interface ConnectionLimits {
  /** open connections one client address (IPv6: prefix) may hold */
  maxConnectionsPerClient: number;
  /** open connections in all; further ones are refused before they cost anything */
  maxConnections: number;
  /** never capped per client: the trusted proxies, and these */
  exempt: string[];
  ipv6PrefixLength: number;
}

/**
 * Connection caps, checked on the TCP connection before TLS or HTTP cost anything: one address may
 * hold `maxConnectionsPerClient` sockets (a slow-body or slowloris attacker cannot pile up thousands),
 * and the whole gateway `maxConnections` (Node's server.maxConnections: new sockets are dropped, so the
 * process keeps its file descriptors and memory for the clients it has). Refusals are counted and
 * logged as "connection" lines with the client address, for fail2ban.
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  onRefused: (reason: string, ip: string) => void,
  log: Logger,
): { openFrom(ip: string): number } {
  const exempt = createIpSet(limits.exempt, "limits.connectionExempt");
  const open = new Map<string, number>();
  server.maxConnections = limits.maxConnections;
  server.on("drop", (data?: { remoteAddress?: string }) => {
    const ip = normalizeIp(data?.remoteAddress ?? "") ?? "";
    onRefused("connection_total_limit", ip);
    log.info({ ip, reason: "connection_total_limit" }, "connection");
  });
  server.on("connection", (socket: Socket) => {
    const ip = normalizeIp(socket.remoteAddress ?? "");
    if (ip === null || exempt.has(ip)) return;
    const key = clientRateKey(ip, limits.ipv6PrefixLength);
    const n = (open.get(key) ?? 0) + 1;
    if (n > limits.maxConnectionsPerClient) {
      onRefused("connection_limit", ip);
      log.info({ ip, reason: "connection_limit" }, "connection");
      socket.destroy();
      return;
    }
    open.set(key, n);
    socket.once("close", () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
  return { openFrom: (ip) => open.get(clientRateKey(normalizeIp(ip) ?? ip, limits.ipv6PrefixLength)) ?? 0 };
}
