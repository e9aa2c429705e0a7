import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Counter, Gauge, Registry } from "prom-client";
import type { GatewayConfig } from "../config/gateway.ts";
import { createRoutePolicy } from "../node/api/route-policy.ts";
import { createAuthenticator } from "./auth.ts";
import { Balancer, type Upstream } from "./balancer.ts";
import { createClientIpResolver } from "./client-ip.ts";
import { createIpFilter } from "./ip-filter.ts";
import { createMemoryRateLimiter, type RateLimitDecision, rateLimitHeaders } from "./rate-limit.ts";
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
  private readonly clientIp;
  private readonly ipAllowed;
  private readonly policy;
  private readonly authenticate;
  private readonly limiter;

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
    this.balancer = new Balancer(config.upstreams, config.health, log.child({ module: "balancer" }));
    const serverOptions = {
      headersTimeout: config.limits.headersTimeoutMs,
      requestTimeout: config.limits.requestTimeoutMs,
      maxHeaderSize: 16_384,
    };
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = config.tls
      ? createTlsServer({ ...serverOptions, ...this.readTls(), minVersion: "TLSv1.2" }, handler)
      : createServer(serverOptions, handler);
    this.server.on("clientError", (_err, socket) => {
      this.metrics.refusals.inc({ reason: "bad_request" });
      if (socket.writable)
        socket.end(
          'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":{"code":"400","message":"bad request"}}',
        );
    });
    this.admin = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      for (const u of this.balancer.upstreams) {
        this.metrics.inFlight.set({ node: u.url }, u.inFlight);
        this.metrics.healthy.set({ node: u.url }, u.healthy ? 1 : 0);
      }
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
        const i = bind.lastIndexOf(":");
        server.once("error", reject);
        server.listen(Number(bind.slice(i + 1)), bind.slice(0, i).replace(/^\[|\]$/g, ""), () => {
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
    await new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.admin.close(() => r()));
    await this.balancer.close();
    await this.limiter.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const ip = this.clientIp(req.socket.remoteAddress ?? "", req.headers["x-forwarded-for"]);
    const path = req.url ?? "/";
    let node: Upstream | undefined;
    let reason: string | undefined;
    try {
      if (!this.ipAllowed(ip)) throw new Refusal(403, "ip_denied", "forbidden");
      const access = this.policy(path);
      if (access === "forbidden") throw new Refusal(404, "unknown_route", "route not found");
      const auth = await this.authenticate({
        authorization: req.headers.authorization,
        "x-api-key": req.headers["x-api-key"] as string | undefined,
      });
      if (auth.kind === "denied")
        throw new Refusal(auth.status, auth.reason, auth.status === 401 ? "unauthorized" : "forbidden");
      if (access === "protected" && auth.kind !== "ok")
        throw new Refusal(401, "missing_credentials", "unauthorized");
      const body = await this.readBody(req);
      const cost = this.costOf(req, body);
      const decision = await this.limiter.take(
        auth.kind === "ok" ? auth.principal : `ip:${ip}`,
        cost,
        auth.kind === "ok" ? auth.rateMultiplier : 1,
      );
      const rlHeaders = rateLimitHeaders(decision, this.config.rateLimit);
      if ("unavailable" in decision) {
        throw new Refusal(503, "rate_limit_store_down", "rate limiting is unavailable", {
          "Retry-After": "1",
        });
      }
      if (!decision.allowed) throw new Refusal(429, "rate_limited", "too many requests", rlHeaders);
      node = await this.proxy(req, res, ip, body, rlHeaders, decision);
    } catch (err) {
      const refusal =
        err instanceof Refusal ? err : new Refusal(502, "upstream_error", "no node could answer the request");
      reason = refusal.reason;
      this.metrics.refusals.inc({ reason });
      if (!(err instanceof Refusal)) this.log.warn({ err: String(err), ip, path }, "proxying failed");
      if (!res.headersSent) {
        res.writeHead(refusal.status, { "content-type": "application/json", ...refusal.headers });
        res.end(JSON.stringify({ error: { code: String(refusal.status), message: refusal.message } }));
      } else res.destroy();
    } finally {
      this.metrics.requests.inc({ status: String(res.statusCode) });
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

  /** Buffers the body (bounded) so a failed submit can be retried on another node. */
  private readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    if (req.method === "GET" || req.method === "HEAD") return Promise.resolve(undefined);
    const limit = this.config.limits.bodyLength;
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit)
      return Promise.reject(new Refusal(413, "body_too_large", `request body is larger than ${limit} bytes`));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          reject(new Refusal(413, "body_too_large", `request body is larger than ${limit} bytes`));
          req.destroy();
        } else chunks.push(c);
      });
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });
  }

  /** Route cost: a submit that needs the node's PoW costs far more than a read. */
  private costOf(req: IncomingMessage, body: Buffer | undefined): number {
    const { rateLimit } = this.config;
    if (req.method !== "POST" || !(req.url ?? "").startsWith("/api/v1/messages") || !body) return 1;
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
    return needsPow ? rateLimit.powSubmitCost : rateLimit.submitCost;
  }

  private async proxy(
    req: IncomingMessage,
    res: ServerResponse,
    ip: string,
    body: Buffer | undefined,
    extraHeaders: Record<string, string>,
    _decision: RateLimitDecision,
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
    let exclude: Upstream | undefined;
    for (let attempt = 0; attempt < (retryable ? 2 : 1); attempt++) {
      const node = this.balancer.pick(exclude);
      if (!node) throw new Refusal(503, "no_healthy_node", "no healthy node available");
      node.inFlight++;
      this.metrics.proxied.inc({ node: node.url });
      try {
        const upstream = await node.pool.request({
          method: (req.method ?? "GET") as "GET",
          path: req.url ?? "/",
          headers,
          body,
          headersTimeout: this.config.limits.requestTimeoutMs,
          bodyTimeout: this.config.limits.requestTimeoutMs,
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
        for await (const chunk of upstream.body) res.write(chunk);
        res.end();
        return node;
      } catch (err) {
        this.balancer.reportFailure(node);
        if (res.headersSent || !retryable || attempt === 1) throw err;
        exclude = node;
      } finally {
        node.inFlight--;
      }
    }
    throw new Refusal(502, "upstream_error", "no node could answer the request");
  }
}
