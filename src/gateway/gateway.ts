import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/gateway.ts";
import { isLingering } from "../util/lingering-close.ts";
import { listenOn } from "../util/listen.ts";
import { Balancer, powJobs, type Upstream } from "./balancer.ts";
import { createClientIpResolver } from "./client-ip.ts";
import { guardConnections } from "./connections.ts";
import { BoundCounters, createGatewayMetrics } from "./metrics.ts";
import { proxyRequest } from "./proxy.ts";
import { endSocketWith, Refusal, sendRefusal } from "./refusal.ts";
import { type GatewayShared, processShared } from "./shared.ts";
import { accessStep } from "./steps/access.ts";
import { bodyStep } from "./steps/body.ts";
import { costStep } from "./steps/cost.ts";
import { ipFilterStep } from "./steps/ip-filter.ts";
import { rateLimitStep } from "./steps/rate-limit.ts";
import { slotStep } from "./steps/slots.ts";
import { newContext, type Step } from "./steps/step.ts";
import { tlsProfileOptions } from "./tls-profile.ts";
import { WebSocketTunnels } from "./websocket.ts";

/** Only WebSockets on /mqtt are tunnelled; anything else that asks to upgrade is an unknown route. */
const mqttOnly: Step = (ctx) => {
  if ((ctx.req.headers.upgrade ?? "").toLowerCase() !== "websocket" || ctx.path.split("?")[0] !== "/mqtt")
    throw new Refusal(404, "unknown_route", "route not found");
};

export interface GatewayOptions {
  /** where limits are counted; default: in this process */
  shared?: GatewayShared;
  /** serve /metrics on adminBindAddress (a cluster worker leaves that to the primary) */
  admin?: boolean;
  /** TLS session-ticket keys (48 bytes), the same in every worker so a ticket resumes on any of them */
  ticketKeys?: Buffer;
  /** this process's worker number, for the per-worker metrics */
  worker?: number;
}

/**
 * The reverse proxy in front of the nodes. Each request passes the steps in order — IP filter, route
 * policy and credentials, body, route cost, per-client remote-PoW cap, rate limit — then goes to the
 * node with the most spare capacity (proxy.ts). WebSocket upgrades on /mqtt pass the same checks with
 * a cap on open sockets instead (websocket.ts). This class only wires steps, servers and metrics.
 */
export class Gateway {
  private readonly server: Server;
  readonly balancer: Balancer;
  private readonly metrics = createGatewayMetrics();
  private readonly counters = new BoundCounters();
  private readonly clientIp;
  private readonly shared: GatewayShared;
  private readonly steps: Step[];
  /** on every answer: HSTS under TLS, and no content-type sniffing */
  private readonly securityHeaders: [string, string][];
  private readonly webSockets: WebSocketTunnels;
  private readonly admin: Server | undefined;
  private readonly workerRequests: { inc(): void };

