// The gateway's pipeline steps one by one, each run on real requests to a node:http server on loopback:
// what each lets through, what it refuses with which status and reason, and what it leaves in the context.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { hashApiKey } from "../../src/gateway/auth.ts";
import { ClientSlots } from "../../src/gateway/client-slots.ts";
import { createMemoryRateLimiter } from "../../src/gateway/rate-limit.ts";
import { Refusal } from "../../src/gateway/refusal.ts";
import { accessStep } from "../../src/gateway/steps/access.ts";
import { bodyStep } from "../../src/gateway/steps/body.ts";
import { costStep, submitKind } from "../../src/gateway/steps/cost.ts";
import { ipFilterStep } from "../../src/gateway/steps/ip-filter.ts";
import { rateLimitStep } from "../../src/gateway/steps/rate-limit.ts";
import { slotStep } from "../../src/gateway/steps/slots.ts";
import { newContext, type RequestContext, type Step } from "../../src/gateway/steps/step.ts";

interface Outcome {
  status: number;
  reason?: string;
  ctx?: Omit<RequestContext, "req" | "body"> & { body?: string };
}

/** One server; each request says (in a header) which test's steps to run. */
let server: Server;
let base = "";
const pipelines = new Map<string, { steps: Step[]; ip: string; preset?: Partial<RequestContext> }>();

function run(req: IncomingMessage): Promise<Outcome> {
  const p = pipelines.get(String(req.headers["x-pipeline"]))!;
  const ctx = { ...newContext(req, p.ip), ...p.preset };
  return (async () => {
    try {
      for (const s of p.steps) await s(ctx);
      const { req: _r, body, ...rest } = ctx;
      return { status: 200, ctx: { ...rest, body: body?.toString() } };
    } catch (err) {
      if (err instanceof Refusal) return { status: err.status, reason: err.reason };
      throw err;
    }
  })();
}

function send(
  name: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Outcome> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method ?? "GET",
        path: opts.path ?? "/api/v1/info",
        headers: { ...opts.headers, "x-pipeline": name },
      },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve(JSON.parse(text) as Outcome));
      },
    );
    r.on("error", reject);
    r.end(opts.body);
  });
}

