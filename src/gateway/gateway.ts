import { readFileSync, unwatchFile, watchFile } from "node:fs";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Readable } from "node:stream";
import type { Logger } from "pino";
import { Counter, Gauge, Registry } from "prom-client";
import { splitHostPort } from "../config/common.ts";
import type { GatewayConfig } from "../config/gateway.ts";
import { compileRoutePattern, createRoutePolicy } from "../node/api/route-policy.ts";
import { isLingering, lingerBeforeClose } from "../util/lingering-close.ts";
import { createAuthenticator } from "./auth.ts";
import { Balancer, powJobs, type Upstream } from "./balancer.ts";
import { clientRateKey, createClientIpResolver } from "./client-ip.ts";
import { ClientSlots } from "./client-slots.ts";
import { createIpFilter } from "./ip-filter.ts";
import { createMemoryRateLimiter, rateLimitHeaders } from "./rate-limit.ts";
import { createRedisRateLimiter } from "./redis-rate-limit.ts";

// Hop-by-hop headers are never forwarded (RFC 9110 §7.6.1), nor client-supplied forwarding headers.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "host",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-real-ip",
  "forwarded",
]);

const LOOKUP_PATH = /^\/api\/v1\/(messages|milestones|transactions)\/[^?]+/;

/**
 * Copies a node's response body to the client, chunk by chunk with backpressure. Cheaper per request than
 * an async iterator or stream.pipeline, which matters at thousands of small responses a second.
 */
function relay(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    body.on("data", (chunk: Buffer) => {
      if (!res.write(chunk)) {
        body.pause();
        res.once("drain", () => body.resume());
      }
    });
    body.once("end", () => {
      res.end();
      resolve();
    });
    body.once("error", reject);
  });
}

