// HAProxy's weights from the nodes' agent-check: a node busy with remote PoW reports less spare
// capacity, HAProxy lowers its weight and sends it fewer requests, and the weight comes back after; a
// node that is not synced is kept out of rotation.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BIN,
  type RunningGateway,
  type RunningNode,
  removeDir,
  startGatewayWith,
  startNode,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { getFrom } from "../helpers/http.ts";
import { freePort } from "../helpers/peers.ts";
import { startPowJob, writeLongPowNodeConfig } from "../helpers/pow-job.ts";

async function powNode(dir: string, agent: string, key: { publicKey: string; privateKey: string }) {
  const file = writeLongPowNodeConfig(dir, key.publicKey, {
    restAPI: {
      bindAddress: "127.0.0.1:0",
      powEnabled: true,
      powWorkerCount: 1,
      agentCheck: { bindAddress: agent },
    },
    coordinator: { enabled: true, interval: "1h" },
  });
  return startNode(file, { COO_PRV_KEYS: key.privateKey });
}

/** A server's figure from HAProxy's Prometheus exporter. */
function serverMetric(text: string, name: string, nodeUrl: string): number {
  const re = new RegExp(`^${name}\\{proxy="nodes",server="${new URL(nodeUrl).host}"\\} (\\d+)`, "m");
  return Number(re.exec(text)?.[1] ?? Number.NaN);
}

describe("HAProxy engine weights nodes by their agent-check", () => {
  const dirs = [tempDir(), tempDir(), tempDir(), tempDir()];
  const { keys } = JSON.parse(spawnSync(process.execPath, [BIN, "keys"], { encoding: "utf8" }).stdout) as {
    keys: { publicKey: string; privateKey: string }[];
  };
  const nodes: RunningNode[] = [];
  let idle: RunningNode;
  let gateway: RunningGateway;

  before(async () => {
    const agents = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    for (let i = 0; i < 2; i++) nodes.push(await powNode(dirs[i]!, agents[i]!, keys[0]!));
    for (const n of nodes)
      await waitFor(async () => (await fetch(`${n.url}/health`)).status === 200, 30_000, "node healthy");
    // No coordinator and no peers: it never sees a milestone, so its agent answers drain.
    const idleAgent = `127.0.0.1:${await freePort()}`;
    idle = await startNode(
      writeLongPowNodeConfig(dirs[3]!, keys[0]!.publicKey, {
        restAPI: { bindAddress: "127.0.0.1:0", agentCheck: { bindAddress: idleAgent } },
      }),
    );
    agents.push(idleAgent);
    gateway = await startGatewayWith(
      join(dirs[2]!, "gw.json"),
      {
        bindAddress: `127.0.0.1:${await freePort()}`,
        adminBindAddress: `127.0.0.1:${await freePort()}`,
        upstreams: [...nodes, idle].map((n, i) => ({ url: n.url, agentCheck: agents[i] })),
        health: { intervalMs: 300 },
        rateLimit: { capacity: 10_000, refillPerSecond: 1000 },
        logger: { level: "warn" },
      },
      { engine: "haproxy" },
    );
  });

  after(async () => {
    if (gateway) assert.equal(await gateway.stop(), 0);
    for (const n of [...nodes, idle]) if (n) assert.equal(await n.stop(), 0);
    for (const d of dirs) removeDir(d);
  });

  it("gives a node busy with PoW a lower weight and fewer requests, then its weight back", async () => {
    const [busy, free] = [nodes[0]!, nodes[1]!];
    const metrics = async () => (await fetch(gateway.metricsUrl)).text();
    const weights = async () => {
      const text = await metrics();
      return [
        serverMetric(text, "haproxy_server_weight", busy.url),
        serverMetric(text, "haproxy_server_weight", free.url),
      ];
    };
    const quiet = await waitFor(
      async () => {
        const w = await weights();
        return w.every((x) => x > 50) ? w : undefined;
      },
      10_000,
      "both weights up from the agents",
    );
    const job = startPowJob(busy.url);
    try {
      const loaded = await waitFor(
        async () => {
          const w = await weights();
          return w[0]! <= 50 && w[1]! > 50 ? w : undefined;
        },
        10_000,
        "the busy node's weight lowered",
      );
      assert.ok(loaded[0]! < quiet[0]!, `busy ${loaded[0]} < quiet ${quiet[0]}`);
      const before = await metrics();
      for (let i = 0; i < 40; i++) assert.equal((await getFrom(gateway.url, "/api/v1/info")).status, 200);
      const after = await metrics();
      const sent = (url: string) =>
        serverMetric(after, "haproxy_server_sessions_total", url) -
        serverMetric(before, "haproxy_server_sessions_total", url);
      assert.ok(sent(busy.url) < sent(free.url), `busy got ${sent(busy.url)}, free got ${sent(free.url)}`);
    } finally {
      job.cancel();
    }
    await waitFor(async () => (await weights())[0]! > 50, 10_000, "the weight back after the job");
  });

  it("keeps a node that is not synced out of rotation", async () => {
    const metrics = async () => (await fetch(gateway.metricsUrl)).text();
    const host = new URL(idle.url).host;
    const state = (text: string, name: string) =>
      Number(
        new RegExp(
          `^haproxy_server_status\\{proxy="nodes",server="${host}",state="${name}"\\} (\\d+)`,
          "m",
        ).exec(text)?.[1],
      );
    // Its /health answers 503 and its agent answers drain: HAProxy has it DOWN (the health check
    // wins over the agent), never UP.
    await waitFor(async () => state(await metrics(), "DOWN") === 1, 10_000, "the unsynced node DOWN");
    const before = await metrics();
    for (let i = 0; i < 20; i++) assert.equal((await getFrom(gateway.url, "/api/v1/info")).status, 200);
    const after = await metrics();
    assert.equal(state(after, "UP"), 0);
    const sent =
      serverMetric(after, "haproxy_server_sessions_total", idle.url) -
      serverMetric(before, "haproxy_server_sessions_total", idle.url);
    assert.equal(sent, 0, `the unsynced node got ${sent} requests`);
  });
});