  constructor(
    private readonly config: GatewayConfig,
    private readonly log: Logger,
    opts: GatewayOptions = {},
  ) {
    this.clientIp = createClientIpResolver(config.trustedProxies);
    this.securityHeaders = [["x-content-type-options", "nosniff"]];
    if (config.tls && config.tls.hstsMaxAge > 0)
      this.securityHeaders.push(["strict-transport-security", `max-age=${config.tls.hstsMaxAge}`]);
    this.shared = opts.shared ?? processShared(config, log, this.metrics.registry);
    this.workerRequests = this.metrics.workerRequests.labels(String(opts.worker ?? 0));
    const { rateLimit, limits } = config;
    const ipFilter = ipFilterStep(config.ipFilter);
    const access = accessStep({
      routes: config.routes,
      auth: config.auth,
      ipv6PrefixLength: rateLimit.ipv6PrefixLength,
    });
    const rateLimited = rateLimitStep(this.shared.limiter, rateLimit);
    this.steps = [
      ipFilter,
      access,
      bodyStep(limits),
      costStep(rateLimit),
      // Checked before the bucket is charged: a refused submit should not also cost tokens.
      slotStep({
        slots: this.shared.powSubmits,
        max: rateLimit.maxPowSubmitsPerClient,
        applies: (ctx) => ctx.submit === "pow",
        reason: "pow_concurrency",
        message: "too many remote-PoW submits in flight from this client",
        retryAfter: "1",
      }),
      rateLimited,
    ];
    const specs = config.upstreams.map((u) => (typeof u === "string" ? { url: u } : u));
    this.balancer = new Balancer(specs, config.health, log.child({ module: "balancer" }));
    this.webSockets = new WebSocketTunnels(
      {
        upstreams: config.upgradeUpstreams ?? specs.map((u) => u.url),
        tls: config.tls !== undefined,
        healthIntervalMs: config.health.intervalMs,
        steps: [
          ipFilter,
          mqttOnly,
          access,
          slotStep({
            slots: this.shared.webSockets,
            max: limits.maxWebSocketsPerClient,
            reason: "websocket_limit",
            message: "too many open WebSockets from this client",
            retryAfter: "5",
          }),
          rateLimited,
        ],
        onRefused: (reason, ip) => this.refused(reason, ip),
        extraHeaders: this.securityHeaders,
      },
      this.balancer,
      log.child({ module: "websocket" }),
    );
    const serverOptions = {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (default 30 s): a slowloris client would
      // otherwise hold its socket for up to 30 s past the header timeout.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      maxHeaderSize: 16_384,
    };
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = config.tls
      ? createTlsServer(
          { ...serverOptions, ...tlsProfileOptions(config.tls.profile), ...this.readTls() },
          handler,
        )
      : createServer(serverOptions, handler);
    this.server.on("clientError", (err: NodeJS.ErrnoException, socket) =>
      this.clientError(err, socket as Socket),
    );
    this.server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const ip = this.clientIp(socket.remoteAddress ?? "", req.headers["x-forwarded-for"]);
      void this.webSockets.handle(req, socket, head, ip);
    });
    guardConnections(
      this.server,
      {
        maxConnectionsPerClient: limits.maxConnectionsPerClient,
        maxConnections: limits.maxConnections,
        exempt: [...config.trustedProxies, ...limits.connectionExempt],
        ipv6PrefixLength: rateLimit.ipv6PrefixLength,
      },
      (reason, ip) => this.refused(reason, ip),
      log,
      this.shared.connections,
    );
    if (opts.ticketKeys && config.tls) (this.server as TlsServer).setTicketKeys(opts.ticketKeys);
    if (opts.admin !== false) this.admin = createServer((req, res) => this.serveMetrics(req, res));
  }

  /** Counts a refusal, and hands a client that keeps being refused to the kernel ban. */
  private refused(reason: string, ip: string): void {
    this.counters.of(this.metrics.refusals, reason).inc();
    this.shared.refusals.refused(ip, reason);
  }

  /** Parser errors, in Node's default statuses and our JSON shape. */
  private clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    // A socket draining after a 413 is already answered; whatever it sends now is not a request.
    if (isLingering(socket)) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "headers_too_large"]
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "request_timeout"]
          : [400, "bad_request"];
    // Parser errors come before any header is read: the client is whoever holds the socket.
    this.refused(reason, socket.remoteAddress ?? "");
    const text = { 431: "request header fields too large", 408: "request timeout", 400: "bad request" }[
      status
    ]!;
    if (socket.writable)
      endSocketWith(socket, new Refusal(status, reason, text, Object.fromEntries(this.securityHeaders)));
    else socket.destroy();
  }

  private serveMetrics(req: IncomingMessage, res: ServerResponse): void {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    void this.metricsText().then((text) =>
      res.writeHead(200, { "content-type": this.metrics.registry.contentType }).end(text),
    );
  }

  /** The registry with its gauges brought up to date, as a worker hands it to the primary. */
  async metricsJson(): Promise<object[]> {
    this.refreshGauges();
    return this.metrics.registry.getMetricsAsJSON();
  }

  private async metricsText(): Promise<string> {
    this.refreshGauges();
    return this.metrics.registry.metrics();
  }

  private refreshGauges(): void {
    for (const u of this.balancer.upstreams) {
      this.metrics.inFlight.set({ node: u.url }, u.inFlight);
      this.metrics.healthy.set({ node: u.url }, u.healthy ? 1 : 0);
      this.metrics.powJobs.set({ node: u.url }, powJobs(u));
    }
    this.metrics.powInFlight.set(this.shared.powSubmits.total);
    this.metrics.webSockets.set(this.webSockets.openCount);
  }

  /** Certificate and key as files hold them now (read together, so a pair always matches). */
  private readTls(): { cert: Buffer; key: Buffer } {
    const tls = this.config.tls!;
    return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  }

  /** Swaps in the certificate on disk for new connections; open ones keep theirs. */
  reloadTls(): void {
    if (!this.config.tls) return;
    try {
      (this.server as TlsServer).setSecureContext(this.readTls());
      this.log.info({ certFile: this.config.tls.certFile }, "TLS certificate reloaded");
    } catch (err) {
      // A half-written or mismatched pair: keep serving the previous certificate.
      this.log.error({ err: String(err) }, "TLS certificate reload failed; keeping the previous one");
    }
  }

  async start(): Promise<{ url: string; adminUrl: string }> {
    await this.balancer.start();
    if (this.config.tls) {
      const { certFile, keyFile, reloadCheckMs } = this.config.tls;
      for (const f of [certFile, keyFile])
        watchFile(f, { interval: reloadCheckMs, persistent: false }, () => this.reloadTls());
    }
    const url = `${this.config.tls ? "https" : "http"}://${await listenOn(this.server, this.config.bindAddress)}`;
    if (!this.admin) return { url, adminUrl: "" };
    return { url, adminUrl: `http://${await listenOn(this.admin, this.config.adminBindAddress)}/metrics` };
  }

  async close(): Promise<void> {
    if (this.config.tls) for (const f of [this.config.tls.certFile, this.config.tls.keyFile]) unwatchFile(f);
    this.webSockets.close();
    this.shared.refusals.close();
    await new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    if (this.admin) await new Promise<void>((r) => this.admin!.close(() => r()));
    await this.balancer.close();
    await this.shared.limiter.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const ctx = newContext(
      req,
      this.clientIp(req.socket.remoteAddress ?? "", req.headers["x-forwarded-for"]),
    );
    for (const [k, v] of this.securityHeaders) res.setHeader(k, v);
    let node: Upstream | undefined;
    let reason: string | undefined;
    const cleanups: (() => void)[] = [];
    try {
      for (const step of this.steps) {
        const cleanup = await step(ctx);
        if (cleanup) cleanups.push(cleanup);
      }
      node = await proxyRequest(
        {
          balancer: this.balancer,
          metrics: this.metrics,
          counters: this.counters,
          tls: this.config.tls !== undefined,
          requestTimeoutMs: this.config.limits.upstreamTimeoutMs,
        },
        req,
        res,
        ctx.ip,
        ctx.body,
        ctx.rateHeaders,
        ctx.submit === "pow",
      );
    } catch (err) {
      const refusal =
        err instanceof Refusal ? err : new Refusal(502, "upstream_error", "no node could answer the request");
      reason = refusal.reason;
      this.refused(reason, ctx.ip);
      if (!(err instanceof Refusal))
        this.log.warn({ err: String(err), ip: ctx.ip, path: ctx.path }, "proxying failed");
      if (!res.headersSent) sendRefusal(res, refusal);
      else res.destroy();
    } finally {
      for (const c of cleanups.reverse()) c();
      this.counters.of(this.metrics.requests, String(res.statusCode)).inc();
      this.workerRequests.inc();
      // Constant message, variables in fields: fail2ban matches on "reason" and "ip".
      this.log.info(
        {
          ip: ctx.ip,
          method: req.method,
          path: ctx.path.split("?")[0],
          node: node?.url,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          reason,
        },
        "request",
      );
    }
  }
}