/** Where /mqtt WebSockets are tunnelled: open tunnels, and until when it is skipped after a failure. */
interface WsUpstream {
  url: URL;
  open: number;
  failedUntil: number;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function createGatewayMetrics() {
  const registry = new Registry();
  const r = [registry];
  return {
    registry,
    requests: new Counter({
      name: "stinger_gateway_requests_total",
      help: "Requests by status",
      labelNames: ["status"] as const,
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
 * The reverse proxy in front of the nodes, in request order: client IP (trusted proxies only) → IP
 * filter → route policy (unknown paths 404 here) → authorization → rate limit (cost per route) →
 * node with the most spare capacity → proxy, retried once elsewhere for idempotent requests and
 * message submits (a message's ID is its hash, so a resubmit is harmless).
 */
export class Gateway {
  private readonly server: Server;
  private readonly admin: Server;
  readonly balancer: Balancer;
  private readonly metrics = createGatewayMetrics();
  /** Bound children of labelled counters: prom-client hashes a label object on every inc() otherwise. */
  private readonly counters = new Map<Counter<string>, Map<string, { inc(): void }>>();
  private readonly clientIp;
  private readonly ipAllowed;
  private readonly policy;
  private readonly authenticate;
  private readonly limiter;
  private readonly scopes: { patterns: RegExp[]; scope: string }[];
  /** remote-PoW submits in flight per client key */
  private readonly powByClient = new ClientSlots();
  /** open WebSockets per client key, and per upgrade upstream */
  private readonly wsByClient = new ClientSlots();
  private readonly wsUpstreams: WsUpstream[];
  private readonly tunnels = new Set<Socket>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly log: Logger,
  ) {
    this.clientIp = createClientIpResolver(config.trustedProxies);
    this.ipAllowed = createIpFilter(config.ipFilter);
    this.policy = createRoutePolicy(config.routes.public, config.routes.protected);
    this.authenticate = createAuthenticator(config.auth);
    this.limiter = config.rateLimit.redis
      ? createRedisRateLimiter(config.rateLimit, config.rateLimit.redis, log.child({ module: "rate-limit" }))
      : createMemoryRateLimiter(config.rateLimit);
    this.scopes = config.routes.scopes.map((g) => ({
      patterns: g.routes.map(compileRoutePattern),
      scope: g.scope,
    }));
    const specs = config.upstreams.map((u) => (typeof u === "string" ? { url: u } : u));
    this.balancer = new Balancer(specs, config.health, log.child({ module: "balancer" }));
    this.wsUpstreams = (config.upgradeUpstreams ?? specs.map((u) => u.url)).map((u) => ({
      url: new URL(u),
      open: 0,
      failedUntil: 0,
    }));
    const serverOptions = {
      headersTimeout: config.limits.headersTimeoutMs,
      requestTimeout: config.limits.requestTimeoutMs,
      // Node checks the two timeouts above only this often (default 30 s): a slowloris client would
      // otherwise hold its socket for up to 30 s past the header timeout.
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(1000, Math.floor(config.limits.headersTimeoutMs / 4)),
      ),
      maxHeaderSize: 16_384,
    };
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = config.tls
      ? createTlsServer({ ...serverOptions, ...this.readTls(), minVersion: "TLSv1.2" }, handler)
      : createServer(serverOptions, handler);
    this.server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      // A socket draining after a 413 is already answered; whatever it sends now is not a request.
      if (isLingering(socket as Socket)) {
        socket.destroy();
        return;
      }
      // Same statuses as Node's default handler, in our JSON error shape.
      const [status, text, reason] =
        err.code === "HPE_HEADER_OVERFLOW"
          ? [431, "Request Header Fields Too Large", "headers_too_large"]
          : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
            ? [408, "Request Timeout", "request_timeout"]
            : [400, "Bad Request", "bad_request"];
      this.metrics.refusals.inc({ reason });
      const body = JSON.stringify({ error: { code: String(status), message: text.toLowerCase() } });
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
      else socket.destroy();
    });
    this.server.on(
      "upgrade",
      (req: IncomingMessage, socket: Socket, head: Buffer) => void this.handleUpgrade(req, socket, head),
    );
    this.admin = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      for (const u of this.balancer.upstreams) {
        this.metrics.inFlight.set({ node: u.url }, u.inFlight);
        this.metrics.healthy.set({ node: u.url }, u.healthy ? 1 : 0);
        this.metrics.powJobs.set({ node: u.url }, powJobs(u));
      }
      this.metrics.powInFlight.set(this.powByClient.total);
      this.metrics.webSockets.set(this.wsUpstreams.reduce((n, u) => n + u.open, 0));
      void this.metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { "content-type": this.metrics.registry.contentType }).end(text));
    });
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
    const listen = (server: Server, bind: string) =>
      new Promise<string>((resolve, reject) => {
        const { host, port } = splitHostPort(bind);
        server.once("error", reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          resolve(`http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`);
        });
      });
    const url = (await listen(this.server, this.config.bindAddress)).replace(
      /^http:/,
      this.config.tls ? "https:" : "http:",
    );
    const adminUrl = await listen(this.admin, this.config.adminBindAddress);
    return { url, adminUrl: `${adminUrl}/metrics` };
  }

  async close(): Promise<void> {
    if (this.config.tls) for (const f of [this.config.tls.certFile, this.config.tls.keyFile]) unwatchFile(f);
    for (const t of this.tunnels) t.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.admin.close(() => r()));
    await this.balancer.close();
    await this.limiter.close();
  }

  private counterFor(counter: Counter<string>, label: string): { inc(): void } {
    let children = this.counters.get(counter);
    if (!children) this.counters.set(counter, (children = new Map()));
    let child = children.get(label);
    if (!child) children.set(label, (child = counter.labels(label)));
    return child;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const ip = this.clientIp(req.socket.remoteAddress ?? "", req.headers["x-forwarded-for"]);
    const path = req.url ?? "/";
    let node: Upstream | undefined;
    let reason: string | undefined;
    try {
      if (!this.ipAllowed(ip)) throw new Refusal(403, "ip_denied", "forbidden");
      const auth = await this.authorize(req, path);
      const client = auth.kind === "ok" ? auth.principal : this.anonymousKey(ip);
      const body = await this.readBody(req);
      const submit = this.submitKind(req, body);
      const needsPow = submit === "pow";
      const { rateLimit } = this.config;
      // Route cost: a submit that needs the node's PoW costs far more than a read.
      const cost =
        submit === "pow" ? rateLimit.powSubmitCost : submit === "submit" ? rateLimit.submitCost : 1;
      // Checked before the bucket is charged: a refused submit should not also cost tokens.
      if (needsPow && this.powByClient.of(client) >= rateLimit.maxPowSubmitsPerClient)
        throw new Refusal(429, "pow_concurrency", "too many remote-PoW submits in flight from this client", {
          "Retry-After": "1",
        });
      // Reserved before the next await, so simultaneous submits cannot all pass the check above.
      if (needsPow) this.powByClient.take(client);
      try {
        const decision = await this.limiter.take(client, cost, auth.kind === "ok" ? auth.rateMultiplier : 1);
        const rlHeaders = rateLimitHeaders(decision, this.config.rateLimit);
        if ("unavailable" in decision) {
          throw new Refusal(503, "rate_limit_store_down", "rate limiting is unavailable", {
            "Retry-After": "1",
          });
        }
        if (!decision.allowed) throw new Refusal(429, "rate_limited", "too many requests", rlHeaders);
        node = await this.proxy(req, res, ip, body, rlHeaders, needsPow);
      } finally {
        if (needsPow) {
          this.powByClient.release(client);
        }
      }
    } catch (err) {
      const refusal =
        err instanceof Refusal ? err : new Refusal(502, "upstream_error", "no node could answer the request");
      reason = refusal.reason;
      this.metrics.refusals.inc({ reason });
      if (!(err instanceof Refusal)) this.log.warn({ err: String(err), ip, path }, "proxying failed");
      if (!res.headersSent) {
        const text = JSON.stringify({ error: { code: String(refusal.status), message: refusal.message } });
        res.writeHead(refusal.status, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(text),
          ...refusal.headers,
        });
        res.end(text);
      } else res.destroy();
    } finally {
      this.counterFor(this.metrics.requests, String(res.statusCode)).inc();
      // Constant message, variables in fields: fail2ban matches on "reason" and "ip".
      this.log.info(
        {
          ip,
          method: req.method,
          path: path.split("?")[0],
          node: node?.url,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          reason,
        },
        "request",
      );
    }
  }

  /**
   * WebSocket upgrade on /mqtt, tunnelled byte for byte to an upgrade upstream (fewest open sockets
   * wins) after the same checks as a request: IP filter, route policy and credentials, one token of
   * rate limit for the handshake, and a cap on open sockets per client. MQTT itself is the
   * upstream's business (by default the nodes' own /mqtt). Unhealthy or just-failed upstreams are
   * skipped, and a tunnel that cannot connect is tried once on another upstream.
   */
  private async handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const ip = this.clientIp(socket.remoteAddress ?? "", req.headers["x-forwarded-for"]);
    const path = req.url ?? "/";
    const refuse = (r: Refusal) => {
      this.metrics.refusals.inc({ reason: r.reason });
      this.log.info(
        { ip, method: req.method, path: path.split("?")[0], status: r.status, reason: r.reason },
        "request",
      );
      const body = JSON.stringify({ error: { code: String(r.status), message: r.message } });
      const extra = Object.entries(r.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      socket.end(
        `HTTP/1.1 ${r.status} ${r.status === 429 ? "Too Many Requests" : "Error"}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n${extra}connection: close\r\n\r\n${body}`,
      );
    };
    socket.on("error", () => socket.destroy());
    let client = "";
    let reserved = false;
    const unreserve = () => this.wsByClient.release(client);
    try {
      if (!this.ipAllowed(ip)) throw new Refusal(403, "ip_denied", "forbidden");
      if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket" || path.split("?")[0] !== "/mqtt")
        throw new Refusal(404, "unknown_route", "route not found");
      const auth = await this.authorize(req, path);
      client = auth.kind === "ok" ? auth.principal : this.anonymousKey(ip);
      const { maxWebSocketsPerClient } = this.config.limits;
      if (this.wsByClient.of(client) >= maxWebSocketsPerClient)
        throw new Refusal(429, "websocket_limit", "too many open WebSockets from this client", {
          "Retry-After": "5",
        });
      // Counted from here on, before the next await, so a burst of handshakes cannot overshoot the cap.
      this.wsByClient.take(client);
      reserved = true;
      const decision = await this.limiter.take(client, 1, auth.kind === "ok" ? auth.rateMultiplier : 1);
      if ("unavailable" in decision)
        throw new Refusal(503, "rate_limit_store_down", "rate limiting is unavailable", {
          "Retry-After": "1",
        });
      if (!decision.allowed)
        throw new Refusal(
          429,
          "rate_limited",
          "too many requests",
          rateLimitHeaders(decision, this.config.rateLimit),
        );
    } catch (err) {
      if (reserved) unreserve();
      refuse(err instanceof Refusal ? err : new Refusal(500, "internal", "internal error"));
      return;
    }
    // The client may have left while we awaited the checks: its "close" has fired already.
    if (socket.destroyed) {
      unreserve();
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && (!HOP_BY_HOP.has(k) || k === "upgrade" || k === "connection")) headers[k] = v;
    headers["x-forwarded-for"] = ip;
    headers["x-real-ip"] = ip;
    headers["x-forwarded-proto"] = this.config.tls ? "https" : "http";
    const tried = new Set<WsUpstream>();
    const attempt = (): void => {
      const target = this.pickWsUpstream(tried);
      if (!target) {
        if (socket.writable) refuse(new Refusal(503, "no_healthy_node", "no healthy node available"));
        unreserve();
        return;
      }
      tried.add(target);
      this.tunnel(socket, head, path, headers, ip, target, unreserve, () => {
        // Could not reach that node (e.g. it just died): try another one once.
        target.failedUntil = Date.now() + Math.max(1000, 2 * this.config.health.intervalMs);
        if (tried.size < 2 && !socket.destroyed && this.pickWsUpstream(tried)) attempt();
        else {
          if (socket.writable) refuse(new Refusal(502, "upstream_error", "no node could answer the request"));
          unreserve();
        }
      });
    };
    attempt();
  }

  /** The upgrade upstream with the fewest open tunnels among those healthy and not failed just now. */
  private pickWsUpstream(exclude: Set<WsUpstream>): WsUpstream | undefined {
    const now = Date.now();
    const healthyOrigins = new Set(
      this.balancer.upstreams.filter((u) => u.healthy).map((u) => new URL(u.url).origin),
    );
    const known = new Set(this.balancer.upstreams.map((u) => new URL(u.url).origin));
    const candidates = this.wsUpstreams.filter(
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
      this.tunnels.add(socket);
      socket.once("close", () => this.tunnels.delete(socket));
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

  /**
   * Buffers the body (bounded) so a failed submit can be retried on another node. Too large a body is
   * answered 413 and then drained for a while (lingering close), so the client reads the answer.
   */
  private readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    if (req.method === "GET" || req.method === "HEAD") return Promise.resolve(undefined);
    const { bodyLength: limit, lingerTimeoutMs, lingerBytes } = this.config.limits;
    const tooLarge = () => {
      lingerBeforeClose(req, { timeoutMs: lingerTimeoutMs, maxBytes: lingerBytes });
      return new Refusal(413, "body_too_large", `request body is larger than ${limit} bytes`, {
        connection: "close",
      });
    };
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          req.off("data", onData);
          // Nobody reads the rest now: Node's server discards it once the 413 is out.
          req.resume();
          reject(tooLarge());
        } else chunks.push(c);
      };
      req.on("data", onData);
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });
  }

  /** Route policy (unknown → 404) and credentials, with the scope the route's group requires. */
  private async authorize(
    req: { headers: IncomingHttpHeaders },
    path: string,
  ): Promise<Awaited<ReturnType<typeof this.authenticate>>> {
    const access = this.policy(path);
    if (access === "forbidden") throw new Refusal(404, "unknown_route", "route not found");
    let scope: string | undefined;
    if (access === "protected" && this.scopes.length > 0) {
      const q = path.indexOf("?");
      const p = (q === -1 ? path : path.slice(0, q)).toLowerCase();
      scope = this.scopes.find((g) => g.patterns.some((re) => re.test(p)))?.scope;
    }
    const auth = await this.authenticate(
      {
        authorization: req.headers.authorization,
        "x-api-key": req.headers["x-api-key"] as string | undefined,
      },
      scope,
    );
    if (auth.kind === "denied")
      throw new Refusal(auth.status, auth.reason, auth.status === 401 ? "unauthorized" : "forbidden");
    if (access === "protected" && auth.kind !== "ok")
      throw new Refusal(401, "missing_credentials", "unauthorized");
    return auth;
  }

  private anonymousKey(ip: string): string {
    return `ip:${clientRateKey(ip, this.config.rateLimit.ipv6PrefixLength)}`;
  }

  /** A message submit, and "pow" when it lacks a nonce: the node would do the PoW. */
  private submitKind(req: IncomingMessage, body: Buffer | undefined): "none" | "submit" | "pow" {
    // A faucet request makes the node issue (and mine) a transaction: it costs what a submit does.
    if (req.method === "POST" && (req.url ?? "").startsWith("/api/plugins/faucet/enqueue")) return "submit";
    if (req.method !== "POST" || !(req.url ?? "").startsWith("/api/v1/messages") || !body) return "none";
    const json = (req.headers["content-type"] ?? "").startsWith("application/json");
    let needsPow: boolean;
    if (json) {
      try {
        const nonce = (JSON.parse(body.toString("utf8")) as { nonce?: unknown }).nonce;
        needsPow = nonce === undefined || nonce === null || nonce === "" || nonce === "0";
      } catch {
        needsPow = false; // the node answers 400
      }
    } else needsPow = body.length >= 8 && body.subarray(body.length - 8).every((b) => b === 0);
    return needsPow ? "pow" : "submit";
  }

  private async proxy(
    req: IncomingMessage,
    res: ServerResponse,
    ip: string,
    body: Buffer | undefined,
    extraHeaders: Record<string, string>,
    pow: boolean,
  ): Promise<Upstream> {
    const retryable =
      req.method === "GET" ||
      req.method === "HEAD" ||
      (req.method === "POST" && (req.url ?? "").startsWith("/api/v1/messages"));
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    // Rewritten, never passed through: the node sees only the client IP this gateway decided on.
    headers["x-forwarded-for"] = ip;
    headers["x-real-ip"] = ip;
    headers["x-forwarded-proto"] = this.config.tls ? "https" : "http";
    // A client that hangs up cancels the upstream request too: the node then stops mining its PoW.
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) gone.abort();
    };
    res.once("close", onClose);
    let exclude: Upstream | undefined;
    for (let attempt = 0; attempt < (retryable ? 2 : 1); attempt++) {
      const node = pow ? this.balancer.pickForPow(exclude) : this.balancer.pick(exclude);
      if (!node) throw new Refusal(503, "no_healthy_node", "no healthy node available");
      node.inFlight++;
      if (pow) node.powInFlight++;
      this.counterFor(this.metrics.proxied, node.url).inc();
      if (pow) this.metrics.powSubmits.inc({ node: node.url });
      try {
        const upstream = await node.pool.request({
          method: (req.method ?? "GET") as "GET",
          path: req.url ?? "/",
          headers,
          body,
          headersTimeout: this.config.limits.requestTimeoutMs,
          bodyTimeout: this.config.limits.requestTimeoutMs,
          signal: gone.signal,
        });
        const unavailable = upstream.statusCode === 502 || upstream.statusCode === 503;
        // A message or milestone just submitted through another node may not have reached this one
        // by gossip yet: ask another node before answering "not found".
        const notYetHere =
          upstream.statusCode === 404 && req.method === "GET" && LOOKUP_PATH.test(req.url ?? "");
        if (
          (unavailable || notYetHere) &&
          retryable &&
          attempt === 0 &&
          this.balancer.eligible(node).length > 0
        ) {
          await upstream.body.dump();
          if (unavailable) this.balancer.reportFailure(node);
          exclude = node;
          continue;
        }
        this.balancer.reportSuccess(node);
        const outHeaders: Record<string, string | string[]> = { ...extraHeaders };
        for (const [k, v] of Object.entries(upstream.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = v;
        res.writeHead(upstream.statusCode, outHeaders);
        await relay(upstream.body, res);
        return node;
      } catch (err) {
        // The client left: not the node's fault, and nobody to retry for.
        if (gone.signal.aborted) throw new Refusal(499, "client_closed", "client closed the request");
        this.balancer.reportFailure(node);
        if (res.headersSent || !retryable || attempt === 1) throw err;
        exclude = node;
      } finally {
        node.inFlight--;
        if (pow) node.powInFlight--;
      }
    }
    throw new Refusal(502, "upstream_error", "no node could answer the request");
  }
}
