// Slow and malformed clients: headers sent byte by byte are cut off after the header timeout while
// others are served; oversized headers get 431 and malformed ones 400, in the JSON error shape. Once
// per engine. HAProxy has no 431 (oversized headers get its 400), and answers errors found before a
// request is parsed in its own HTML page, not the JSON shape (README's support matrix).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
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

/** Sends `data` on a raw connection and resolves with everything received until the server closes it. */
function raw(url: string, data: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(data));
    let got = "";
    s.on("data", (d) => (got += d));
    s.on("error", reject);
    s.on("close", () => resolve(got));
  });
}

for (const engine of GATEWAY_ENGINES)
  describe(`gateway: slow and malformed clients (engine ${engine})`, () => {
    let devnet: RunningDevnet;
    let gateway: RunningGateway;
    const dir = tempDir();

    before(async () => {
      devnet = await startDevnet({ minPoWScore: 1 });
      writeFileSync(
        join(dir, "gateway.json"),
        JSON.stringify({
          ...(await gatewayBinds(engine)),
          upstreams: [devnet.url],
          limits: { headersTimeoutMs: 1000 },
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
      await waitFor(
        async () => (await fetch(`${gateway.url}/health`)).status === 200,
        20_000,
        "healthy node",
      );
    });

    after(async () => {
      assert.equal(await gateway.stop(), 0);
      assert.equal(await devnet.stop(), 0);
      removeDir(devnet.dataDir);
      removeDir(dir);
    });

    it("cuts off clients that send headers byte by byte with 408, and keeps serving others meanwhile", async () => {
      const u = new URL(gateway.url);
      const header = `GET /api/v1/info HTTP/1.1\r\nHost: ${u.host}\r\nX-Slow: ${"a".repeat(10_000)}\r\n\r\n`;
      const slow = Array.from({ length: 10 }, () => {
        const s: Socket = connect(Number(u.port), u.hostname);
        let sent = 0;
        let got = "";
        // One byte every 50 ms: the full header would take over 8 minutes.
        const timer = setInterval(() => {
          if (s.writable && sent < header.length) s.write(header[sent++]!);
        }, 50);
        s.on("data", (d) => (got += d));
        s.on("error", () => {});
        const closed = new Promise<{ got: string; sent: number }>((resolve) =>
          s.on("close", () => {
            clearInterval(timer);
            resolve({ got, sent });
          }),
        );
        return { closed, sentSoFar: () => sent };
      });
      await waitFor(async () => slow.every((c) => c.sentSoFar() >= 5), 10_000, "slow clients started");
      // While the slow clients hold their sockets, a normal client is served.
      const ok = await fetch(`${gateway.url}/api/v1/info`);
      assert.equal(ok.status, 200);
      for (const c of slow) {
        const { got, sent } = await c.closed;
        assert.ok(sent < header.length, "cut off before the headers were complete");
        assert.match(got, /^HTTP\/1\.1 408 /);
        if (engine === "node")
          assert.deepEqual(JSON.parse(got.slice(got.indexOf("\r\n\r\n") + 4)), {
            error: { code: "408", message: "request timeout" },
          });
      }
      assert.equal((await fetch(`${gateway.url}/api/v1/info`)).status, 200, "still serving after");
    });

    it(`answers headers over 16 KB with ${engine === "node" ? 431 : 400}`, async () => {
      const got = await raw(
        gateway.url,
        `GET /api/v1/info HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`,
      );
      const [status, message] =
        engine === "node" ? [431, "request header fields too large"] : [400, "bad request"];
      assert.match(got, new RegExp(`^HTTP/1\\.1 ${status} `));
      if (engine === "node")
        assert.deepEqual(JSON.parse(got.slice(got.indexOf("\r\n\r\n") + 4)), {
          error: { code: String(status), message },
        });
    });

    it("answers malformed requests with 400", async () => {
      for (const bad of [
        "GET /api/v1/info HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        "NOT-HTTP\r\n\r\n",
        "GET /api/v1/info HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET /api/v1/info HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n",
      ]) {
        const got = await raw(gateway.url, bad);
        assert.match(got, /^HTTP\/1\.1 400 /, JSON.stringify(bad));
        if (engine === "node")
          assert.equal(JSON.parse(got.slice(got.indexOf("\r\n\r\n") + 4)).error.code, "400");
      }
      assert.equal((await fetch(`${gateway.url}/api/v1/info`)).status, 200);
      if (engine === "node") {
        const text = await (await fetch(gateway.metricsUrl)).text();
        assert.match(text, /stinger_gateway_refusals_total\{reason="request_timeout"\} 10/);
        assert.match(text, /stinger_gateway_refusals_total\{reason="headers_too_large"\} 1/);
      }
    });
  });
