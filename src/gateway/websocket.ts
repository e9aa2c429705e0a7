import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { Balancer } from "./balancer.ts";
import { forwardedHeaders, HOP_BY_HOP } from "./headers.ts";
import { endSocketWith, Refusal } from "./refusal.ts";
import { newContext, type Step } from "./steps/step.ts";

/** Where /mqtt WebSockets are tunnelled: open tunnels, and until when it is skipped after a failure. */
export interface WsUpstream {
  url: URL;
  open: number;
  failedUntil: number;
}

export interface WebSocketOptions {
  upstreams: string[];
  tls: boolean;
  healthIntervalMs: number;
  /** the checks a handshake passes, in order (the gateway's steps: IP filter, route, credentials, caps) */
  steps: Step[];
  onRefused: (reason: string, ip: string) => void;
  /** added to every answer the gateway writes itself (HSTS, nosniff) */
  extraHeaders: [string, string][];
}

/**
 * WebSocket upgrades on /mqtt, tunnelled byte for byte to an upgrade upstream (by default the nodes'
 * own /mqtt; fewest open tunnels wins) after the same checks as a request. MQTT itself is the
 * upstream's business. Unhealthy or just-failed upstreams are skipped, and a tunnel that cannot
 * connect is tried once on another upstream.
 */
export class WebSocketTunnels {
  readonly upstreams: WsUpstream[];
  /** client sockets with an open tunnel (closed with the gateway) */
  readonly open = new Set<Socket>();

  constructor(
    private readonly opts: WebSocketOptions,
    private readonly balancer: Balancer,
    private readonly log: Logger,
  ) {
    this.upstreams = opts.upstreams.map((u) => ({ url: new URL(u), open: 0, failedUntil: 0 }));
  }

  get openCount(): number {
    return this.upstreams.reduce((n, u) => n + u.open, 0);
  }

  close(): void {
    for (const t of this.open) t.destroy();
  }

  async handle(req: IncomingMessage, socket: Socket, head: Buffer, ip: string): Promise<void> {
    const ctx = newContext(req, ip);
    const path = ctx.path;
    const refuse = (r: Refusal) => {
      this.opts.onRefused(r.reason, ip);
      this.log.info(
        { ip, method: req.method, path: path.split("?")[0], status: r.status, reason: r.reason },
        "request",
      );
      endSocketWith(
        socket,
        new Refusal(r.status, r.reason, r.message, {
          ...Object.fromEntries(this.opts.extraHeaders),
          ...r.headers,
        }),
      );
    };
    socket.on("error", () => socket.destroy());
    const cleanups: (() => void)[] = [];
    const unreserve = () => {
      for (const c of cleanups.splice(0).reverse()) c();
    };
    try {
      for (const step of this.opts.steps) {
        const cleanup = await step(ctx);
        if (cleanup) cleanups.push(cleanup);
      }
    } catch (err) {
      unreserve();
      refuse(err instanceof Refusal ? err : new Refusal(500, "internal", "internal error"));
      return;
    }
    // The client may have left while we awaited the checks: its "close" has fired already.
    if (socket.destroyed) {
      unreserve();
      return;
    }
    const headers = forwardedHeaders(
      req.headers,
      ip,
      this.opts.tls,
      (k) => k === "upgrade" || k === "connection",
    );
    const tried = new Set<WsUpstream>();
    const attempt = (): void => {
      const target = this.pick(tried);
      if (!target) {
        if (socket.writable) refuse(new Refusal(503, "no_healthy_node", "no healthy node available"));
        unreserve();
        return;
      }
      tried.add(target);
      this.tunnel(socket, head, path, headers, ip, target, unreserve, () => {
        // Could not reach that node (e.g. it just died): try another one once.
        target.failedUntil = Date.now() + Math.max(1000, 2 * this.opts.healthIntervalMs);
        if (tried.size < 2 && !socket.destroyed && this.pick(tried)) attempt();
        else {
          if (socket.writable) refuse(new Refusal(502, "upstream_error", "no node could answer the request"));
          unreserve();
        }
      });
    };
    attempt();
  }

  /** The upgrade upstream with the fewest open tunnels among those healthy and not failed just now. */
  private pick(exclude: Set<WsUpstream>): WsUpstream | undefined {
    const now = Date.now();
    const healthyOrigins = new Set(
      this.balancer.upstreams.filter((u) => u.healthy).map((u) => new URL(u.url).origin),
    );
    const known = new Set(this.balancer.upstreams.map((u) => new URL(u.url).origin));
    const candidates = this.upstreams.filter(
      (u) =>
        !exclude.has(u) &&
        u.failedUntil <= now &&
        // An upstream the balancer checks must be healthy; others (a separate broker) are taken as they are.
        (!known.has(u.url.origin) || healthyOrigins.has(u.url.origin)),
    );
    return candidates.reduce<WsUpstream | undefined>(
      (a, b) => (a === undefined || b.open < a.open ? b : a),
      undefined,
    );
  }
  private tunnel(
    socket: Socket,
    head: Buffer,
    path: string,
    headers: Record<string, string | string[]>,
    ip: string,
    target: WsUpstream,
    unreserve: () => void,
    onConnectError: () => void,
  ): void {
    target.open++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      target.open--;
    };
    const onClientClose = () => {
      release();
      unreserve();
    };
    socket.once("close", onClientClose);
    const upReq = httpRequest({
      host: target.url.hostname.replace(/^\[|\]$/g, ""),
      port: target.url.port || 80,
      method: "GET",
      path,
      headers,
      timeout: 10_000,
    });
    let answered = false;
    upReq.on("timeout", () => upReq.destroy(new Error("upstream upgrade timeout")));
    upReq.on("error", (err) => {
      this.log.warn({ err: String(err), ip, upstream: target.url.origin }, "WebSocket upstream failed");
      if (answered) return;
      socket.off("close", onClientClose);
      release();
      onConnectError();
    });
    upReq.on("response", () => {
      answered = true;
    });
    upReq.on("upgrade", () => {
      answered = true;
    });
    upReq.on("response", (res) => {
      // The upstream refused the upgrade: relay its answer as is.
      const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ""}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2)
        if (!HOP_BY_HOP.has(res.rawHeaders[i]!.toLowerCase()))
          lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      socket.write(`${lines.join("\r\n")}\r\nconnection: close\r\n\r\n`);
      res.pipe(socket);
    });
    upReq.on("upgrade", (res, upSocket: Socket, upHead: Buffer) => {
      const lines = [`HTTP/1.1 101 ${res.statusMessage ?? "Switching Protocols"}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2)
        lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      upSocket.on("error", () => socket.destroy());
      upSocket.on("close", () => socket.destroy());
      socket.on("close", () => upSocket.destroy());
      this.open.add(socket);
      socket.once("close", () => this.open.delete(socket));
      socket.setTimeout(0);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
      this.log.info(
        { ip, method: "GET", path: "/mqtt", upstream: target.url.origin, status: 101 },
        "request",
      );
    });
    socket.once("close", () => upReq.destroy());
    upReq.end();
  }
}
