// `stinger devnet` (what `npm start` runs): two gossiping nodes behind one HTTPS gateway with a
// certificate from a CA made on first start, and iota.js 1.8.6 using the gateway as its node.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GATEWAY_ENGINES, type RunningDevnet, removeDir, startDevnet, waitFor } from "../helpers/devnet.ts";
import { nodeTakesTraffic } from "../helpers/gateway-metrics.ts";
import { spawnOwned } from "../helpers/owned.ts";

const CLIENT = new URL("../fixtures/iota-client-calls.mjs", import.meta.url).pathname;

/** The iota.js calls in a child process (Node reads NODE_EXTRA_CA_CERTS only at start-up). */
function runClient(
  url: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: Record<string, unknown> }> {
  const env2 = { ...process.env, ...env };
  if (!("NODE_EXTRA_CA_CERTS" in env)) delete env2.NODE_EXTRA_CA_CERTS;
  const proc = spawnOwned(process.execPath, [CLIENT, url], {
    stdio: ["ignore", "pipe", "inherit"],
    env: env2,
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  return new Promise((resolve) =>
    proc.on("close", (code) => resolve({ code, out: JSON.parse(out.trim().split("\n").pop() || "{}") })),
  );
}

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

for (const gatewayEngine of GATEWAY_ENGINES)
  describe(`stinger devnet with its gateway (engine ${gatewayEngine})`, () => {
    let devnet: RunningDevnet;

    before(async () => {
      devnet = await startDevnet({
        nodes: 2,
        gateway: true,
        gatewayEngine,
        minPoWScore: 20,
        milestoneInterval: 1,
      });
    });

    after(async () => {
      assert.equal(await devnet.stop(), 0, devnet.stderr());
      removeDir(devnet.dataDir);
    });

    it("serves HTTPS on 127.0.0.1 with a certificate from DIR/gateway/ca.pem, in front of both nodes", async () => {
      const gw = devnet.gateway!;
      assert.match(gw.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(gw.caFile, join(devnet.dataDir, "gateway", "ca.pem"));
      assert.ok(existsSync(gw.caFile));
      const ca = readFileSync(gw.caFile);
      assert.equal((await get(`${gw.url}/api/v1/info`, ca)).status, 200);
      // The certificate also names localhost.
      assert.equal((await get(`${gw.url.replace("127.0.0.1", "localhost")}/health`, ca)).status, 200);
      // Both nodes take traffic once the second has synced by gossip.
      const both = devnet.nodeUrls.length === 1 ? [devnet.url, devnet.nodeUrls[0]!] : [];
      assert.equal(both.length, 2);
      await waitFor(
        async () => {
          const text = await (await fetch(gw.metricsUrl)).text();
          return both.every((n) => nodeTakesTraffic(gatewayEngine, text, n));
        },
        30_000,
        "both nodes healthy behind the gateway",
      );
    });

    it("iota.js 1.8.6 does info, tips, remote-PoW submit, reads and milestone through it", async () => {
      const { code, out } = await runClient(devnet.gateway!.url, {
        NODE_EXTRA_CA_CERTS: devnet.gateway!.caFile,
      });
      assert.equal(code, 0, JSON.stringify(out));
      assert.equal(out.health, true);
      assert.equal(out.networkId, "private_tangle1");
      assert.ok((out.tips as number) >= 1);
      assert.match(out.messageId as string, /^[0-9a-f]{64}$/);
      assert.equal(out.index, Buffer.from("via-gateway").toString("hex"));
      assert.match(out.nonce as string, /^\d+$/);
      assert.ok((out.referencedBy as number) >= 1);
      assert.equal(out.parentHasChild, true);
      assert.equal(out.milestoneIndex, out.referencedBy);
      // Gossip: the message reached both nodes whichever one took the submit.
      for (const node of [devnet.url, devnet.nodeUrls[0]!])
        await waitFor(
          async () => (await fetch(`${node}/api/v1/messages/${out.messageId}`)).status === 200,
          20_000,
          `message on ${node}`,
        );
    });

    it("without the CA, the same client refuses the certificate", async () => {
      const { code, out } = await runClient(devnet.gateway!.url, {});
      assert.equal(code, 1);
      assert.match(String(out.cause), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|certificate/i, JSON.stringify(out));
    });

    it("reuses the CA and certificate on restart", async () => {
      const ca = readFileSync(devnet.gateway!.caFile, "utf8");
      assert.equal(await devnet.stop(), 0);
      devnet = await startDevnet({
        dataDir: devnet.dataDir,
        nodes: 2,
        gateway: true,
        gatewayEngine,
        minPoWScore: 20,
        milestoneInterval: 1,
      });
      assert.equal(readFileSync(devnet.gateway!.caFile, "utf8"), ca);
      assert.equal((await get(`${devnet.gateway!.url}/health`, Buffer.from(ca))).status, 200);
    });
  });
