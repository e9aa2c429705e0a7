// /mqtt WebSocket upgrades pass through the gateway to the upgrade upstream (here a real `ws` echo
// server process), with a cap on open sockets per client. Once per engine (node, HAProxy).
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
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
import { spawnOwned, stopOwned } from "../helpers/owned.ts";

const ECHO = new URL("../fixtures/ws-echo.mjs", import.meta.url).pathname;

/** Opens a WebSocket; resolves with it and its first message, or with the refusing HTTP status. */
function open(
  url: string,
  localAddress = "127.0.0.1",
): Promise<{ ws?: WebSocket; hello?: string; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress });
    ws.once("message", (d) => resolve({ ws, hello: d.toString() }));
    ws.once("unexpected-response", (_req, res) => {
      resolve({ status: res.statusCode });
      res.resume();
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

for (const engine of GATEWAY_ENGINES)
  describe(`gateway: WebSocket pass-through on /mqtt (engine ${engine})`, () => {
    let devnet: RunningDevnet;
    let gateway: RunningGateway;
    let echo: ChildProcess;
    const dir = tempDir();
    let wsUrl = "";

    before(async () => {
      devnet = await startDevnet({ minPoWScore: 1 });
      echo = spawnOwned(process.execPath, [ECHO], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      echo.stdout!.on("data", (d) => (out += d));
      const echoUrl = await waitFor(
        async () => /ws echo on ws:\/\/(\S+)/.exec(out)?.[1],
        10_000,
        "echo server",
      );
      writeFileSync(
        join(dir, "gateway.json"),
        JSON.stringify({
          ...(await gatewayBinds(engine)),
          upstreams: [devnet.url],
          upgradeUpstreams: [`http://${echoUrl}`],
          ipFilter: { deny: ["127.0.0.3"] },
          limits: { maxWebSocketsPerClient: 2 },
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
      wsUrl = `${gateway.url.replace(/^http/, "ws")}/mqtt`;
    });

    after(async () => {
      assert.equal(await gateway.stop(), 0);
      if (echo) await stopOwned(echo);
      assert.equal(await devnet.stop(), 0);
      removeDir(devnet.dataDir);
      removeDir(dir);
    });

    it("tunnels text and binary frames both ways, with the client IP the gateway decided on", async () => {
      const { ws, hello } = await open(wsUrl, "127.0.0.4");
      assert.deepEqual(JSON.parse(hello!), { path: "/mqtt", xff: "127.0.0.4" });
      const reply = (data: string | Buffer) =>
        new Promise<{ data: Buffer; binary: boolean }>((resolve) => {
          ws!.once("message", (d, binary) => resolve({ data: d as Buffer, binary }));
          ws!.send(data);
        });
      assert.deepEqual(await reply("hello mqtt"), { data: Buffer.from("hello mqtt"), binary: false });
      const big = Buffer.alloc(200_000, 7);
      assert.deepEqual(await reply(big), { data: big, binary: true });
      ws!.close();
    });

    it("caps open WebSockets per client with 429 and frees a slot when one closes", async () => {
      const a = await open(wsUrl, "127.0.0.5");
      const b = await open(wsUrl, "127.0.0.5");
      assert.ok(a.ws && b.ws);
      assert.equal((await open(wsUrl, "127.0.0.5")).status, 429);
      const other = await open(wsUrl, "127.0.0.6");
      assert.ok(other.ws, "another client is not affected");
      other.ws!.close();
      a.ws!.close();
      const again = await waitFor(
        async () => {
          const r = await open(wsUrl, "127.0.0.5");
          return r.ws ? r : undefined;
        },
        10_000,
        "a free slot after closing one",
      );
      again.ws!.close();
      b.ws!.close();
    });

    it("refuses upgrades elsewhere than /mqtt (404) and from denied addresses (403)", async () => {
      assert.equal((await open(wsUrl.replace("/mqtt", "/api/v1/info"))).status, 404);
      assert.equal((await open(wsUrl.replace("/mqtt", "/nothing"))).status, 404);
      assert.equal((await open(wsUrl, "127.0.0.3")).status, 403);
    });

    it("closes the client's socket when the upstream goes away", async () => {
      const { ws } = await open(wsUrl, "127.0.0.7");
      const closed = new Promise((r) => ws!.once("close", r));
      await stopOwned(echo, "SIGKILL");
      await closed;
      // The node engine's 502 (its one upstream failed); HAProxy says 503 (no server left to try).
      assert.equal((await open(wsUrl, "127.0.0.7")).status, engine === "node" ? 502 : 503);
      const openTunnels =
        engine === "node"
          ? /stinger_gateway_websockets_open 0/
          : /haproxy_backend_current_sessions\{proxy="websockets"\} 0/;
      await waitFor(
        async () => openTunnels.test(await (await fetch(gateway.metricsUrl)).text()),
        10_000,
        "no socket counted as open",
      );
    });
  });
