// stinger gateway in front of two devnet nodes (and one dead upstream): iota.js through it, route
// policy, API keys, IP filtering with trusted proxies, rate limiting, balancing and health. Once per
// engine: the node engine (this process) and HAProxy rendered from the same config.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SingleNodeClient } from "@iota/iota.js";
import { Converter } from "@iota/util.js";
import { hashApiKey } from "../../src/gateway/auth.ts";
import {
  engineArgs,
  GATEWAY_ENGINES,
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGateway,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { gatewayBinds } from "../helpers/gateway-binds.ts";
import { nodeDown, nodeRequests } from "../helpers/gateway-metrics.ts";
import { getFrom as call, type Reply } from "../helpers/http.ts";

const API_KEY = "test-key-0123456789abcdef";

for (const engine of GATEWAY_ENGINES)
  describe(`stinger gateway (engine ${engine})`, () => {
    let devnet: RunningDevnet;
    const dir = tempDir();
    let gateway: RunningGateway;
    let url = "";
    let metricsUrl = "";

    before(async () => {
      devnet = await startDevnet({ nodes: 2, minPoWScore: 20, milestoneInterval: 1 });
      writeFileSync(
        join(dir, "gateway.json"),
        JSON.stringify({
          ...(await gatewayBinds(engine)),
          upstreams: [devnet.url, devnet.nodeUrls[0], "http://127.0.0.1:1"],
          trustedProxies: ["127.0.0.2"],
          ipFilter: { deny: ["127.0.0.3"] },
          auth: { apiKeys: [{ name: "ops", sha256: hashApiKey(API_KEY) }] },
          rateLimit: { capacity: 300, refillPerSecond: 1 },
          health: { intervalMs: 500 },
          logger: { level: "warn" },
        }),
      );
      gateway = await startGateway(
        join(dir, "gateway.json"),
        30_000,
        undefined,
        undefined,
        engineArgs(engine),
      );
      url = gateway.url;
      metricsUrl = gateway.metricsUrl;
      await waitFor(
        async () => (await call(url, "/health")).status === 200,
        20_000,
        "gateway sees a healthy node",
      );
    });

    after(async () => {
      assert.equal(await gateway.stop(), 0);
      assert.equal(await devnet.stop(), 0);
      removeDir(devnet.dataDir);
      removeDir(dir);
    });

    it("iota.js works through the gateway as against a node", async () => {
      const client = new SingleNodeClient(url);
      assert.equal(await client.health(), true);
      assert.equal((await client.info()).networkId, "private_tangle1");
      assert.ok((await client.tips()).tipMessageIds.length >= 1);
      const id = await client.messageSubmit({
        payload: { type: 2, index: Converter.utf8ToHex("gw"), data: "01" },
      });
      assert.equal(
        ((await client.message(id)).payload as { index: string }).index,
        Converter.utf8ToHex("gw"),
      );
      await waitFor(
        async () => (await client.messageMetadata(id)).referencedByMilestoneIndex,
        20_000,
        "referenced",
      );
    });

    it("answers unknown routes itself with 404, protected ones with 401 without credentials", async () => {
      const unknown = await call(url, "/nothing");
      assert.equal(unknown.status, 404);
      assert.deepEqual(JSON.parse(unknown.body), { error: { code: "404", message: "route not found" } });
      assert.equal((await call(url, "/api/v1/peers")).status, 401);
      assert.equal((await call(url, "/api/v1/peers", { headers: { "x-api-key": "wrong" } })).status, 401);
      // With the key the gateway forwards; the node's own JWT check then answers.
      const passed = await call(url, "/api/v1/peers", { headers: { "x-api-key": API_KEY } });
      assert.equal(passed.status, 401);
      assert.match(passed.body, /jwt/);
    });

    it("denies by client IP, believing X-Forwarded-For only from trusted proxies", async () => {
      assert.equal((await call(url, "/api/v1/info", { localAddress: "127.0.0.3" })).status, 403);
      const spoofed = await call(url, "/api/v1/info", {
        localAddress: "127.0.0.4",
        headers: { "x-forwarded-for": "127.0.0.3" },
      });
      assert.equal(spoofed.status, 200, "an untrusted peer cannot make itself someone else");
      const viaProxy = await call(url, "/api/v1/info", {
        localAddress: "127.0.0.2",
        headers: { "x-forwarded-for": "127.0.0.3" },
      });
      assert.equal(viaProxy.status, 403, "a trusted proxy's X-Forwarded-For is believed");
    });

    it("rate limits per client with 429, Retry-After and RateLimit headers", async () => {
      let last: Reply | undefined;
      for (let i = 0; i < 400; i++) {
        last = await call(url, "/api/v1/info", { localAddress: "127.0.0.5" });
        if (last.status === 429) break;
        assert.ok(last.headers.ratelimit, "RateLimit header on every answer");
      }
      assert.equal(last!.status, 429);
      assert.ok(Number(last!.headers["retry-after"]) >= 1);
      assert.match(String(last!.headers["ratelimit-policy"]), /q=300/);
      assert.equal(
        (await call(url, "/api/v1/info", { localAddress: "127.0.0.6" })).status,
        200,
        "other clients unaffected",
      );
    });

    it("spreads requests over the healthy nodes and never sends any to the dead one", async () => {
      const dead = "http://127.0.0.1:1";
      const metrics = async () => (await fetch(metricsUrl)).text();
      await waitFor(async () => nodeDown(engine, await metrics(), dead), 10_000, "the dead node marked down");
      const before = await metrics();
      for (let i = 0; i < 40; i++)
        assert.equal((await call(url, "/api/v1/info", { localAddress: "127.0.0.7" })).status, 200);
      const text = await metrics();
      const sent = (node: string) => nodeRequests(engine, text, node) - nodeRequests(engine, before, node);
      assert.ok(sent(devnet.url) > 0 && sent(devnet.nodeUrls[0]!) > 0, text);
      assert.equal(sent(dead), 0);
    });
  });
