import type { Server, Socket } from "node:net";
import type { Logger } from "pino";
import { clientRateKey, createIpSet, normalizeIp } from "./client-ip.ts";
import { ClientSlots, type SlotTable } from "./client-slots.ts";

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
 * logged as "connection" lines with the client address, for fail2ban. Per-client counts live in `open`:
 * this process's table, or with several workers the primary's, so the cap holds across them; a worker
 * then lets a socket start and closes it when the primary says no.
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  onRefused: (reason: string, ip: string) => void,
  log: Logger,
  open: SlotTable = new ClientSlots(),
): void {
  const exempt = createIpSet(limits.exempt, "limits.connectionExempt");
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
    const refuse = () => {
      onRefused("connection_limit", ip);
      log.info({ ip, reason: "connection_limit" }, "connection");
      socket.destroy();
    };
    const taken = open.tryTake(key, limits.maxConnectionsPerClient);
    if (taken === false) return refuse();
    if (taken === true) {
      socket.once("close", () => open.release(key));
      return;
    }
    let closed = false;
    socket.once("close", () => {
      closed = true;
    });
    void taken.then((ok) => {
      if (!ok) return refuse();
      if (closed) open.release(key);
      else socket.once("close", () => open.release(key));
    });
  });
}