describe("gateway pipeline steps", () => {
  before(async () => {
    server = createServer((req, res) => {
      void run(req).then((o) =>
        res
          .writeHead(200, { "content-type": "application/json", connection: "close" })
          .end(JSON.stringify(o)),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("ip filter: deny wins, allow-lists exclude the rest, unreadable addresses fail closed", async () => {
    pipelines.set("deny", { steps: [ipFilterStep({ allow: [], deny: ["10.0.0.0/8"] })], ip: "10.1.2.3" });
    pipelines.set("other", { steps: [ipFilterStep({ allow: [], deny: ["10.0.0.0/8"] })], ip: "192.0.2.1" });
    pipelines.set("allow", {
      steps: [ipFilterStep({ allow: ["2001:db8::/32"], deny: [] })],
      ip: "192.0.2.1",
    });
    pipelines.set("garbage", { steps: [ipFilterStep({ allow: [], deny: ["10.0.0.0/8"] })], ip: "not an ip" });
    assert.deepEqual(await send("deny"), { status: 403, reason: "ip_denied" });
    assert.equal((await send("other")).status, 200);
    assert.deepEqual(await send("allow"), { status: 403, reason: "ip_denied" });
    assert.deepEqual(await send("garbage"), { status: 403, reason: "ip_denied" });
  });

  it("access: unknown routes 404, protected ones need a credential with the group's scope; names the client", async () => {
    const step = accessStep({
      routes: {
        public: ["/api/v1/info"],
        protected: ["/api/v1/*", "/api/plugins/*"],
        scopes: [{ routes: ["/api/v1/peers*"], scope: "admin" }],
      },
      auth: {
        apiKeys: [
          { name: "reader", sha256: hashApiKey("k-reader"), scopes: [] },
          { name: "ops", sha256: hashApiKey("k-ops"), scopes: ["admin"] },
        ],
      },
      ipv6PrefixLength: 64,
    });
    pipelines.set("v4", { steps: [step], ip: "192.0.2.7" });
    pipelines.set("v6", { steps: [step], ip: "2001:db8:1:2:3:4:5:6" });
    assert.deepEqual(await send("v4", { path: "/wp-login.php" }), { status: 404, reason: "unknown_route" });
    const anon = await send("v4");
    assert.equal(anon.ctx?.client, "ip:192.0.2.7");
    assert.equal((await send("v6")).ctx?.client, "ip:2001:db8:1:2::/64");
    assert.deepEqual(await send("v4", { path: "/api/v1/tips" }), {
      status: 401,
      reason: "missing_credentials",
    });
    const reader = await send("v4", { path: "/api/v1/tips", headers: { "x-api-key": "k-reader" } });
    assert.equal(reader.status, 200);
    assert.equal(reader.ctx?.client, "key:reader");
    assert.equal(
      (await send("v4", { path: "/api/v1/peers", headers: { "x-api-key": "k-reader" } })).status,
      403,
    );
    assert.equal(
      (await send("v4", { path: "/api/v1/peers", headers: { "x-api-key": "k-ops" } })).status,
      200,
    );
    assert.equal((await send("v4", { path: "/api/v1/tips", headers: { "x-api-key": "wrong" } })).status, 401);
  });

  it("body: buffered for POST, none for GET, 413 past the limit (declared or sent)", async () => {
    const step = bodyStep({ bodyLength: 16, lingerTimeoutMs: 1000, lingerBytes: 1024 });
    pipelines.set("body", { steps: [step], ip: "192.0.2.1" });
    assert.equal((await send("body", { method: "POST", body: "hello" })).ctx?.body, "hello");
    assert.equal((await send("body")).ctx?.body, undefined);
    assert.deepEqual(await send("body", { method: "POST", body: "x".repeat(17) }), {
      status: 413,
      reason: "body_too_large",
    });
    const chunked = await send("body", {
      method: "POST",
      headers: { "transfer-encoding": "chunked" },
      body: "y".repeat(40),
    });
    assert.deepEqual(chunked, { status: 413, reason: "body_too_large" });
  });

  it("cost: reads cost 1, submits submitCost, submits the node must mine powSubmitCost, the faucet a submit", async () => {
    const step = costStep({ submitCost: 5, powSubmitCost: 50 });
    pipelines.set("cost", {
      steps: [bodyStep({ bodyLength: 4096, lingerTimeoutMs: 100, lingerBytes: 1 }), step],
      ip: "192.0.2.1",
    });
    const post = (body: string, type = "application/json", path = "/api/v1/messages") =>
      send("cost", { method: "POST", path, body, headers: { "content-type": type } });
    assert.deepEqual([(await send("cost")).ctx?.submit, (await send("cost")).ctx?.cost], ["none", 1]);
    const pow = (await post('{"payload":{"type":2,"index":"aa","data":""}}')).ctx!;
    assert.deepEqual([pow.submit, pow.cost], ["pow", 50]);
    const mined = (await post('{"parentMessageIds":["aa"],"payload":null,"nonce":"123"}')).ctx!;
    assert.deepEqual([mined.submit, mined.cost], ["submit", 5]);
    assert.equal(
      (await post('{"address":"atoi1..."}', "application/json", "/api/plugins/faucet/enqueue")).ctx?.cost,
      5,
    );
    // Raw bytes: a zero nonce (last 8 bytes) asks for PoW; bad JSON is a plain submit (the node says 400).
    assert.equal(submitKind("POST", "/api/v1/messages", "application/octet-stream", Buffer.alloc(60)), "pow");
    assert.equal(
      submitKind("POST", "/api/v1/messages", "application/octet-stream", Buffer.alloc(60, 1)),
      "submit",
    );
    assert.equal(submitKind("POST", "/api/v1/messages", "application/json", Buffer.from("{")), "submit");
  });

  it("slots: a cap per client, given back by the cleanup, only where it applies", async () => {
    const slots = new ClientSlots();
    const step = slotStep({
      slots,
      max: 2,
      reason: "busy",
      message: "busy",
      retryAfter: "1",
      applies: (c) => c.submit === "pow",
    });
    const ctx = {
      ...newContext({ url: "/", headers: {} } as IncomingMessage, "192.0.2.1"),
      client: "c",
      submit: "pow" as const,
    };
    const first = (await step(ctx)) as () => void;
    const second = (await step(ctx)) as () => void;
    await assert.rejects(
      async () => step(ctx),
      (e: Refusal) => e.status === 429 && e.headers["Retry-After"] === "1",
    );
    first();
    first(); // twice is harmless
    assert.equal(slots.of("c"), 1);
    second();
    assert.equal(slots.total, 0);
    assert.equal(await step({ ...ctx, submit: "none" }), undefined);
    assert.equal(slots.total, 0);
  });

  it("rate limit: takes the cost, sets RateLimit headers, 429 when the bucket is empty", async () => {
    const cfg = { capacity: 10, refillPerSecond: 0.001 };
    const limiter = createMemoryRateLimiter(cfg);
    pipelines.set("rl", {
      steps: [rateLimitStep(limiter, cfg)],
      ip: "192.0.2.1",
      preset: { client: "ip:192.0.2.1", cost: 4 },
    });
    const a = await send("rl");
    assert.equal(a.status, 200);
    assert.match(JSON.stringify(a.ctx?.rateHeaders), /RateLimit/i);
    assert.equal((await send("rl")).status, 200);
    assert.deepEqual(await send("rl"), { status: 429, reason: "rate_limited" });
    await limiter.close();
  });
});
