import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Balancer, Upstream } from "./balancer.ts";
import { forwardedHeaders, HOP_BY_HOP } from "./headers.ts";
import type { BoundCounters, GatewayMetrics } from "./metrics.ts";
import { Refusal } from "./refusal.ts";

export interface ProxyDeps {
  balancer: Balancer;
  metrics: GatewayMetrics;
  counters: BoundCounters;
  tls: boolean;
  requestTimeoutMs: number;
}

/** Software banners are not passed on: a client learns nothing about what runs behind the gateway. */
const BANNERS = new Set(["server", "x-powered-by"]);

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

/**
 * Sends the request to the node with the most spare capacity (the PoW-aware choice for remote-PoW
 * submits) over its keep-alive pool and relays the answer; retried once on another node for idempotent
 * requests and message submits (a message's ID is its hash, so a resubmit is harmless), and for a
 * lookup the first node does not know yet. A client that hangs up cancels the upstream request.
 */
export async function proxyRequest(
  deps: ProxyDeps,
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
  const headers = forwardedHeaders(req.headers, ip, deps.tls);
  // A client that hangs up cancels the upstream request too: the node then stops mining its PoW.
  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) gone.abort();
  };
  res.once("close", onClose);
  let exclude: Upstream | undefined;
  for (let attempt = 0; attempt < (retryable ? 2 : 1); attempt++) {
    const node = pow ? deps.balancer.pickForPow(exclude) : deps.balancer.pick(exclude);
    if (!node) throw new Refusal(503, "no_healthy_node", "no healthy node available");
    node.inFlight++;
    if (pow) node.powInFlight++;
    deps.counters.of(deps.metrics.proxied, node.url).inc();
    if (pow) deps.metrics.powSubmits.inc({ node: node.url });
    try {
      const upstream = await node.pool.request({
        method: (req.method ?? "GET") as "GET",
        path: req.url ?? "/",
        headers,
        body,
        headersTimeout: deps.requestTimeoutMs,
        bodyTimeout: deps.requestTimeoutMs,
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
        deps.balancer.eligible(node).length > 0
      ) {
        await upstream.body.dump();
        if (unavailable) deps.balancer.reportFailure(node);
        exclude = node;
        continue;
      }
      deps.balancer.reportSuccess(node);
      const outHeaders: Record<string, string | string[]> = { ...extraHeaders };
      for (const [k, v] of Object.entries(upstream.headers))
        if (v !== undefined && !HOP_BY_HOP.has(k) && !BANNERS.has(k)) outHeaders[k] = v;
      res.writeHead(upstream.statusCode, outHeaders);
      await relay(upstream.body, res);
      return node;
    } catch (err) {
      // The client left: not the node's fault, and nobody to retry for.
      if (gone.signal.aborted) throw new Refusal(499, "client_closed", "client closed the request");
      deps.balancer.reportFailure(node);
      if (res.headersSent || !retryable || attempt === 1) throw err;
      exclude = node;
    } finally {
      node.inFlight--;
      if (pow) node.powInFlight--;
    }
  }
  throw new Refusal(502, "upstream_error", "no node could answer the request");
}
